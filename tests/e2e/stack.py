"""The end-to-end harness: hub processes (core, relay, adapters) as real subprocesses on a real
broker and PostgreSQL, started, killed with SIGKILL and restarted by name.

The e2e tests, the fault suite (tests/faults) and `make soak` (benchmarks/soak.py) all start
the hub this way. Tests that restart the broker or PostgreSQL bring their own (`Infra.start`);
the others run on the session's (tests/conftest.py) with a database and topics of their own.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import asyncpg
import httpx

from hub.domain.parties import load_parties, new_token
from hub.infra import store
from hub.infra.embedded import EmbeddedBroker, EmbeddedPostgres, free_port
from hub.infra.kafka import topic_admin
from hub.settings import Settings

READY_S: Final = 90.0  # start-up of one process (schemas compile) on a loaded machine
GEMEENTE, PROVIDER, CAK = "0363", "65656055", "99000001"
_RECEIVED = re.compile(r"^faststream_received_messages_total\{[^}]*\.ingress\"[^}]*\} (\S+)$", re.M)


@dataclass(frozen=True)
class Role:
    """One hub process: its `hub` arguments and the setting that holds its HTTP port."""

    argv: tuple[str, ...]
    port_setting: str


CORE = Role(("core",), "HUB_CORE_PORT")
RELAY = Role(("relay",), "HUB_RELAY_PORT")
GGK = Role(("adapter", "ggk"), "HUB_GGK_PORT")
VECOZO = Role(("adapter", "vecozo"), "HUB_VECOZO_PORT")
# What `hub up` runs, by process name.
STANDARD: Final = {"core": CORE, "ggk": GGK, "vecozo": VECOZO}
# The same with the outbox relay in its own process (HUB_CORE_RELAY=false).
SPLIT: Final = {"core": CORE, "relay": RELAY, "ggk": GGK, "vecozo": VECOZO}


def workdir(prefix: str = "isdhub-e2e-") -> Path:
    """A temp directory the embedded PostgreSQL's user can traverse (see tests/conftest.py)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(path, 0o755)  # noqa: S103
    return path


@dataclass
class Infra:
    """A broker and a PostgreSQL server of one's own, so a test may restart them."""

    directory: Path
    broker: EmbeddedBroker
    postgres: EmbeddedPostgres

    @classmethod
    def start(cls, directory: Path) -> Infra:
        postgres = EmbeddedPostgres(
            directory / "pg", "127.0.0.1", free_port(), directory / "postgres.log"
        )
        broker = EmbeddedBroker("127.0.0.1", free_port(), directory / "broker.log")
        postgres.start()
        try:
            broker.start()
        except BaseException:
            postgres.stop()
            raise
        return cls(directory, broker, postgres)

    @property
    def bootstrap(self) -> str:
        return self.broker.bootstrap

    @property
    def dsn(self) -> str:
        return self.postgres.dsn

    def restart_broker(self) -> None:
        """Everything the broker held (topics, records, offsets, groups) is gone after this."""
        self.broker.restart()

    def restart_postgres(self, down_s: float = 0.0) -> None:
        """Stop (every connection drops), stay away `down_s`, start again on the same data."""
        self.postgres.stop()
        time.sleep(down_s)
        self.postgres.start()

    def stop(self) -> None:
        self.broker.stop()
        self.postgres.stop()


async def create_database(admin_dsn: str, name: str | None = None) -> str:
    """A fresh database on the server of `admin_dsn`; returns its URL."""
    name = name or f"t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return admin_dsn.rsplit("/", 1)[0] + f"/{name}"


# The consumers' group session in tests (HUB_CONSUMER_SESSION_TIMEOUT_MS): tansu holds every
# JoinGroup for half of it, so 3 s instead of aiokafka's 10 s starts each core and adapter about
# 3.5 s sooner; heartbeats come every second, well within it on a loaded machine.
SESSION_TIMEOUT_MS: Final = 3000


