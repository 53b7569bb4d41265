"""The outbox (migration 0011): references to ledger payloads instead of copies, held rows for
the core's direct publish, and the relay's two paths (direct and claim) on a real broker and
PostgreSQL, including the fall-back to the claim when a direct publish fails."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from hub.domain import topics
from hub.domain.headers import H
from hub.domain.records import OutboxMessage
from hub.infra import outbox, store
from hub.infra.kafka import topic_admin
from hub.infra.outbox import Relay, make_producer
from hub.infra.store import outbox as table
from hub.infra.store import retention
from hub.settings import Settings
from tests.adapterkit import read_topic
from tests.ledgerkit import ingress_row


def _ledger_row(payload: bytes) -> store.IngressRow:
    return ingress_row(payload, identificatie=uuid4().hex[:12])


def _message(topic: str, row_id: str, payload: bytes) -> OutboxMessage:
    return OutboxMessage(topic, b"0363", payload, {H.MESSAGE_ID.value: row_id})


async def test_a_ledger_payload_is_referenced_not_copied(pool: store.Pool) -> None:
    row = _ledger_row(b"<Bericht>egress</Bericht>")
    await store.record_messages(pool, [row])
    same = _message("t.egress.ggk", str(row.id), row.payload)
    # Same id but other bytes (an event about the message): its own payload is kept.
    event = _message("t.events", str(row.id), b'{"type": "message.accepted"}')
    async with pool.acquire() as conn, conn.transaction():
        ids = await table.add(conn, [same, event], ledger_payloads={str(row.id): row.payload})
    assert len(ids) == 2
    assert ids == sorted(ids)
    stored = await pool.fetch("SELECT id, payload, payload_of FROM outbox ORDER BY id")
    assert [(r["payload"], r["payload_of"]) for r in stored] == [
        (None, row.id),
        (event.payload, None),
    ]
    assert [r["id"] for r in stored] == ids
    resolved = await pool.fetch("SELECT payload FROM outbox_resolved ORDER BY id")
    assert [bytes(r["payload"]) for r in resolved] == [row.payload, event.payload]
    # The claim sends the ledger's bytes, in id order.
    async with pool.acquire() as conn, conn.transaction():
        claimed = await table.claim(conn, 10)
    assert [(m.topic, m.payload) for m in claimed] == [
        ("t.egress.ggk", row.payload),
        ("t.events", event.payload),
    ]
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 0


async def test_a_row_needs_a_payload_or_a_reference(pool: store.Pool) -> None:
    import asyncpg

    with pytest.raises(asyncpg.CheckViolationError):
        await pool.execute("INSERT INTO outbox (topic, headers) VALUES ('t', '{}')")


async def test_held_rows_are_claimed_only_after_their_hold_or_when_asked(
    pool: store.Pool,
) -> None:
    async with pool.acquire() as conn, conn.transaction():
        held = await table.add(conn, [_message("t.a", "x", b"held")], hold_s=30)
        free = await table.add(conn, [_message("t.a", "y", b"free")])
    async with pool.acquire() as conn, conn.transaction():
        assert [m.payload for m in await table.claim(conn, 10)] == [b"free"]
    async with pool.acquire() as conn, conn.transaction():
        assert await table.claim(conn, 10) == []
    await pool.execute("UPDATE outbox SET hold_until = now() - interval '1 second'")
    async with pool.acquire() as conn, conn.transaction():
        assert [m.payload for m in await table.claim(conn, 10)] == [b"held"]
    async with pool.acquire() as conn, conn.transaction():
        await table.add(conn, [_message("t.a", "z", b"again")], hold_s=30)
    async with pool.acquire() as conn, conn.transaction():
        assert [m.payload for m in await table.claim(conn, 10, held_too=True)] == [b"again"]
    assert held[0] < free[0]


async def test_the_purge_spares_a_payload_an_outbox_row_names(pool: store.Pool) -> None:
    row = _ledger_row(b"<Bericht>waiting</Bericht>")
    await store.record_messages(pool, [row])
    # Named only by payload_of (no hub-message-id header): still kept.
    await pool.execute(
        "INSERT INTO outbox (topic, payload_of, headers) VALUES ('t.egress.ggk', $1, '{}')",
        row.id,
    )
    cutoff = datetime.now(UTC) + timedelta(days=1)
    assert (await retention.purge(pool, cutoff)).messages == 0
    await pool.execute("DELETE FROM outbox")
    assert (await retention.purge(pool, cutoff)).messages == 1


async def _records(settings: Settings, topic: str, count: int) -> list[Any]:
    """The topic's records once `count` are there, and a moment later (so one too many
    would show)."""
    await read_topic(settings, topic, lambda found: len(found) >= count, 20)
    await asyncio.sleep(0.3)
    return await read_topic(settings, topic, lambda found: len(found) >= count, 20)


@pytest.fixture
async def relay(settings: Settings, pool: store.Pool) -> AsyncIterator[Relay]:
    assert settings.kafka_bootstrap is not None
    await topic_admin.ensure_topics(settings, settings.kafka_bootstrap)
    producer = make_producer(settings, settings.kafka_bootstrap)
    await producer.start()
    relay = Relay(pool, producer, idle_poll_s=0.05)
    task = asyncio.create_task(relay.run())
    yield relay
    relay.stop()
    await task
    await producer.stop()


async def _queue(
    pool: store.Pool, messages: Sequence[OutboxMessage], hold_s: float | None
) -> list[int]:
    async with pool.acquire() as conn, conn.transaction():
        return await outbox.add(conn, messages, hold_s=hold_s)


async def _drained(pool: store.Pool) -> None:
    async with asyncio.timeout(20):
        while await pool.fetchval("SELECT count(*) FROM outbox"):
            await asyncio.sleep(0.05)


async def test_the_relay_publishes_offered_rows_and_claims_the_rest(
    settings: Settings, pool: store.Pool, relay: Relay
) -> None:
    topic = topics.name(settings, topics.EVENTS)
    direct = [_message(topic, f"d{i}", f"direct {i}".encode()) for i in range(50)]
    other = [_message(topic, f"c{i}", f"claimed {i}".encode()) for i in range(5)]
    ids = await _queue(pool, direct, hold_s=60)  # held: only the direct path may send them
    await _queue(pool, other, hold_s=None)  # as an adapter writes: for the claim
    relay.offer(ids, direct)
    relay.want_claim()
    await _drained(pool)
    got = await _records(settings, topic, 55)
    assert sorted(bytes(r.value) for r in got) == sorted(m.payload for m in direct + other)
    # Per key (one partition here), the direct batch keeps its order.
    sent = [bytes(r.value) for r in got if bytes(r.value).startswith(b"direct")]
    assert sent == [m.payload for m in direct]


class _FailingOnce:
    """The real producer, whose first batch fails (a broker hiccup)."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.failed = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    async def send_batch(self, *args: Any, **kwargs: Any) -> Any:
        if not self.failed:
            self.failed = True
            raise ConnectionError("broker went away")
        return await self.real.send_batch(*args, **kwargs)


