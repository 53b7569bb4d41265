"""A poison message cannot stop the hub: on the real broker and PostgreSQL, one message of a
busy stream whose decision raises (as a pack without the retour schemas made hub/domain/retour.py
raise KeyError) is tried HUB_INTAKE_MAX_ATTEMPTS times and then dead-lettered alone, and every
other message of the stream reaches its receiver's egress topic exactly once."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from aiokafka import AIOKafkaConsumer

from handlers import intake
from hub.domain import decide, topics
from hub.domain.headers import H
from hub.domain.messages import Node
from hub.infra import background
from hub.infra.kafka import topic_admin
from hub.infra.outbox import Relay, make_producer
from hub.infra.runtime import Runtime
from tests.e2e.traffic import bsns, message

pytestmark = pytest.mark.e2e

COUNT = 50
GEMEENTE = "0363"
DEADLINE_S = 45.0


def _poison(monkeypatch: pytest.MonkeyPatch, poison: UUID) -> Counter[UUID]:
    """The seam: deciding `poison` raises KeyError; returns how often it was tried."""
    tries: Counter[UUID] = Counter()
    real = decide.heen

    def heen(ctx: decide.Context, item: decide.Incoming, *args: Any) -> decide.Decision:
        if item.id == poison:
            tries[item.id] += 1
            raise KeyError("WMO302")
        return real(ctx, item, *args)

    monkeypatch.setattr(decide, "heen", heen)
    return tries


async def _produce(runtime: Runtime, ids: Sequence[UUID]) -> None:
    """The stream as the ggk adapter writes it: 301s of distinct clients, keyed by person."""
    producer = make_producer(runtime.settings, runtime.bootstrap)
    await producer.start()
    try:
        persons = bsns(7)
        now = datetime.now(UTC).isoformat().encode()
        sent = []
        for n, message_id in enumerate(ids):
            bsn = next(persons)
            headers = [
                (H.MESSAGE_ID.value, str(message_id).encode()),
                (H.NODE.value, b"ggk"),
                (H.PARTY.value, GEMEENTE.encode()),
                (H.RECEIVED_AT.value, now),
            ]
            sent.append(
                await producer.send(
                    topics.name(runtime.settings, topics.INGRESS),
                    message("301", f"PZ{n:010d}", bsn),
                    key=bsn.encode(),
                    headers=headers,
                )
            )
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def _egress_counts(runtime: Runtime, expected: int) -> Counter[str]:
    """How often each message id arrived on the provider node's egress topic: read until
    `expected` ids arrived, then a second more (a duplicate would come then)."""
    consumer = AIOKafkaConsumer(
        topics.egress_name(runtime.settings, Node.VECOZO),
        bootstrap_servers=runtime.bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    counts: Counter[str] = Counter()
    try:
        deadline = time.monotonic() + DEADLINE_S
        settle_until: float | None = None
        while time.monotonic() < (settle_until or deadline):
            batches = await consumer.getmany(timeout_ms=200)
            for records in batches.values():
                for record in records:
                    headers = {k: bytes(v).decode() for k, v in record.headers or ()}
                    counts[headers[H.MESSAGE_ID.value]] += 1
            if settle_until is None and len(counts) >= expected:
                settle_until = time.monotonic() + 1.0
    finally:
        await consumer.stop()
    return counts


async def test_a_poison_message_is_dead_lettered_alone_and_the_stream_flows_on(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = runtime.settings
    assert settings.intake_max_attempts == 3
    await topic_admin.ensure_topics(settings, runtime.bootstrap)
    ids = [uuid4() for _ in range(COUNT)]
    poison = ids[COUNT // 3]
    tries = _poison(monkeypatch, poison)
    # The whole stream waits on ingress before the core starts: its batches hold the poison
    # message among others of both partitions.
    await _produce(runtime, ids)

    runtime.broker.include_router(intake.build_router(runtime))
    producer = make_producer(settings, runtime.bootstrap)
    await producer.start()
    relay = Relay(runtime.pool, producer)
    runtime.attach_relay(relay.want_claim, relay.offer)
    await runtime.broker.start()
    try:
        async with background.running({"outbox-relay": relay}):
            counts = await _egress_counts(runtime, COUNT - 1)
            deadline = time.monotonic() + DEADLINE_S
            while time.monotonic() < deadline:
                status = await runtime.pool.fetchval(
                    "SELECT status FROM message WHERE id = $1", poison
                )
                if status is not None:
                    break
                await asyncio.sleep(0.1)
    finally:
        await runtime.broker.stop()
        runtime.attach_relay(None)
        await producer.stop()

    others = {str(i) for i in ids if i != poison}
    assert set(counts) == others, f"missing {len(others - set(counts))}"
    assert {n for n in counts.values()} == {1}, "a message was delivered twice"
    assert tries[poison] == 3
    rows = await runtime.pool.fetch("SELECT id, status FROM message WHERE id = ANY($1)", ids)
    statuses = {r["id"]: r["status"] for r in rows}
    assert statuses.pop(poison) == "dead-lettered"
    assert set(statuses.values()) == {"accepted"}
    assert len(statuses) == COUNT - 1
    letter = await runtime.pool.fetchrow("SELECT message_id, stage, error, reason FROM dead_letter")
    assert letter is not None
    assert dict(letter) == {
        "message_id": poison,
        "stage": "decide",
        "error": "KeyError",
        "reason": "decide raised KeyError: 'WMO302'",
    }
