"""`hub up`: starts the infrastructure it must, then the core and both adapters, restarts
any of them that dies (with a backoff, giving up on a crash loop), and stops them all, in
reverse order, on Ctrl-C."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import Protocol

from hub.domain.errors import StartupError
from hub.domain.parties import load_parties
from hub.infra import preflight
from hub.infra.embedded import die_with_parent
from hub.infra.logs import configure
from hub.ops import locate
from hub.ops.banner import banner
from hub.ops.startup import prepare, start_infrastructure, write_secret_json
from hub.settings import Settings

log = logging.getLogger(__name__)

# Restart policy of `hub up` for a child that exits by itself (the defaults of the Supervisor
# fields of the same names, for tests; operators have no setting for them).
# First wait: short, since most deaths are one-off (a kill, an OOM, a lost connection) and
# the hub's processes recover everything on start; every process is idempotent on restart.
RESTART_BACKOFF_S = 1.0
# Doubled per exit, up to this cap, so a child that keeps dying does not burn the CPU the
# others need, while one that recovers is back within half a minute.
RESTART_BACKOFF_MAX_S = 30.0
# A child that stayed up this long was healthy: its next exit starts the backoff afresh.
RESTART_RESET_AFTER_S = 60.0
# This many exits of one child within CRASH_LOOP_WINDOW_S is a crash loop (a broken
# configuration, a missing migration): restarting will not help, so the stack stops with
# status 1 and the log names the child. With the backoff above that takes about 15 s.
CRASH_LOOP_EXITS = 5
CRASH_LOOP_WINDOW_S = 60.0
# How often the children are polled.
WATCH_INTERVAL_S = 0.2


class Process(Protocol):
    """What the supervisor needs of a child process (a subprocess.Popen, or a fake in tests)."""

    @property
    def pid(self) -> int: ...

    def poll(self) -> int | None: ...

    def send_signal(self, sig: int) -> None: ...

    def wait(self, timeout: float | None = None) -> int: ...

    def kill(self) -> None: ...


@dataclass
class Child:
    name: str
    argv: list[str]
    ready_url: str | None
    proc: Process | None = None
    env: dict[str, str] = field(default_factory=dict)  # as first spawned; restarts reuse it
    started_at: float = 0.0  # clock of the last spawn
    backoff_s: float | None = None  # wait before the next restart; None: the first one
    restart_at: float | None = None  # when an exited child is spawned again
    exits: deque[float] = field(default_factory=deque)  # when it exited, within the window


@dataclass
class Supervisor:
    settings: Settings
    demo: bool = False
    children: list[Child] = field(default_factory=list)
    _stopping: bool = False
    # The restart policy (see the constants above) and the clock it reads; fields for tests.
    restart_backoff_s: float = RESTART_BACKOFF_S
    restart_backoff_max_s: float = RESTART_BACKOFF_MAX_S
    restart_reset_after_s: float = RESTART_RESET_AFTER_S
    crash_loop_exits: int = CRASH_LOOP_EXITS
    crash_loop_window_s: float = CRASH_LOOP_WINDOW_S
    clock: Callable[[], float] = time.monotonic

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self._stopping = True

    def run(self) -> int:
        settings = self.settings
        configure(settings.log_level, "up")  # its restarts are logged with the time
        other = locate.running(settings)
        if other is not None:
            raise StartupError(
                f"a hub up (pid {other.pid}) already runs on {other.path.parent}; stop it, or "
                "set HUB_DATA_DIR to another directory"
            )
        preflight.check_ports(settings)  # every port at once, before anything starts
        # A broken parties file ends `hub up` before anything starts.
        registry = load_parties(settings.parties_file, settings.cak_party_code)
        demo_parties: tuple[str, ...] = ()
        if self.demo:
            from hub.ops.demo import demo_party_codes

            demo_parties = demo_party_codes()
        infra = start_infrastructure(settings)
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        tokens_file = settings.data_dir.resolve() / "demo-tokens.json"
        try:
            prepared = asyncio.run(
                prepare(settings, infra.bootstrap, infra.database_url, registry, demo_parties)
            )
            env = {
                **os.environ,
                "HUB_KAFKA_BOOTSTRAP": infra.bootstrap,
                "HUB_DATABASE_URL": infra.database_url,
            }
            if self.demo:
                write_secret_json(tokens_file, prepared.tokens)
                env["HUB_DEMO_TOKENS_FILE"] = str(tokens_file)
            # From now on every CLI command finds this hub (hub.ops.locate), and only this one.
            locate.record(settings, infra.database_url, infra.bootstrap)
            self._spawn_all(env)
            print(banner(settings, infra, prepared, demo=self.demo), flush=True)
            return self._watch()
        finally:
            locate.forget(settings)
            self._stop_children()
            if self.demo:
                tokens_file.unlink(missing_ok=True)
            infra.stop()
            print("isd-hub: stopped", flush=True)

    def _spawn_all(self, env: dict[str, str]) -> None:
        s = self.settings
        base = f"http://{s.host}"
        hub = [sys.executable, "-m", "hub"]
        self.children = [
            Child("core", [*hub, "core"], f"{base}:{s.core_port}/readyz"),
            Child("adapter-ggk", [*hub, "adapter", "ggk"], f"{base}:{s.ggk_port}/readyz"),
            Child("adapter-vecozo", [*hub, "adapter", "vecozo"], f"{base}:{s.vecozo_port}/readyz"),
        ]
        if not s.core_relay:
            self.children.insert(
                1, Child("relay", [*hub, "relay"], f"{base}:{s.relay_port}/readyz")
            )
        if self.demo:
            self.children.append(Child("demo", [*hub, "demo"], None))
        for child in self.children:
            if child.name == "demo":
                continue
            self._spawn(child, env)
        for child in self.children:
            if child.ready_url is not None:
                self._wait_ready(child)
        if self.demo:
            self._spawn(self.children[-1], env)

    def _spawn(self, child: Child, env: dict[str, str]) -> None:
        child.env = env
        child.started_at = self.clock()
        child.restart_at = None
        child.proc = self._popen(child.argv, env)

    def _popen(self, argv: list[str], env: dict[str, str]) -> Process:
        return subprocess.Popen(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches only us; we stop children in order
            preexec_fn=die_with_parent,
        )

    def _wait_ready(self, child: Child) -> None:
        assert child.proc is not None
        assert child.ready_url is not None
        deadline = time.monotonic() + self.settings.startup_timeout_s + 30
        while time.monotonic() < deadline:
            if self._stopping:
                raise StartupError("interrupted while starting")
            code = child.proc.poll()
            if code is not None:
                raise StartupError(f"{child.name} exited with status {code} while starting")
            try:
                with urllib.request.urlopen(child.ready_url, timeout=1) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        raise StartupError(f"{child.name} did not become ready at {child.ready_url}")

    def _watch(self) -> int:
        while not self._stopping:
            status = self.check_children()
            if status is not None:
                return status
            time.sleep(WATCH_INTERVAL_S)
        return 0

    def check_children(self) -> int | None:
        """One round of the watch, never blocking: note children that exited, spawn again
        those whose backoff is over. An exit status for `hub up` on a crash loop, else None."""
        now = self.clock()
        for child in self.children:
            if self._stopping:
                return None
            if child.restart_at is not None:
                if now >= child.restart_at and not self._restart(child, now):
                    return 1
                continue
            if child.proc is None:
                continue
            code = child.proc.poll()
            if code is None:
                continue
            if child.name == "demo" and code == 0:
                child.proc = None
                continue
            if not self._exited(child, now, _how(code)):
                return 1
        return None

    def _restart(self, child: Child, now: float) -> bool:
        """Spawn an exited child again; False when that failed once too often."""
        log.info("restarting %s", child.name)
        try:
            self._spawn(child, child.env)
        except OSError as exc:
            child.proc = None
            return self._exited(child, now, f"could not be started ({exc.strerror})")
        return True

    def _exited(self, child: Child, now: float, how: str) -> bool:
        """Schedule the restart of a child that exited; False when it is in a crash loop."""
        child.exits.append(now)
        while child.exits and child.exits[0] <= now - self.crash_loop_window_s:
            child.exits.popleft()
        if len(child.exits) >= self.crash_loop_exits:
            log.error(
                "%s %s (%d exits within %.0f s): crash loop; giving up, stopping the stack",
                child.name,
                how,
                len(child.exits),
                self.crash_loop_window_s,
            )
            return False
        if child.backoff_s is None or now - child.started_at >= self.restart_reset_after_s:
            child.backoff_s = self.restart_backoff_s
        delay = child.backoff_s
        child.backoff_s = min(delay * 2, self.restart_backoff_max_s)
        child.restart_at = now + delay
        log.warning("%s %s; restarting it in %.0f s", child.name, how, delay)
        return True

    def _stop_children(self) -> None:
        # Producers first (demo, adapters), then the core, so in-flight work can drain.
        for child in reversed(self.children):
            if child.proc is not None and child.proc.poll() is None:
                child.proc.send_signal(signal.SIGTERM)
                try:
                    child.proc.wait(20)
                except subprocess.TimeoutExpired:
                    child.proc.kill()
                    child.proc.wait(5)


def _how(code: int) -> str:
    """How a child ended, from its returncode (negative: the signal that killed it)."""
    if code >= 0:
        return f"exited with status {code}"
    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = str(-code)
    return f"was killed by signal {name}"
