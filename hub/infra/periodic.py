"""The one way the hub runs periodic work: a step every interval, a capped exponential backoff
after failures, one failure metric, one log record per failure streak, and a clean stop.

Every watch (deadlines, signals, cutover, purge, broker, gauges) runs on a `Periodic`, and the
retry pauses of every loop that retries are named in one table here (`BACKOFF`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from hub.infra import metrics

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Backoff:
    """The pause after a failure: `first_s` after the first of a streak, doubling with every
    failure in a row up to `max_s` (equal to `first_s`: a fixed pause)."""

    first_s: float
    max_s: float

    def after(self, streak: int) -> float:
        """The pause after the `streak`-th failure in a row (1 for the first)."""
        return min(self.first_s * 2.0 ** max(streak - 1, 0), self.max_s)


# Every retry pause of the hub, by the flow's name in isdhub_failures{flow}. The first pause
# of each is what it always was; the watches double theirs while a failure lasts, so a
# database or broker that is away is not asked every few seconds for minutes on end. The
# broker watch stays eager (a broker back after a restart is noticed within seconds), and the
# loops that pause inside a batch (relay, intake, delivery, journal) keep a fixed pause.
BACKOFF: Final[Mapping[str, Backoff]] = MappingProxyType(
    {
        "deadline": Backoff(5.0, 60.0),
        "signal": Backoff(5.0, 60.0),
        "cutover": Backoff(5.0, 60.0),
        "purge": Backoff(5.0, 60.0),
        "gauges": Backoff(5.0, 60.0),
        "broker-watch": Backoff(1.0, 8.0),
        "relay": Backoff(1.0, 1.0),
        "intake": Backoff(1.0, 1.0),
        "delivery": Backoff(1.0, 1.0),
        "journal": Backoff(1.0, 1.0),
        # The push loop's claim (adapters/push.py); each push's own retries double from
        # HUB_PUSH_RETRY_FIRST_S to HUB_PUSH_RETRY_MAX_S, settings since a receiver sets them.
        "push": Backoff(1.0, 30.0),
    }
)

Wait = Callable[[asyncio.Event, float], Awaitable[None]]


async def wait_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Sleep `seconds`, or less when `stop` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


@dataclass
class Periodic:
    """Runs `step` every `interval_s` until stopped (the first time at once).

    A step that raises is counted in isdhub_failures{flow=name}; the first failure of a
    streak is logged (with its traceback, never the step's data) at `level` on `log` as
    `failure`, the next ones of the streak only at debug, and the end of a streak at info. The
    next step comes after the failure's backoff plus the interval (the first failure's pause
    is what each watch always had).
    """

    name: str  # the flow label of isdhub_failures, and the key of BACKOFF
    step: Callable[[], Awaitable[object]]
    interval_s: float
    failure: str  # what the log says when a streak starts, e.g. "deadline scan failed; ..."
    log: logging.Logger = _log  # the watch's own logger, so its records keep their name
    level: int = logging.ERROR
    backoff: Backoff | None = None  # None: BACKOFF[name]
    wait: Wait = wait_or_stop  # tests pass a fake that returns at once
    runs: int = 0
    failures: int = 0  # in all
    streak: int = 0  # failures in a row, up to the last step
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        """Ends `run` after the step under way (a wait under way ends at once)."""
        self._stop.set()

    async def run(self) -> None:
        while not self._stop.is_set():
            pause = self.interval_s
            try:
                await self.step()
            except asyncio.CancelledError:
                raise
            # blind: a watch tries again after its backoff whatever its step raised: what
            # hub.domain.errors.disposition retries, a bug, and a STOP too (a loop that runs
            # unattended cannot stop its process; cancellation is raised above)
            except Exception:
                pause += self._failed()
            else:
                self._succeeded()
            self.runs += 1
            if not self._stop.is_set():
                await self.wait(self._stop, pause)

    def _failed(self) -> float:
        """Counts and logs a failure; returns its backoff."""
        self.failures += 1
        self.streak += 1
        metrics.FAILURES.labels(self.name).inc()
        if self.streak == 1:
            self.log.log(self.level, "%s", self.failure, exc_info=True)
        else:
            self.log.debug("%s (%d in a row)", self.failure, self.streak)
        return (self.backoff or BACKOFF[self.name]).after(self.streak)

    def _succeeded(self) -> None:
        if self.streak:
            self.log.info("%s works again after %d failure(s)", self.name, self.streak)
        self.streak = 0


class OnPeriodic:
    """A watch whose loop is its `periodic` (built in its __post_init__): stopping and running
    the watch are stopping and running that."""

    periodic: Periodic

    def stop(self) -> None:
        self.periodic.stop()

    async def run(self) -> None:
        await self.periodic.run()
