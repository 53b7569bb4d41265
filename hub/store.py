"""All SQL of the hub (asyncpg): typed rows in, frozen dataclasses out, and the migrations."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from uuid import UUID

import asyncpg

from hub.errors import ConfigError, MigrationError

log = logging.getLogger(__name__)

# Serialises concurrent migrators (several cores starting at once) on one cluster.
_MIGRATION_LOCK = 0x15D_0B5

Pool = asyncpg.Pool


async def create_pool(
    dsn: str, *, min_size: int = 1, max_size: int = 10, connect_timeout: float = 15.0
) -> Pool:
    """Open a pool or fail with the setting to fix."""
    try:
        pool = await asyncpg.create_pool(
            dsn, min_size=min_size, max_size=max_size, timeout=connect_timeout, command_timeout=60
        )
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        raise ConfigError(f"HUB_DATABASE_URL: cannot connect to PostgreSQL ({exc})") from None
    assert pool is not None
    return pool


# --- migrations --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations() -> tuple[Migration, ...]:
    """The ordered migrations shipped in hub/migrations (NNNN_name.sql)."""
    found: list[Migration] = []
    for entry in resources.files("hub.migrations").iterdir():
        if not entry.name.endswith(".sql"):
            continue
        stem = entry.name.removesuffix(".sql")
        number, _, label = stem.partition("_")
        if not number.isdigit():
            raise MigrationError(f"migration file {entry.name} must start with a number")
        found.append(Migration(int(number), label, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two migrations share a number: {versions}")
    return tuple(found)


async def migrate(pool: Pool) -> list[Migration]:
    """Apply every migration not yet applied, each in its own transaction; a re-run is a no-op."""
    applied: list[Migration] = []
    async with pool.acquire() as conn:
        await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
        try:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migration ("
                " version integer PRIMARY KEY, name text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migration")}
            for migration in migrations():
                if migration.version in done:
                    continue
                try:
                    async with conn.transaction():
                        await conn.execute(migration.sql)
                        await conn.execute(
                            "INSERT INTO schema_migration (version, name) VALUES ($1, $2)",
                            migration.version,
                            migration.name,
                        )
                except asyncpg.PostgresError as exc:
                    raise MigrationError(
                        f"migration {migration.version:04d}_{migration.name} failed: {exc}"
                    ) from None
                log.info("applied migration %04d_%s", migration.version, migration.name)
                applied.append(migration)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
    return applied


async def schema_version(pool: Pool) -> int:
    row = await pool.fetchval("SELECT coalesce(max(version), 0) FROM schema_migration")
    return int(row)


# --- ledger ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IngressRow:
    """A message as the core records it on arrival."""

    id: UUID
    received_at: datetime
    source_node: str
    submitted_by: str
    namespace: str | None
    bericht_code: str | None
    afzender: str | None
    ontvanger: str | None
    identificatie: str | None
    status: str
    payload: bytes
    ingress_partition: int | None
    ingress_offset: int | None


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    id: UUID
    received_at: datetime
    source_node: str
    submitted_by: str
    bericht_code: str | None
    afzender: str | None
    ontvanger: str | None
    identificatie: str | None
    status: str


@dataclass(frozen=True, slots=True)
class InboxItem:
    message_id: UUID
    party: str
    bericht_code: str | None
    afzender: str | None
    identificatie: str | None
    available_at: datetime
    downloaded_at: datetime | None


async def record_messages(pool: Pool, rows: Sequence[IngressRow]) -> set[UUID]:
    """Insert ledger rows; return the ids that were new (a redelivered id is skipped)."""
    if not rows:
        return set()
    async with pool.acquire() as conn:
        inserted = await conn.fetch(
            """
            INSERT INTO message (id, received_at, source_node, submitted_by, namespace,
                                 bericht_code, afzender, ontvanger, identificatie, status,
                                 payload, payload_sha256, ingress_partition, ingress_offset)
            SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[],
                                 $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                                 $10::text[], $11::bytea[], $12::bytea[], $13::int[],
                                 $14::bigint[])
            ON CONFLICT (id) DO NOTHING
            RETURNING id
            """,
            [r.id for r in rows],
            [r.received_at for r in rows],
            [r.source_node for r in rows],
            [r.submitted_by for r in rows],
            [r.namespace for r in rows],
            [r.bericht_code for r in rows],
            [r.afzender for r in rows],
            [r.ontvanger for r in rows],
            [r.identificatie for r in rows],
            [r.status for r in rows],
            [r.payload for r in rows],
            [hashlib.sha256(r.payload).digest() for r in rows],
            [r.ingress_partition for r in rows],
            [r.ingress_offset for r in rows],
        )
    return {r["id"] for r in inserted}


async def ledger_entry(pool: Pool, message_id: UUID) -> LedgerEntry | None:
    row = await pool.fetchrow(
        "SELECT id, received_at, source_node, submitted_by, bericht_code, afzender, ontvanger,"
        " identificatie, status FROM message WHERE id = $1",
        message_id,
    )
    return LedgerEntry(**dict(row)) if row else None


async def count_messages(pool: Pool) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM message"))


async def add_deliveries(pool: Pool, node: str, items: Sequence[tuple[UUID, str]]) -> int:
    """Put (message id, party) pairs in the inbox; a redelivered pair is ignored."""
    if not items:
        return 0
    result = await pool.execute(
        """
        INSERT INTO delivery (message_id, node, party)
        SELECT m, $1, p FROM unnest($2::uuid[], $3::text[]) AS t(m, p)
        ON CONFLICT (message_id, party) DO NOTHING
        """,
        node,
        [m for m, _ in items],
        [p for _, p in items],
    )
    return int(result.split()[-1])


async def inbox(pool: Pool, node: str, party: str, limit: int = 100) -> list[InboxItem]:
    rows = await pool.fetch(
        """
        SELECT d.message_id, d.party, m.bericht_code, m.afzender, m.identificatie,
               d.available_at, d.downloaded_at
        FROM delivery d JOIN message m ON m.id = d.message_id
        WHERE d.node = $1 AND d.party = $2 AND d.acked_at IS NULL
        ORDER BY d.id
        LIMIT $3
        """,
        node,
        party,
        limit,
    )
    return [InboxItem(**dict(r)) for r in rows]


async def download(pool: Pool, node: str, party: str, message_id: UUID) -> bytes | None:
    """The payload of a message in this party's inbox (None when it is not theirs)."""
    row = await pool.fetchrow(
        """
        UPDATE delivery d SET downloaded_at = coalesce(d.downloaded_at, now())
        FROM message m
        WHERE m.id = d.message_id AND d.node = $1 AND d.party = $2 AND d.message_id = $3
        RETURNING m.payload
        """,
        node,
        party,
        message_id,
    )
    return bytes(row["payload"]) if row else None


async def acknowledge(pool: Pool, node: str, party: str, message_id: UUID) -> bool:
    result = await pool.execute(
        "UPDATE delivery SET acked_at = coalesce(acked_at, now())"
        " WHERE node = $1 AND party = $2 AND message_id = $3",
        node,
        party,
        message_id,
    )
    return result.split()[-1] != "0"
