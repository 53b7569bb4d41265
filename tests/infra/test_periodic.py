"""The Periodic helper every watch runs on: interval, backoff, failure metric, log and stop."""

from __future__ import annotations

import asyncio
import logging

import pytest

from hub.infra import metrics
from hub.infra.periodic import BACKOFF, Backoff, Periodic

LOG = logging.getLogger("tests.infra")


class FakeWait:
    """Records each pause instead of sleeping; stops the Periodic after `turns` pauses."""

    def __init__(self, turns: int) -> None:
        self.turns = turns
        self.pauses: list[float] = []
        self.periodic: Periodic | None = None

    async def __call__(self, stop: asyncio.Event, seconds: float) -> None:
        self.pauses.append(seconds)
        if len(self.pauses) >= self.turns:
            assert self.periodic is not None
            self.periodic.stop()


def _periodic(
    name: str,
    outcomes: list[bool],
    turns: int,
    backoff: Backoff | None = None,
    log: logging.Logger = LOG,
) -> tuple[Periodic, FakeWait]:
    """A Periodic whose steps fail (False) or succeed (True) in this order, then succeed."""
    wait = FakeWait(turns)
    plan = iter(outcomes)

    async def step() -> None:
        if not next(plan, True):
            raise RuntimeError("step failed: not a payload")

    failure = f"{name} failed; trying again later"
    periodic = Periodic(name, step, 30.0, failure, log, backoff=backoff, wait=wait)
    wait.periodic = periodic
    return periodic, wait


def _failures(name: str) -> float:
    return metrics.FAILURES.labels(name)._value.get()  # type: ignore[no-any-return]


async def test_steps_come_every_interval_until_stopped() -> None:
    periodic, wait = _periodic("test-interval", [], turns=3)
    await asyncio.wait_for(periodic.run(), 1)
    assert wait.pauses == [30.0, 30.0, 30.0]
    assert (periodic.runs, periodic.failures, periodic.streak) == (3, 0, 0)


async def test_backoff_doubles_per_failure_in_a_row_up_to_its_cap_then_resets() -> None:
    backoff = Backoff(5.0, 20.0)
    periodic, wait = _periodic("test-backoff", [False] * 4 + [True, False], 6, backoff=backoff)
    await asyncio.wait_for(periodic.run(), 1)
    # The interval plus 5, 10, 20, 20 (capped); a success resets the streak.
    assert wait.pauses == [35.0, 40.0, 50.0, 50.0, 30.0, 35.0]
    assert (periodic.failures, periodic.streak) == (5, 1)


def test_the_first_pause_of_every_flow_is_what_it_was() -> None:
    assert BACKOFF["deadline"].after(1) == 5.0
    assert BACKOFF["broker-watch"].after(1) == 1.0
    assert BACKOFF["relay"].after(9) == 1.0  # a fixed pause
    assert all(b.first_s <= b.max_s for b in BACKOFF.values())


async def test_each_failure_counts_in_the_one_failure_metric_by_name() -> None:
    before = _failures("test-metric")
    periodic, _ = _periodic("test-metric", [False, False, True, False], 4, backoff=Backoff(1, 1))
    await asyncio.wait_for(periodic.run(), 1)
    assert _failures("test-metric") == before + 3


async def test_a_failure_streak_is_logged_once_and_its_end_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log = logging.getLogger("tests.infra.watch")
    periodic, _ = _periodic(
        "test-log", [False, False, False, True], 5, backoff=Backoff(1, 1), log=log
    )
    with caplog.at_level(logging.INFO, logger="tests.infra.watch"):
        await asyncio.wait_for(periodic.run(), 1)
    records = [r for r in caplog.records if r.name == "tests.infra.watch"]
    assert [(r.levelno, r.getMessage()) for r in records] == [
        (logging.ERROR, "test-log failed; trying again later"),
        (logging.INFO, "test-log works again after 3 failure(s)"),
    ]
    assert records[0].exc_info is not None  # the traceback, for the operator


async def test_stop_ends_a_real_wait_at_once() -> None:
    steps = 0

    async def step() -> None:
        nonlocal steps
        steps += 1

    periodic = Periodic("test-stop", step, 3600.0, "test-stop failed")
    task = asyncio.create_task(periodic.run())
    while steps == 0:
        await asyncio.sleep(0)
    periodic.stop()
    await asyncio.wait_for(task, 1)  # not an hour
    assert steps == 1
    assert periodic.stopped


async def test_cancelling_is_not_a_failure() -> None:
    started = asyncio.Event()

    async def step() -> None:
        started.set()
        await asyncio.sleep(3600)

    periodic = Periodic("test-cancel", step, 1.0, "test-cancel failed")
    task = asyncio.create_task(periodic.run())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert periodic.failures == 0
