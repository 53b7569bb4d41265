"""Checks a process makes before it serves: the database answers and is migrated, the broker
answers and the topics exist. Each failure is one line that says what to do."""

from __future__ import annotations

from hub import store, topics
from hub.errors import StartupError
from hub.settings import Settings


async def check_database(settings: Settings, database_url: str) -> int:
    pool = await store.create_pool(
        database_url, min_size=1, max_size=1, connect_timeout=settings.startup_timeout_s
    )
    try:
        has_schema = await pool.fetchval("SELECT to_regclass('schema_migration') IS NOT NULL")
        found = await store.schema_version(pool) if has_schema else 0
    finally:
        await pool.close()
    expected = max(m.version for m in store.migrations())
    if found < expected:
        raise StartupError(
            f"database schema is at version {found}, this hub needs {expected}: "
            "run `hub db upgrade` first"
        )
    return found


async def check_broker(settings: Settings, bootstrap: str) -> None:
    missing = await topics.missing_topics(settings, bootstrap)
    if missing:
        raise StartupError(
            f"topics missing on {bootstrap}: {', '.join(missing)}; run `hub topics ensure` first"
        )


async def check(settings: Settings, bootstrap: str, database_url: str) -> None:
    await check_database(settings, database_url)
    await check_broker(settings, bootstrap)
