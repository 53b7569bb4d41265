"""`hub up`: starts the infrastructure it must, then the core and both adapters, and stops
them all, in reverse order, on Ctrl-C."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

from hub import store, topics
from hub.embedded import (
    EmbeddedBroker,
    EmbeddedPostgres,
    die_with_parent,
    ensure_port_free,
)
from hub.errors import StartupError
from hub.parties import PartyRegistry, load_parties, new_token
from hub.settings import Settings
from hub.store import recovery

log = logging.getLogger(__name__)

T = TypeVar("T")
DEMO_TOKEN_LABEL = "demo"  # noqa: S105 - a label, not a secret


@dataclass
class Child:
    name: str
    argv: list[str]
    ready_url: str | None
    proc: subprocess.Popen[bytes] | None = None


@dataclass
class Infrastructure:
    """Where the broker and database are, and the embedded ones we started (if any)."""

    bootstrap: str
    database_url: str
    broker: EmbeddedBroker | None = None
    postgres: EmbeddedPostgres | None = None

    def stop(self) -> None:
        if self.broker is not None:
            self.broker.stop()
        if self.postgres is not None:
            self.postgres.stop()


def start_infrastructure(settings: Settings) -> Infrastructure:
    """Use the configured broker/database, or start embedded ones under data_dir."""
    data = settings.data_dir.resolve()
    broker: EmbeddedBroker | None = None
    postgres: EmbeddedPostgres | None = None
    try:
        if settings.database_url is None:
            postgres = EmbeddedPostgres(
                data_dir=data / "postgres",
                host=settings.host,
                port=settings.embedded_postgres_port,
                log_path=data / "logs" / "postgres.log",
            )
            database_url = postgres.start(timeout=max(30.0, settings.startup_timeout_s))
        else:
            database_url = settings.database_url
        if settings.kafka_bootstrap is None:
            broker = EmbeddedBroker(
                host=settings.host,
                port=settings.embedded_kafka_port,
                log_path=data / "logs" / "broker.log",
            )
            bootstrap = broker.start(timeout=settings.startup_timeout_s)
        else:
            bootstrap = settings.kafka_bootstrap
    except BaseException:
        if broker is not None:
            broker.stop()
        if postgres is not None:
            postgres.stop()
        raise
    return Infrastructure(bootstrap, database_url, broker, postgres)


def on_database(settings: Settings, work: Callable[[str], Coroutine[Any, Any, T]]) -> T:
    """Run `work(database_url)` against HUB_DATABASE_URL or, when that is unset, against the
    embedded database `hub up` uses: the running one, or one started for the duration."""
    if settings.database_url is not None:
        return asyncio.run(work(settings.database_url))
    running = running_embedded_postgres(settings)
    if running is not None:  # a `hub up` holds it: share, don't start a second server
        return asyncio.run(work(running))
    infra = start_infrastructure(settings.model_copy(update={"kafka_bootstrap": "unused:1"}))
    try:
        return asyncio.run(work(infra.database_url))
    finally:
        infra.stop()


def running_embedded_postgres(settings: Settings) -> str | None:
    """The URL of the embedded PostgreSQL that runs on data_dir now (a `hub up`), if any."""
    data = settings.data_dir.resolve()
    try:
        lines = (data / "postgres" / "postmaster.pid").read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
    except (OSError, ValueError, IndexError):
        return None
    if port != settings.embedded_postgres_port or not Path(f"/proc/{pid}").exists():
        return None
    server = EmbeddedPostgres(data / "postgres", settings.host, port, data / "logs" / "pg.log")
    return server.dsn


@dataclass(frozen=True)
class Prepared:
    version: int  # schema version
    created: list[str]  # topics created
    parties: store.PartyImport
    tokens: dict[str, str]  # demo tokens by party code (empty without --demo)


async def prepare(
    settings: Settings,
    bootstrap: str,
    database_url: str,
    registry: PartyRegistry,
    demo_parties: Sequence[str] = (),
) -> Prepared:
    """Apply migrations, import the party registry, issue demo tokens, create topics."""
    pool = await store.create_pool(database_url, connect_timeout=settings.startup_timeout_s)
    try:
        await store.migrate(pool)
        version = await store.schema_version(pool)
        imported = await store.upsert_parties(pool, list(registry))
        tokens = await _demo_tokens(pool, demo_parties)
        async with topics.admin_client(settings, bootstrap) as admin:
            created = await topics.create_missing(settings, bootstrap, admin)
            # Topics this database's hub had before, created again: the broker lost its
            # data (the embedded one always has, after a restart). Recorded now, so the
            # processes started next recover what it took (hub.brokerwatch).
            await recovery.observe(pool, await topics.cluster_id(admin), bool(created))
    finally:
        await pool.close()
    return Prepared(version, created, imported, tokens)


async def _demo_tokens(pool: store.Pool, codes: Sequence[str]) -> dict[str, str]:
    """Fresh tokens for the demo parties; the previous demo's tokens stop working."""
    tokens: dict[str, str] = {}
    for code in codes:
        if await store.get_party(pool, code) is None:
            log.warning("demo party %s is not in the party registry; it gets no token", code)
            continue
        await store.revoke_tokens(pool, code, label=DEMO_TOKEN_LABEL)
        token = new_token()
        await store.add_token(pool, code, token, label=DEMO_TOKEN_LABEL)
        tokens[code] = token
    return tokens


