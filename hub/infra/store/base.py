"""Pools, the connection type and the ordered migrations."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib import resources

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from hub.domain.errors import ConfigError, MigrationError

log = logging.getLogger(__name__)

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


DbConnection = asyncpg.Connection | PoolConnectionProxy


# --- migrations --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations() -> tuple[Migration, ...]:
    """The ordered migrations shipped in hub/infra/migrations (NNNN_name.sql)."""
    found: list[Migration] = []
    for entry in resources.files("hub.infra.migrations").iterdir():
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
