"""The hub's own broker wiring against the real embedded broker."""

from __future__ import annotations

import asyncio

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from hub.domain import topics
from hub.infra.kafka import topic_admin
from hub.infra.kafka.broker import build_broker
from hub.settings import Settings


async def test_topics_are_created_once_with_explicit_partitions(settings: Settings) -> None:
    bootstrap = settings.kafka_bootstrap
    assert bootstrap is not None
    created = await topic_admin.ensure_topics(settings, bootstrap)
    assert sorted(created) == sorted(topics.name(settings, s) for s in topics.ALL)
    assert await topic_admin.ensure_topics(settings, bootstrap) == []


async def test_produce_and_consume_through_hub_wiring(settings: Settings) -> None:
    bootstrap = settings.kafka_bootstrap
    assert bootstrap is not None
    await topic_admin.ensure_topics(settings, bootstrap)
    ingress = topics.name(settings, topics.INGRESS)
    broker: KafkaBroker = build_broker(settings, bootstrap, client_id="test")
    received: list[tuple[bytes, str]] = []
    done = asyncio.Event()

    @broker.subscriber(
        ingress,
        group_id=settings.consumer_group,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=10,
        ack_policy=AckPolicy.ACK,
    )
    async def consume(body: bytes, msg: KafkaMessage) -> None:
        received.append((body, msg.headers.get("hub-party", "")))
        if len(received) == 3:
            done.set()

    async with broker:
        await broker.start()
        for i in range(3):
            await broker.publish(
                f"<Bericht n='{i}'/>".encode(), ingress, key=b"0363", headers={"hub-party": "0363"}
            )
        await asyncio.wait_for(done.wait(), 30)
    assert {p for _, p in received} == {"0363"}
    assert sorted(b for b, _ in received) == [f"<Bericht n='{i}'/>".encode() for i in range(3)]