def write_secret_json(path: Path, data: Mapping[str, str]) -> None:
    """Write a JSON file only its owner can read; replaced atomically, never world-readable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
            os.fchmod(out.fileno(), 0o600)  # O_CREAT's mode does not apply to a leftover file
            json.dump(dict(data), out, indent=2, sort_keys=True)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)


@dataclass
class Supervisor:
    settings: Settings
    demo: bool = False
    children: list[Child] = field(default_factory=list)
    _stopping: bool = False

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self._stopping = True

    def run(self) -> int:
        settings = self.settings
        ports = [
            (settings.core_port, "the hub core", "HUB_CORE_PORT"),
            (settings.ggk_port, "the GGK adapter", "HUB_GGK_PORT"),
            (settings.vecozo_port, "the VECOZO adapter", "HUB_VECOZO_PORT"),
        ]
        if not settings.core_relay:
            ports.append((settings.relay_port, "the outbox relay", "HUB_RELAY_PORT"))
        for port, what, setting in ports:
            ensure_port_free(settings.host, port, what, setting)
        # A broken parties file ends `hub up` before anything starts.
        registry = load_parties(settings.parties_file, settings.cak_party_code)
        demo_parties: tuple[str, ...] = ()
        if self.demo:
            from hub.demo import demo_party_codes

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
            self._spawn_all(env)
            self._banner(infra, prepared)
            return self._watch()
        finally:
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
        child.proc = subprocess.Popen(
            child.argv,
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

    def _banner(self, infra: Infrastructure, prepared: Prepared) -> None:
        s = self.settings
        version, created, parties = prepared.version, prepared.created, prepared.parties
        total = len(parties.added) + len(parties.changed) + parties.unchanged
        kafka = "embedded tansu" if infra.broker else "external"
        database = (
            "embedded, data in " + str(s.data_dir / "postgres") if infra.postgres else "external"
        )
        demo = "off (make run DEMO=1)"
        if self.demo:
            demo = f"feeding traffic as {len(prepared.tokens)} parties (tokens in data_dir)"
        lines = [
            "isd-hub is running",
            f"  kafka       {infra.bootstrap}  ({kafka}; topics prefix '{s.topic_prefix}.',"
            f" {len(created)} created)",
            f"  postgresql  {redact(infra.database_url)}  ({database}; schema v{version})",
            f"  parties     {total} from {s.parties_file}  ({len(parties.added)} added,"
            f" {len(parties.changed)} changed; tokens: `hub party token issue CODE`)",
            f"  hub core    http://{s.host}:{s.core_port}  (/readyz /metrics)",
            *(
                []
                if s.core_relay
                else [f"  relay       http://{s.host}:{s.relay_port}  (its own process; /metrics)"]
            ),
            f"  ggk         http://{s.host}:{s.ggk_port}  (gemeenten; API docs at /docs; /metrics)",
            f"  vecozo      http://{s.host}:{s.vecozo_port}  (zorgaanbieders; /docs; /metrics)",
            f"  metrics     http://{s.host}:{s.core_port}/metrics"
            f" http://{s.host}:{s.ggk_port}/metrics http://{s.host}:{s.vecozo_port}/metrics"
            "  (observability/prometheus/prometheus.yml scrapes these)",
            f"  demo        {demo}",
            "Ctrl-C stops everything.",
        ]
        print("\n".join(lines), flush=True)

    def _watch(self) -> int:
        while not self._stopping:
            for child in self.children:
                if child.proc is None:
                    continue
                code = child.proc.poll()
                if code is not None:
                    if child.name == "demo" and code == 0:
                        child.proc = None
                        continue
                    log.error("%s exited with status %s; stopping the stack", child.name, code)
                    return 1
            time.sleep(0.2)
        return 0

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


def redact(url: str) -> str:
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}@{host}"
