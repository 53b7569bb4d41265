"""`hub up`'s restart policy, on fake processes and a fake clock (no process is started)."""

from __future__ import annotations

import logging
import signal
from dataclasses import dataclass, field

import pytest

from hub.ops.supervisor import (
    CRASH_LOOP_EXITS,
    CRASH_LOOP_WINDOW_S,
    RESTART_BACKOFF_MAX_S,
    RESTART_BACKOFF_S,
    RESTART_RESET_AFTER_S,
    Child,
    Supervisor,
)
from hub.settings import Settings

ENV = {"HUB_KAFKA_BOOTSTRAP": "127.0.0.1:1", "HUB_DATABASE_URL": "postgresql://x@127.0.0.1:2/y"}


class FakeProc:
    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self.signals: list[int] = []

    def poll(self) -> int | None:
        return self.returncode

    def send_signal(self, sig: int) -> None:
        self.signals.append(sig)
        self.returncode = -sig

    def wait(self, timeout: float | None = None) -> int:
        assert self.returncode is not None
        return self.returncode

    def kill(self) -> None:
        self.returncode = -signal.SIGKILL


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class FakeSupervisor(Supervisor):
    spawned: list[tuple[list[str], dict[str, str], FakeProc]] = field(default_factory=list)
    fail_spawn: bool = False

    def _popen(self, argv: list[str], env: dict[str, str]) -> FakeProc:
        if self.fail_spawn:
            raise OSError(12, "Cannot allocate memory")
        proc = FakeProc(len(self.spawned) + 100)
        self.spawned.append((argv, env, proc))
        return proc


def _supervisor(*names: str, **policy: float) -> tuple[FakeSupervisor, Clock]:
    clock = Clock()
    sup = FakeSupervisor(Settings(), clock=clock, **policy)  # type: ignore[arg-type]
    for name in names:
        child = Child(name, ["python", "-m", "hub", *name.split("-")], None)
        sup.children.append(child)
        sup._spawn(child, dict(ENV))
    return sup, clock


def _proc(sup: FakeSupervisor, name: str) -> FakeProc:
    child = next(c for c in sup.children if c.name == name)
    assert isinstance(child.proc, FakeProc)
    return child.proc


def _crash_and_measure(sup: FakeSupervisor, clock: Clock, name: str, up_s: float = 0) -> float:
    """Let the child run `up_s`, kill it, and return how long until it is spawned again."""
    clock.now += up_s
    before = len(sup.spawned)
    _proc(sup, name).returncode = -signal.SIGKILL
    assert sup.check_children() is None
    exited_at = clock.now
    while len(sup.spawned) == before:
        clock.now += 0.25
        assert sup.check_children() is None
        assert clock.now - exited_at <= RESTART_BACKOFF_MAX_S + 1, "never restarted"
    return clock.now - exited_at


def test_the_policy_is_the_documented_one() -> None:
    assert (RESTART_BACKOFF_S, RESTART_BACKOFF_MAX_S) == (1.0, 30.0)
    assert RESTART_RESET_AFTER_S == 60.0
    assert (CRASH_LOOP_EXITS, CRASH_LOOP_WINDOW_S) == (5, 60.0)


def test_backoff_doubles_up_to_the_cap() -> None:
    sup, clock = _supervisor("core", crash_loop_exits=100)
    delays = [_crash_and_measure(sup, clock, "core") for _ in range(8)]
    assert delays == [1, 2, 4, 8, 16, 30, 30, 30]


def test_a_restarted_child_gets_the_same_argv_and_environment() -> None:
    sup, clock = _supervisor("core", "adapter-ggk")
    first_argv, first_env, _ = sup.spawned[0]
    _crash_and_measure(sup, clock, "core")
    argv, env, proc = sup.spawned[-1]
    assert (argv, env) == (first_argv, first_env)
    assert argv == ["python", "-m", "hub", "core"]
    assert _proc(sup, "core") is proc
    assert proc.poll() is None


def test_the_backoff_resets_after_a_minute_up() -> None:
    sup, clock = _supervisor("core")
    assert _crash_and_measure(sup, clock, "core") == 1
    assert _crash_and_measure(sup, clock, "core") == 2
    assert _crash_and_measure(sup, clock, "core", up_s=59) == 4  # not quite a minute
    assert _crash_and_measure(sup, clock, "core", up_s=60) == 1
    assert _crash_and_measure(sup, clock, "core") == 2