def hub_settings(bootstrap: str, directory: Path, **overrides: object) -> Settings:
    """Settings whose topics and consumer group belong to one test or run alone."""
    tag = uuid.uuid4().hex[:8]
    values: dict[str, object] = {
        "kafka_bootstrap": bootstrap,
        "topic_prefix": f"t{tag}",
        "consumer_group": f"core-{tag}",
        "partitions": 2,
        "data_dir": directory / f"data-{tag}",
        "consumer_session_timeout_ms": SESSION_TIMEOUT_MS,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def hub_env(settings: Settings, database_url: str, **extra: str) -> dict[str, str]:
    """The environment of the hub processes: this test's broker, database and topics only."""
    assert settings.kafka_bootstrap is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(
        HUB_KAFKA_BOOTSTRAP=settings.kafka_bootstrap,
        HUB_DATABASE_URL=database_url,
        HUB_TOPIC_PREFIX=settings.topic_prefix,
        HUB_CONSUMER_GROUP=settings.consumer_group,
        HUB_PARTITIONS=str(settings.partitions),
        HUB_LOG_LEVEL="WARNING",
        HUB_CONSUMER_SESSION_TIMEOUT_MS=str(settings.consumer_session_timeout_ms),
        HUB_PERSON_KEY_SECRET=child_secret(settings),
    )
    env.update(extra)
    return env


# `hub core`, `relay` and `adapter` refuse the public development secret once HUB_DATABASE_URL or
# HUB_KAFKA_BOOTSTRAP is set (hub.ops.startchecks): the children get a secret of the tests.
TEST_PERSON_KEY_SECRET = "isd-hub-tests-only-secret-0123456789"


def child_secret(settings: Settings) -> str:
    """The settings' secret, or the tests' own when it is still the development value."""
    from hub.ops.startchecks import development_secrets

    if "HUB_PERSON_KEY_SECRET" in development_secrets(settings):
        return TEST_PERSON_KEY_SECRET
    return settings.person_key_secret.get_secret_value()


async def prepare(
    settings: Settings, pool: store.Pool, parties: Sequence[str] = (GEMEENTE, PROVIDER)
) -> dict[str, str]:
    """Topics, the demo party registry and a token for each of `parties` (migrated pool)."""
    assert settings.kafka_bootstrap is not None
    await topic_admin.ensure_topics(settings, settings.kafka_bootstrap)
    await store.upsert_parties(pool, list(load_parties(settings.parties_file)))
    tokens: dict[str, str] = {}
    for code in parties:
        tokens[code] = new_token()
        await store.add_token(pool, code, tokens[code])
    return tokens


@dataclass
class Process:
    role: Role
    port: int
    env: dict[str, str] = field(default_factory=dict)  # on top of the stack's
    popen: subprocess.Popen[bytes] | None = None
    starts: int = 0


@dataclass
class Stack:
    """Hub processes by name, each on a port of its own kept across restarts, each logging
    to `<logs>/<name>.log` (shown when a test fails)."""

    env: dict[str, str]
    logs: Path
    procs: dict[str, Process] = field(default_factory=dict)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.procs[name].port}"

    def spawn(self, name: str, role: Role, env: dict[str, str] | None = None) -> None:
        """Start `name` (again: same port, same settings)."""
        proc = self.procs.get(name) or Process(role, free_port(), env or {})
        self.procs[name] = proc
        self.logs.mkdir(parents=True, exist_ok=True)
        with (self.logs / f"{name}.log").open("ab") as out:
            proc.popen = subprocess.Popen(
                [sys.executable, "-m", "hub", *role.argv],
                env={**self.env, **proc.env, role.port_setting: str(proc.port)},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        proc.starts += 1

    def start(self, processes: dict[str, Role]) -> None:
        """Spawn side by side, then wait until every one is ready."""
        for name, role in processes.items():
            self.spawn(name, role)
        self.wait_ready(list(processes))

    def wait_ready(self, names: Sequence[str], timeout: float = READY_S) -> None:
        deadline = time.monotonic() + timeout
        waiting = set(names)
        while waiting and time.monotonic() < deadline:
            for name in sorted(waiting):
                popen = self.procs[name].popen
                assert popen is not None
                if popen.poll() is not None:
                    raise AssertionError(f"{name} exited ({popen.returncode}); {self.tail(name)}")
                try:
                    response = httpx.get(f"{self.url(name)}/readyz", timeout=1)
                except httpx.HTTPError:
                    continue
                if response.status_code == 200:
                    waiting.discard(name)
            time.sleep(0.1)
        assert not waiting, f"not ready after {timeout} s: {sorted(waiting)}"

    def kill(self, name: str) -> None:
        """kill -9: no shutdown, no flush, no leaving the consumer group."""
        popen = self.procs[name].popen
        assert popen is not None
        popen.send_signal(signal.SIGKILL)
        popen.wait()

    def pause(self, name: str) -> None:
        """SIGSTOP: the process holds its connections but does nothing (a stalled consumer)."""
        popen = self.procs[name].popen
        assert popen is not None
        popen.send_signal(signal.SIGSTOP)

    def resume(self, name: str) -> None:
        popen = self.procs[name].popen
        assert popen is not None
        popen.send_signal(signal.SIGCONT)

    def restart(self, name: str) -> None:
        self.spawn(name, self.procs[name].role)
        self.wait_ready([name])

    def dead(self) -> list[str]:
        """Processes that exited (none should, but the ones a test killed)."""
        return [
            name
            for name, proc in self.procs.items()
            if proc.popen is not None and proc.popen.poll() is not None
        ]

    def received(self, name: str) -> float:
        """Ingress messages this core has consumed, from its own /metrics."""
        text = httpx.get(f"{self.url(name)}/metrics", timeout=5).text
        return sum(float(v) for v in _RECEIVED.findall(text))

    def tail(self, name: str, lines: int = 30) -> str:
        path = self.logs / f"{name}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return f"last lines of {path}:\n" + "\n".join(text.splitlines()[-lines:])

    def logged(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop_all(self) -> None:
        terminate([p.popen for p in self.procs.values() if p.popen is not None])


@contextmanager
def running(
    env: dict[str, str], processes: dict[str, Role] = STANDARD, logs: Path | None = None
) -> Iterator[Stack]:
    """The given processes, ready; stopped (SIGTERM) at the end. Logs go to a temp directory
    removed afterwards unless given."""
    own = logs is None
    directory = logs or Path(tempfile.mkdtemp(prefix="isdhub-logs-"))
    stack = Stack(env, directory)
    try:
        stack.start(processes)
        yield stack
    except BaseException:
        for name in stack.procs:  # pytest shows this with the failure
            print(stack.tail(name, 15))
        raise
    finally:
        stack.stop_all()
        if own:
            shutil.rmtree(directory, ignore_errors=True)


def terminate(popens: Sequence[subprocess.Popen[bytes]], grace_s: float = 30) -> None:
    """SIGTERM every live process at once, then wait for each; kill what outlives the grace."""
    for popen in popens:
        if popen.poll() is None:
            popen.send_signal(signal.SIGTERM)
    for popen in popens:
        try:
            popen.wait(grace_s)
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait()