async def test_a_failed_direct_publish_falls_back_to_the_claim_in_order(
    settings: Settings, pool: store.Pool, relay: Relay
) -> None:
    relay.producer = _FailingOnce(relay.producer)
    topic = topics.name(settings, topics.EVENTS)
    first = [_message(topic, f"a{i}", f"first {i:02}".encode()) for i in range(20)]
    second = [_message(topic, f"b{i}", f"second {i:02}".encode()) for i in range(20)]
    relay.offer(await _queue(pool, first, hold_s=60), first)  # this send fails
    await asyncio.sleep(0.2)
    relay.offer(await _queue(pool, second, hold_s=60), second)  # left to the claim
    await _drained(pool)
    got = [bytes(r.value) for r in await _records(settings, topic, 40)]
    # Held rows are taken by the degraded relay's claim, in id order, each once.
    assert got == [m.payload for m in first + second]
    assert relay.producer.failed


def test_records_go_where_the_default_partitioner_puts_them() -> None:
    from aiokafka.partitioner import DefaultPartitioner

    from hub.infra.kafka.recordbatch import partition_for

    partitions = [0, 1, 2, 3, 4, 5]
    for key in [b"0363", b"65656055", str(uuid4()).encode(), b"", b"x" * 101]:
        assert partition_for(key, partitions) == DefaultPartitioner()(key, partitions, partitions)
    assert partition_for(None, partitions) in partitions


async def test_a_large_batch_is_split_and_keeps_its_order(
    settings: Settings, pool: store.Pool, relay: Relay
) -> None:
    """More than one record batch per partition (1 MiB each by default; 600 × 3 KB is ~1.8 MB): all
    arrive, in order."""
    topic = topics.name(settings, topics.EVENTS)
    big = [_message(topic, f"l{i}", f"{i:04}".encode() + b"." * 3000) for i in range(600)]
    relay.offer(await _queue(pool, big, hold_s=60), big)
    await _drained(pool)
    got = [bytes(r.value) for r in await _records(settings, topic, 600)]
    assert got == [m.payload for m in big]


async def test_direct_publishes_do_not_each_cost_a_claim(
    settings: Settings, pool: store.Pool, relay: Relay
) -> None:
    """The claim runs at its poll interval or when asked, not after every direct publish."""
    relay.idle_poll_s = 30.0
    claims = 0
    claim = relay.relay_once

    async def counted() -> int:
        nonlocal claims
        claims += 1
        return await claim()

    relay.relay_once = counted  # type: ignore[method-assign]
    await asyncio.sleep(0.2)  # the first turn's claim (due at start) is over
    topic = topics.name(settings, topics.EVENTS)
    for n in range(10):
        batch = [_message(topic, f"s{n}.{i}", f"steady {n}.{i}".encode()) for i in range(5)]
        relay.offer(await _queue(pool, batch, hold_s=60), batch)
        await _drained(pool)
    assert claims <= 1
    before = claims
    # Rows written for the claim are taken as soon as it is asked, not at the next poll.
    await _queue(pool, [_message(topic, "w", b"for the claim")], hold_s=None)
    relay.want_claim()
    async with asyncio.timeout(5):
        await _drained(pool)
    assert claims > before