def test_five_exits_within_a_minute_stop_the_stack(caplog: pytest.LogCaptureFixture) -> None:
    sup, clock = _supervisor("core", "adapter-ggk")
    for _ in range(4):
        _crash_and_measure(sup, clock, "core")  # at +0, +1, +3, +7 s
    spawned = len(sup.spawned)
    _proc(sup, "core").returncode = 3
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="hub.ops.supervisor"):
        assert sup.check_children() == 1  # the fifth, 15 s after the first
    clock.now += 60
    assert len(sup.spawned) == spawned  # not restarted any more
    [record] = caplog.records
    assert record.levelno == logging.ERROR
    assert "core exited with status 3" in record.getMessage()
    assert "giving up" in record.getMessage()
    # Stopping the stack afterwards stops the children still running (the ggk adapter).
    sup._stop_children()
    assert _proc(sup, "adapter-ggk").signals == [signal.SIGTERM]


def test_five_exits_spread_over_more_than_a_minute_are_restarted() -> None:
    sup, clock = _supervisor("core")
    delays = [_crash_and_measure(sup, clock, "core", up_s=15) for _ in range(8)]
    assert delays == [1, 2, 4, 8, 16, 30, 30, 30]


def test_the_exit_is_logged_with_child_signal_and_delay(caplog: pytest.LogCaptureFixture) -> None:
    sup, _ = _supervisor("core", "adapter-vecozo")
    _proc(sup, "core").returncode = -signal.SIGKILL
    _proc(sup, "adapter-vecozo").returncode = 2
    with caplog.at_level(logging.WARNING, logger="hub.ops.supervisor"):
        assert sup.check_children() is None
    messages = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert messages == [
        (logging.WARNING, "core was killed by signal SIGKILL; restarting it in 1 s"),
        (logging.WARNING, "adapter-vecozo exited with status 2; restarting it in 1 s"),
    ]


def test_a_pending_restart_does_not_block_the_others() -> None:
    sup, clock = _supervisor("core", "adapter-ggk", "adapter-vecozo")
    _proc(sup, "core").returncode = -signal.SIGKILL
    assert sup.check_children() is None
    clock.now += 0.5
    _proc(sup, "adapter-vecozo").returncode = 1  # while the core waits for its restart
    assert sup.check_children() is None
    assert len(sup.spawned) == 3
    clock.now += 0.5
    assert sup.check_children() is None
    assert [argv[-1] for argv, _, _ in sup.spawned[3:]] == ["core"]
    clock.now += 0.5
    assert sup.check_children() is None
    assert [argv[-1] for argv, _, _ in sup.spawned[3:]] == ["core", "vecozo"]
    assert all(_proc(sup, c.name).poll() is None for c in sup.children)


def test_demo_done_is_not_restarted_but_a_failed_demo_is() -> None:
    sup, clock = _supervisor("core", "demo")
    _proc(sup, "demo").returncode = 0
    assert sup.check_children() is None
    clock.now += 60
    assert sup.check_children() is None
    assert sup.children[1].proc is None
    assert len(sup.spawned) == 2

    sup, clock = _supervisor("core", "demo")
    assert _crash_and_measure(sup, clock, "demo") == 1


def test_nothing_is_restarted_while_stopping() -> None:
    sup, clock = _supervisor("core")
    _proc(sup, "core").returncode = -signal.SIGKILL
    assert sup.check_children() is None
    sup._stopping = True
    clock.now += 5
    assert sup.check_children() is None
    assert len(sup.spawned) == 1


def test_a_child_that_cannot_be_spawned_counts_as_an_exit() -> None:
    sup, clock = _supervisor("core")
    _proc(sup, "core").returncode = 1
    sup.fail_spawn = True
    statuses = []
    for _ in range(200):
        clock.now += 0.25
        statuses.append(sup.check_children())
        if statuses[-1] is not None:
            break
    assert statuses[-1] == 1
    # Seen exited at +0.25 s; failed spawns at +1.25, +3.25, +7.25 and +15.25 s.
    assert clock.now - 1000 == 15.25
