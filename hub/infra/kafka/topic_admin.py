"""The hub's topics on a broker: created explicitly (never by auto-creation), inspected, and the
cluster id that tells a broker which lost its data."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError

from hub.domain.errors import ConfigError
from hub.domain.topics import ALL, name
from hub.infra.kafka import security
from hub.settings import Settings

log = logging.getLogger(__name__)

_TOPIC_ALREADY_EXISTS = 36


@contextlib.asynccontextmanager
async def admin_client(settings: Settings, bootstrap: str) -> AsyncIterator[AIOKafkaAdminClient]:
    """A started admin client, or one line that names the setting when no broker answers."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap,
        request_timeout_ms=int(settings.startup_timeout_s * 1000),
        **security.client_kwargs(settings),
    )
    try:
        await asyncio.wait_for(admin.start(), settings.startup_timeout_s)
    except (KafkaError, TimeoutError, OSError) as exc:
        raise ConfigError(
            f"HUB_KAFKA_BOOTSTRAP={bootstrap}: no Kafka broker answers there ({exc or 'timeout'})"
        ) from None
    try:
        yield admin
    finally:
        await admin.close()


async def missing_topics(settings: Settings, bootstrap: str) -> list[str]:
    async with admin_client(settings, bootstrap) as admin:
        existing = set(await admin.list_topics())
    return [name(settings, spec) for spec in ALL if name(settings, spec) not in existing]


async def ensure_topics(settings: Settings, bootstrap: str) -> list[str]:
    """Create every missing topic with explicit partitions; return the ones created.

    The hub never relies on broker auto-creation: partitions bound its parallelism, so they
    are chosen here, once, from the settings.
    """
    async with admin_client(settings, bootstrap) as admin:
        return await create_missing(settings, bootstrap, admin)


async def cluster_id(admin: AIOKafkaAdminClient) -> str:
    """The cluster id the broker reports: a broker that lost everything (the embedded one
    restarted, a wiped cluster) comes back with another one."""
    described = await admin.describe_cluster()
    return str(described.get("cluster_id") or "")


async def create_missing(
    settings: Settings, bootstrap: str, admin: AIOKafkaAdminClient
) -> list[str]:
    """Create the hub topics the broker lacks; return the ones created."""
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(name(settings, spec), settings.partitions, settings.replication_factor)
            for spec in ALL
            if name(settings, spec) not in existing
        ]
        if not wanted:
            return []
        response = await admin.create_topics(wanted)
        created: list[str] = []
        for topic, code, message in response.topic_errors:
            if code == 0:
                created.append(topic)
            elif code != _TOPIC_ALREADY_EXISTS:  # a concurrent starter made it: fine
                raise ConfigError(f"could not create topic {topic}: {message} (error {code})")
        log.info("created topics: %s", ", ".join(created))
        return created
    except KafkaError as exc:
        raise ConfigError(f"could not create topics on {bootstrap}: {exc}") from None


async def partition_counts(settings: Settings, admin: AIOKafkaAdminClient) -> dict[str, int]:
    """Partitions of every hub topic the broker has."""
    names = [name(settings, spec) for spec in ALL]
    described = await admin.describe_topics(names)
    return {
        str(d["topic"]): len(d["partitions"])
        for d in described
        if d.get("error_code", 0) == 0 and d.get("partitions")
    }
