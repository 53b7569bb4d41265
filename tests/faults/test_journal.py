"""The pieces of a broker recovery on the real PostgreSQL and broker: the adapters' ingress
journal and Idempotency-Key, broker epochs and recovery roles, and the relay's re-queue of
egress no inbox has."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import AsyncIterator
from uuid import UUID, uuid4

import httpx

from adapters.registry import build_adapter_app
from hub.app import make_runtime
from hub.domain import records
from hub.infra import store
from hub.infra.runtime import Runtime
from hub.infra.store import journal, recovery
from hub.infra.store import outbox as table
from hub.settings import Settings
from tests.e2e.stack import GEMEENTE, prepare
from tests.e2e.traffic import message

PAYLOAD = b"<Bericht/>"


@contextlib.asynccontextmanager
async def _no_resources(runtime: Runtime) -> AsyncIterator[None]:
    yield


@contextlib.asynccontextmanager
async def _ggk(settings: Settings, pool: store.Pool) -> AsyncIterator[httpx.AsyncClient]:
    """The GGK adapter in process, on the test database, producing to the session broker."""
    assert settings.kafka_bootstrap is not None
    runtime = make_runtime(settings, settings.kafka_bootstrap, "postgresql://unused", "t-ggk")
    app = build_adapter_app("ggk", runtime, _no_resources)
    runtime.attach_pool(pool)
    await runtime.broker.connect()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ggk") as client:
            yield client
    finally:
        await runtime.broker.stop()


async def test_an_upload_is_journaled_and_a_retry_with_its_key_is_taken_once(
    settings: Settings, pool: store.Pool
) -> None:
    tokens = await prepare(settings, pool, (GEMEENTE,))
    auth = {"Authorization": f"Bearer {tokens[GEMEENTE]}"}
    first = message("301", "J00000000001", "174285917")
    async with _ggk(settings, pool) as client:
        plain = await client.post("/v1/messages", content=first, headers=auth)
        keyed = {**auth, "Idempotency-Key": "order-4711"}
        once = await client.post("/v1/messages", content=first, headers=keyed)
        again = await client.post("/v1/messages", content=first, headers=keyed)
        other = message("301", "J00000000002", "174285917")
        reused = await client.post("/v1/messages", content=other, headers=keyed)
        bad_key = await client.post(
            "/v1/messages", content=other, headers={**auth, "Idempotency-Key": "x" * 129}
        )
    assert plain.status_code == once.status_code == again.status_code == 202
    assert once.json()["id"] == again.json()["id"] != plain.json()["id"]
    assert reused.status_code == 422
    assert reused.json()["detail"]["reason"] == "idempotency_key_reused"
    assert bad_key.status_code == 400
    rows = await pool.fetch("SELECT message_id, node, key, headers, payload FROM ingress_journal")
    assert {str(r["message_id"]) for r in rows} == {plain.json()["id"], once.json()["id"]}
    for r in rows:
        assert r["node"] == "ggk"
        assert bytes(r["payload"]) == first
        headers = json.loads(r["headers"])
        assert headers["hub-message-id"] == str(r["message_id"])
        assert headers["hub-party"] == GEMEENTE
        assert "174285917" not in bytes(r["key"]).decode()  # keyed by a hash, never the BSN


async def _ledger_row(pool: store.Pool, *, delivered: bool, receiver_node: str = "vecozo") -> UUID:
    message_id = uuid4()
    await pool.execute(
        "INSERT INTO message (id, received_at, source_node, submitted_by, status, payload,"
        " payload_sha256, receiver, receiver_node, message_type)"
        " VALUES ($1, now(), 'ggk', '0363', 'accepted', $2, $3, '65656055', $4, 'WMO301')",
        message_id,
        PAYLOAD,
        hashlib.sha256(PAYLOAD).digest(),
        receiver_node,
    )
    if delivered:
        await pool.execute(
            "INSERT INTO delivery (message_id, node, party) VALUES ($1, $2, '65656055')",
            message_id,
            receiver_node,
        )
    return message_id


async def test_journal_lists_what_the_ledger_lacks_and_trims_what_it_has(pool: store.Pool) -> None:
    recorded = await _ledger_row(pool, delivered=True)
    missing = uuid4()
    for message_id in (recorded, missing):
        await journal.add(pool, journal.JournalEntry(message_id, "ggk", b"k", PAYLOAD, {"a": "b"}))
    await journal.add(pool, journal.JournalEntry(uuid4(), "vecozo", None, PAYLOAD))
    unrecorded = await journal.unrecorded(pool, "ggk", None, 10)
    assert [e.message_id for _, e in unrecorded] == [missing]
    assert unrecorded[0][1].headers == {"a": "b"}
    assert await journal.unrecorded(pool, "ggk", (unrecorded[0][0], missing), 10) == []
    assert await journal.trim(pool, "ggk") == 1
    assert await journal.count(pool, [recorded, missing]) == 1
    assert await journal.digest(pool, recorded) == hashlib.sha256(PAYLOAD).digest()  # ledger


async def test_broker_epochs_and_recovery_roles(pool: store.Pool) -> None:
    assert await recovery.current(pool) == 0
    assert await recovery.observe(pool, "cluster-a", topics_recreated=True) == 1
    assert await recovery.observe(pool, "cluster-a", topics_recreated=False) == 1
    assert await recovery.observe(pool, "cluster-b", topics_recreated=False) == 2
    assert await recovery.observe(pool, "cluster-b", topics_recreated=True) == 3
    assert await recovery.changed_within(pool, 60)
    assert await recovery.behind(pool, "relay", 3)
    async with pool.acquire() as conn:
        assert await recovery.claim(conn, "relay", 3)
        assert not await recovery.claim(conn, "relay", 3)  # another relay did it
        assert not await recovery.claim(conn, "relay", 2)
    assert not await recovery.behind(pool, "relay", 3)


async def test_relay_recovery_requeues_only_egress_no_inbox_has(pool: store.Pool) -> None:
    lost = await _ledger_row(pool, delivered=False)
    delivered = await _ledger_row(pool, delivered=True)
    queued = await _ledger_row(pool, delivered=False, receiver_node="ggk")
    waiting = records.OutboxMessage(
        "t.egress.ggk", b"65656055", PAYLOAD, {"hub-message-id": str(queued)}
    )
    async with pool.acquire() as conn:
        await table.add(conn, [waiting])
    egress = {"ggk": "t.egress.ggk", "vecozo": "t.egress.vecozo"}
    async with pool.acquire() as conn, conn.transaction():
        assert await table.requeue_undelivered(conn, egress) == 1
    rows = await pool.fetch("SELECT topic, key, payload, headers FROM outbox_resolved ORDER BY id")
    assert len(rows) == 2
    topic, key, payload, headers = rows[1]
    assert (topic, bytes(key), bytes(payload)) == ("t.egress.vecozo", b"65656055", PAYLOAD)
    assert json.loads(headers) == {
        "hub-message-id": str(lost),
        "hub-receiver": "65656055",
        "hub-node": "vecozo",
        "hub-message-type": "WMO301",
    }
    assert delivered not in {json.loads(r["headers"])["hub-message-id"] for r in rows}
    async with pool.acquire() as conn, conn.transaction():
        assert await table.requeue_undelivered(conn, egress) == 0  # already queued
