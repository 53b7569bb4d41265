"""Every Kafka topic of the hub, one typed entry each, and their explicit creation."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError

from hub.domain.errors import ConfigError
from hub.domain.messages import Node
from hub.settings import Settings

log = logging.getLogger(__name__)

_TOPIC_ALREADY_EXISTS = 36


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """One topic: its name suffix and its contract (what the key and value are)."""

    suffix: str
    key: str
    payload: str
    description: str


INGRESS = TopicSpec(
    "ingress",
    key="uploading party code",
    payload="raw iStandaarden XML as uploaded",
    description="Everything an adapter accepted, on its way to the hub core.",
)
EGRESS = {
    node: TopicSpec(
        f"egress.{node.value}",
        key="receiving party code",
        payload="raw iStandaarden XML for the receiver",
        description=f"Messages for parties served by the {node.value} node adapter.",
    )
    for node in Node
}
EVENTS = TopicSpec(
    "events",
    key="message id",
    payload="versioned JSON domain event",
    description="Domain events for integrators (accepted, rejected, delivered, ...).",
)
DLQ = TopicSpec(
    "dlq",
    key="original key",
    payload="original bytes, with hub-dlq-* reason headers",
    description="Messages the hub could not process, with why and where they came from.",
)
PARKED = TopicSpec(
    "parked",
    key="uploading party code",
    payload="raw XML held during a release freeze",
    description="Messages held during a freeze, released or returned at cutover.",
)

ALL: tuple[TopicSpec, ...] = (INGRESS, *EGRESS.values(), EVENTS, DLQ, PARKED)


def name(settings: Settings, spec: TopicSpec) -> str:
    return settings.topic(spec.suffix)


def egress_name(settings: Settings, node: Node) -> str:
    return name(settings, EGRESS[node])


@contextlib.asynccontextmanager
async def admin_client(settings: Settings, bootstrap: str) -> AsyncIterator[AIOKafkaAdminClient]:
    """A started admin client, or one line that names the setting when no broker answers."""
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
