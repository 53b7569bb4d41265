"""What `hub up` sets up before it starts its processes: the broker and database (configured, or
embedded ones it starts), then migrations, the party registry, demo tokens and topics."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from hub.domain.parties import PartyRegistry, new_token
from hub.infra import store
from hub.infra.embedded import EmbeddedBroker, EmbeddedPostgres
from hub.infra.kafka import topic_admin
from hub.infra.store import recovery
from hub.settings import Settings

# Under the supervisor's name: `hub up`'s log lines name one logger, whichever module does the work.
log = logging.getLogger("hub.ops.supervisor")

DEMO_TOKEN_LABEL = "demo"  # noqa: S105 - a label, not a secret


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
    # blind: whatever ends the start (Ctrl-C too), what was started is stopped, then raised again
    except BaseException:
        if broker is not None:
            broker.stop()
        if postgres is not None:
            postgres.stop()
        raise
    return Infrastructure(bootstrap, database_url, broker, postgres)


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
    pool = await store.create_pool(
        database_url, connect_timeout=settings.startup_timeout_s, settings=settings
    )
    try:
        await store.migrate(pool)
        version = await store.schema_version(pool)
        imported = await store.upsert_parties(pool, list(registry))
        tokens = await _demo_tokens(pool, demo_parties)
        if demo_parties:
            await _demo_history(pool, settings)
        async with topic_admin.admin_client(settings, bootstrap) as admin:
            created = await topic_admin.create_missing(settings, bootstrap, admin)
            # Topics this database's hub had before, created again: the broker lost its
            # data (the embedded one always has, after a restart). Recorded now, so the
            # processes started next recover what it took (hub.infra.kafka.brokerwatch).
            await recovery.observe(pool, await topic_admin.cluster_id(admin), bool(created))
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


async def _demo_history(pool: store.Pool, settings: Settings) -> None:
    """Seed the demo's back-dated history (hub.ops.demo_history) before its traffic starts."""
    from hub.domain.eigenbijdrage.policy import load_policy
    from hub.domain.packs import PackRegistry, load_packs
    from hub.domain.validation import Validator
    from hub.domain.workdays import local_date
    from hub.ops import demo_history

    try:
        validator = Validator(load_packs([*PackRegistry.default_dirs(), *settings.extra_pack_dirs]))
        seeded = await demo_history.seed(
            pool, validator, settings.person_key_secret.get_secret_value().encode(),
            load_policy(settings.eb_policy_file), local_date(datetime.now(UTC)),
        )  # fmt: skip
    except Exception as exc:  # blind: the demo's history is a nicety; the hub starts without it
        log.warning("demo history not seeded: %s", exc)
        return
    print(seeded.line(), flush=True)


def write_secret_json(path: Path, data: Mapping[str, str]) -> None:
    """Write a JSON file only its owner can read; replaced atomically, never world-readable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
            os.fchmod(out.fileno(), 0o600)  # O_CREAT's mode does not apply to a leftover file
            json.dump(dict(data), out, indent=2, sort_keys=True)
    # blind: whatever ends the write (Ctrl-C too), no half-written secret is left; raised again
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)
