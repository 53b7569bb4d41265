"""Checks a process makes before it serves: the database answers and is migrated, the broker
answers and the topics exist. Each failure is one line that says what to do."""

from __future__ import annotations

import asyncio

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from hub import store, topics
from hub.errors import ConfigError, StartupError
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
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, request_timeout_ms=int(settings.startup_timeout_s * 1000)
    )
    try:
        await asyncio.wait_for(admin.start(), settings.startup_timeout_s)
    except (KafkaError, TimeoutError, OSError) as exc:
        raise ConfigError(
            f"HUB_KAFKA_BOOTSTRAP={bootstrap}: no Kafka broker answers there ({exc or 'timeout'})"
        ) from None
    try:
        existing = set(await admin.list_topics())
    finally:
        await admin.close()
    missing = [
        topics.name(settings, spec)
        for spec in topics.ALL
        if topics.name(settings, spec) not in existing
    ]
    if missing:
        raise StartupError(
            f"topics missing on {bootstrap}: {', '.join(missing)}; run `hub topics ensure` first"
        )


async def check(settings: Settings, bootstrap: str, database_url: str) -> None:
    await check_database(settings, database_url)
    await check_broker(settings, bootstrap)
