"""Pools, the connection type and the ordered migrations."""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from hub.domain.errors import ConfigError, MigrationError
from hub.settings import Settings

log = logging.getLogger(__name__)

_MIGRATION_LOCK = 0x15D_0B5

Pool = asyncpg.Pool


async def create_pool(
    dsn: str,
    *,
    min_size: int = 1,
    max_size: int = 10,
    connect_timeout: float = 15.0,
    settings: Settings | None = None,
) -> Pool:
    """Open a pool or fail with the setting to fix; with `settings`, over TLS as its
    HUB_DATABASE_SSL* settings say (every pool of a hub process is opened here)."""
    tls = database_tls(settings) if settings is not None else None  # None: as the URL says
    try:
        pool = await asyncpg.create_pool(
            dsn,
            min_size=min_size,
            max_size=max_size,
            timeout=connect_timeout,
            command_timeout=60,
            ssl=tls,
            reset=_keep_session,
        )
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        raise ConfigError(f"HUB_DATABASE_URL: cannot connect to PostgreSQL ({exc})") from None
    assert pool is not None
    return pool


async def _keep_session(conn: asyncpg.Connection) -> None:
    """What a connection needs before it goes back to the pool: nothing beyond asyncpg's own
    part (an open transaction rolled back, listeners dropped), which runs before this.

    asyncpg's default sends RESET ALL, CLOSE ALL, UNLISTEN * and pg_advisory_unlock_all on
    every release: a round trip that cost PostgreSQL and the releasing process more than some
    of the queries (six releases per uploaded message). The hub keeps no state in a session:
    its settings are SET LOCAL, its locks are transaction-scoped (pg_advisory_xact_lock),
    it declares no cursors and listens to nothing; the one session lock, the migrations',
    is released in a `finally` (and a connection whose unlock failed is broken anyway)."""


DbConnection = asyncpg.Connection | PoolConnectionProxy

_FILES = ("ca", "cert", "key")


def database_tls(settings: Settings) -> ssl.SSLContext | Literal["disable", "prefer"] | None:
    """asyncpg's `ssl=` for HUB_DATABASE_SSLMODE and its files, as libpq reads sslmode: None
    leaves it to the URL; verify-ca / verify-full check the server's certificate against
    HUB_DATABASE_SSL_CA_FILE (else the system's trust store), verify-full its host name too;
    require encrypts and checks only when a CA file is given. ConfigError names the setting."""
    mode = settings.database_sslmode
    ca = settings.database_ssl_ca_file
    cert, key = settings.database_ssl_cert_file, settings.database_ssl_key_file
    files = {"ca": ca, "cert": cert, "key": key}
    given = [f"HUB_DATABASE_SSL_{name.upper()}_FILE" for name in _FILES if files[name]]
    if mode in ("", "disable", "prefer"):
        if given:
            raise ConfigError(
                f"{given[0]}: TLS files need HUB_DATABASE_SSLMODE=require, verify-ca or "
                f"verify-full (it is {mode or 'unset'})"
            )
        return None if mode == "" else mode
    if (cert is None) != (key is None):
        raise ConfigError(
            "HUB_DATABASE_SSL_CERT_FILE / HUB_DATABASE_SSL_KEY_FILE: a client certificate "
            "needs both"
        )
    for name in _FILES:
        _readable(f"HUB_DATABASE_SSL_{name.upper()}_FILE", files[name])
    try:
        if mode == "require" and ca is None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE  # libpq's require: encrypted, unverified
        else:
            context = ssl.create_default_context(cafile=str(ca) if ca else None)
            context.check_hostname = mode == "verify-full"
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"HUB_DATABASE_SSL_CA_FILE: cannot load {ca} ({exc})") from None
    if cert is not None and key is not None:
        try:
            context.load_cert_chain(str(cert), str(key))
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(
                f"HUB_DATABASE_SSL_CERT_FILE: cannot load {cert} with key {key} ({exc})"
            ) from None
    return context


def _readable(setting: str, path: Path | None) -> None:
    if path is not None and not path.is_file():
        raise ConfigError(f"{setting}: {path} does not exist or is not a file")


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
