"""Checks a process makes before it serves: the ports it needs are free, the database answers
and is migrated, the broker answers and the topics exist. Each failure is one line that says
what to do."""

from __future__ import annotations

from hub.domain.errors import StartupError
from hub.infra import store
from hub.infra.embedded import port_taken
from hub.infra.kafka import topic_admin
from hub.settings import Settings


def ports_of_up(settings: Settings) -> list[tuple[str, int, str]]:
    """(setting, port, what listens there) for every port `hub up` will listen on."""
    needed = []
    if settings.kafka_bootstrap is None:
        needed.append(("HUB_EMBEDDED_KAFKA_PORT", settings.embedded_kafka_port, "embedded broker"))
    if settings.database_url is None:
        needed.append(
            ("HUB_EMBEDDED_POSTGRES_PORT", settings.embedded_postgres_port, "embedded PostgreSQL")
        )
    needed += [
        ("HUB_CORE_PORT", settings.core_port, "hub core"),
        ("HUB_GGK_PORT", settings.ggk_port, "GGK adapter"),
        ("HUB_VECOZO_PORT", settings.vecozo_port, "VECOZO adapter"),
    ]
    if not settings.core_relay:
        needed.append(("HUB_RELAY_PORT", settings.relay_port, "outbox relay"))
    return needed


def check_ports(settings: Settings) -> None:
    """Refuse, naming every taken port (and every port two settings share) at once, before
    `hub up` starts anything: one run tells the operator all there is to change."""
    problems = []
    first: dict[int, str] = {}
    for setting, port, what in ports_of_up(settings):
        if port in first:
            problems.append(f"{setting}={port} ({what}) is also {first[port]}")
            continue
        first[port] = setting
        why = port_taken(settings.host, port)
        if why is not None:
            problems.append(f"{setting}={port} ({what}): {why}")
    if problems:
        raise StartupError(
            f"nothing started; {len(problems)} port(s) on {settings.host} cannot be used: "
            + "; ".join(problems)
            + ". Stop what uses them or set those settings to free ports"
        )


async def check_database(settings: Settings, database_url: str) -> int:
    pool = await store.create_pool(
        database_url,
        min_size=1,
        max_size=1,
        connect_timeout=settings.startup_timeout_s,
        settings=settings,
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
    missing = await topic_admin.missing_topics(settings, bootstrap)
    if missing:
        raise StartupError(
            f"topics missing on {bootstrap}: {', '.join(missing)}; run `hub topics ensure` first"
        )


async def check(settings: Settings, bootstrap: str, database_url: str) -> None:
    await check_database(settings, database_url)
    await check_broker(settings, bootstrap)
