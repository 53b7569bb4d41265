"""The benchmark's processes: embedded tansu and PostgreSQL, `hub core`, the raw pipeline and
py-spy, each started on free ports in a temp dir and stopped (in order) by Stack.stop()."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import IO, Any

from hub.infra.embedded import EmbeddedBroker, EmbeddedPostgres, die_with_parent, free_port
from hub.settings import Settings

HOST = "127.0.0.1"
# The benchmarks' PostgreSQL analyses a growing table within a second (autovacuum's default
# looks once a minute). Their tables grow from nothing to tens of thousands of rows in
# seconds, and plans made from an empty table's statistics read a whole table per lookup
# (the sleutelmomenten' lookup took 58 ms a batch by the end of bench-intake): a hub's
# tables grow over days, and its statistics keep up. The analyses' CPU counts as
# PostgreSQL's.
PG_SETTINGS: dict[str, str] = {"autovacuum_naptime": "1s"}


class Stack:
    """The embedded broker and database, the hub core and the raw pipeline; stop() ends all."""

    def __init__(
        self,
        partitions: int,
        core_env: dict[str, str],
        keep: bool,
        cores: int = 1,
        postgres_settings: dict[str, str] | None = None,
    ) -> None:
        self.tag = uuid.uuid4().hex[:8]
        self.partitions = partitions
        self.core_env = core_env
        self.keep = keep
        # Not under /tmp's private parents: as root, PostgreSQL runs as an unprivileged user
        # who must traverse this directory (as tests/conftest.py does).
        self.workdir = Path(tempfile.mkdtemp(prefix="isdhub-bench-"))
        os.chmod(self.workdir, 0o755)  # noqa: S103
        self.postgres = EmbeddedPostgres(
            self.workdir / "pg",
            HOST,
            free_port(),
            self.workdir / "postgres.log",
            server_settings={**PG_SETTINGS, **(postgres_settings or {})},
        )
        self.broker = EmbeddedBroker(HOST, free_port(), self.workdir / "broker.log")
        self.cores: list[subprocess.Popen[bytes]] = []
        self.raw: subprocess.Popen[bytes] | None = None
        self.profiler: subprocess.Popen[bytes] | None = None
        # One `hub core` per entry: more than one share the ingress partitions as one
        # consumer group, as replicas of a deployment would.
        self.core_ports = [free_port() for _ in range(cores)]
        self.adapters: dict[str, tuple[subprocess.Popen[bytes], int]] = {}  # node -> (proc, port)
        self.dsn = ""
        self.bootstrap = ""

    def start_infrastructure(self) -> Settings:
        self.dsn = self.postgres.start()
        self.bootstrap = self.broker.start()
        return Settings(
            kafka_bootstrap=self.bootstrap,
            database_url=self.dsn,
            topic_prefix=f"bench-{self.tag}",
            consumer_group=f"bench-core-{self.tag}",
            partitions=self.partitions,
            core_port=self.core_ports[0],
            data_dir=self.workdir,
        )

    def _spawn(self, argv: list[str], env: dict[str, str], out: IO[bytes] | int) -> Any:
        return subprocess.Popen(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT if out != subprocess.PIPE else None,
            start_new_session=True,  # Ctrl-C reaches us only; we stop children in order
            preexec_fn=die_with_parent,
        )

    @property
    def core(self) -> subprocess.Popen[bytes] | None:
        """The first core (the one profiled and scraped)."""
        return self.cores[0] if self.cores else None

    @property
    def core_port(self) -> int:
        return self.core_ports[0]

    def _hub_env(self, settings: Settings) -> dict[str, str]:
        return {
            **os.environ,
            "HUB_KAFKA_BOOTSTRAP": self.bootstrap,
            "HUB_DATABASE_URL": self.dsn,
            "HUB_TOPIC_PREFIX": settings.topic_prefix,
            "HUB_CONSUMER_GROUP": settings.consumer_group,
            "HUB_PARTITIONS": str(self.partitions),
            "HUB_LOG_LEVEL": "WARNING",
            "HUB_DATA_DIR": str(self.workdir),
            "HUB_PERSON_KEY_SECRET": os.environ.get(
                "HUB_PERSON_KEY_SECRET", "isd-hub-benchmark-only-secret"
            ),
        }

    def start_adapter(self, settings: Settings, node: str) -> int:
        """`hub adapter <node>` on a free port; its port."""
        port = free_port()
        env = {**self._hub_env(settings), f"HUB_{node.upper()}_PORT": str(port)}
        with (self.workdir / f"adapter-{node}.log").open("ab") as log:
            proc = self._spawn([sys.executable, "-m", "hub", "adapter", node], env, log)
        self.adapters[node] = (proc, port)
        return port

    async def adapters_ready(self, within_s: float = 60.0) -> None:
        deadline = time.monotonic() + within_s
        for node, (proc, port) in self.adapters.items():
            url = f"http://{HOST}:{port}/readyz"
            while not await asyncio.to_thread(get_ok, url):
                if proc.poll() is not None or time.monotonic() > deadline:
                    log = (self.workdir / f"adapter-{node}.log").read_text(errors="replace")
                    raise RuntimeError(f"hub adapter {node} not ready: {log[-2000:]}")
                await asyncio.sleep(0.2)

    def start_core(self, settings: Settings) -> None:
        for i, port in enumerate(self.core_ports):
            # `hub core` refuses the public development secret with HUB_DATABASE_URL set.
            env = {**self._hub_env(settings), "HUB_CORE_PORT": str(port), **self.core_env}
            with (self.workdir / f"core{i}.log").open("ab") as log:
                self.cores.append(self._spawn([sys.executable, "-m", "hub", "core"], env, log))

    async def core_ready(self, within_s: float = 60.0) -> None:
        deadline = time.monotonic() + within_s
        for core, port in zip(self.cores, self.core_ports, strict=True):
            url = f"http://{HOST}:{port}/readyz"
            while True:
                if core.poll() is not None:
                    raise RuntimeError(f"hub core exited ({core.returncode}); {self.log_tail()}")
                if await asyncio.to_thread(get_ok, url):
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"hub core not ready at {url}; {self.log_tail()}")
                await asyncio.sleep(0.2)

    def log_tail(self) -> str:
        path = self.workdir / "core0.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return f"log {path}:\n" + "\n".join(text.splitlines()[-20:])

    def start_raw(self, settings: Settings, raw_in: str, raw_out: str) -> None:
        argv = [sys.executable, "-m", "benchmarks.rawpipe", "--bootstrap", self.bootstrap]
        argv += ["--dsn", self.dsn, "--input", raw_in, "--output", raw_out]
        argv += ["--group", f"bench-raw-{self.tag}", "--fetch-wait-ms", "10"]
        self.raw = self._spawn(argv, dict(os.environ), subprocess.PIPE)

    async def raw_ready(self) -> None:
        assert self.raw is not None
        assert self.raw.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(self.raw.stdout.readline), 60)
        if line.strip() != b"ready":
            raise RuntimeError(f"raw pipeline did not start: {line!r}")

    def stop_raw(self) -> str:
        if self.raw is None:
            return ""
        self.raw.send_signal(signal.SIGTERM)
        try:
            out, _ = self.raw.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.raw.kill()
            out, _ = self.raw.communicate()
        self.raw = None
        return out.decode(errors="replace").strip().splitlines()[-1] if out else ""

    def start_profiler(self, path: Path) -> None:
        spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        if self.core is None or not Path(spy).exists():
            print("py-spy not found: pip install py-spy into .venv to profile the core")
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        argv = [spy, "record", "--pid", str(self.core.pid), "--rate", "200", "--format", "raw"]
        argv += ["--output", str(path), "--nonblocking", "--idle", "--threads"]
        self.profiler = self._spawn(argv, dict(os.environ), subprocess.DEVNULL)

    def stop_profiler(self) -> None:
        if self.profiler is not None:
            _stop(self.profiler, signal.SIGINT, 20)
            self.profiler = None

    def stop(self) -> None:
        self.stop_profiler()
        self.stop_raw()
        for proc, _ in self.adapters.values():
            _stop(proc, signal.SIGTERM, 20)
        for core in self.cores:
            _stop(core, signal.SIGTERM, 20)
        self.broker.stop()
        self.postgres.stop()
        if not self.keep:
            shutil.rmtree(self.workdir, ignore_errors=True)


def _stop(proc: subprocess.Popen[bytes], sig: int, grace: float) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def get_text(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own core
            return str(response.read().decode())
    except (urllib.error.URLError, OSError):
        return ""


def get_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - our own core
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False
