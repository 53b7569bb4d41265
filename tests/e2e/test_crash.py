"""kill -9 the hub core in the middle of a stream of uploads: nothing is lost, nothing is
delivered twice, the ledger is complete, and integrators see every event (read with
librdkafka, a Kafka client we did not write)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from uuid import UUID

import httpx
import pytest
from confluent_kafka import Consumer

from hub.domain import topics, xmlcodec
from hub.infra import store
from hub.settings import Settings
from tests.e2e.stack import GEMEENTE, PROVIDER, Stack, running

pytestmark = pytest.mark.e2e

N = 2000
KILL_AFTER = 600
WMO301 = (Path(__file__).parents[1] / "fixtures" / "iwmo-3.2" / "WMO301.xml").read_bytes()


def _toewijzing(n: int) -> bytes:
    root = xmlcodec.parse_message(WMO301)
    ident = next(e for e in root.iter() if xmlcodec.local_name(e) == "Identificatie")
    ident.text = f"C{n:011d}"
    return xmlcodec.serialize(root)


async def _upload_all(stack: Stack, token: str, killed: asyncio.Event) -> list[str]:
    """Upload N toewijzingen, 16 at a time; kill -9 the core after KILL_AFTER and start a
    new one while the stream goes on."""
    ids: list[str] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(N):
        queue.put_nowait(n)

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            n = queue.get_nowait()
            response = await client.post(
                f"{stack.url('ggk')}/v1/messages",
                content=_toewijzing(n),
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status_code == 202, response.text
            ids.append(response.json()["id"])
            if len(ids) == KILL_AFTER and not killed.is_set():
                killed.set()
                stack.kill("core")
                await asyncio.to_thread(stack.restart, "core")

    async with httpx.AsyncClient(timeout=30) as client:
        await asyncio.gather(*(worker(client) for _ in range(16)))
    return ids


def _read_events(
    bootstrap: str, topic: str, want: set[str], timeout: float
) -> list[dict[str, object]]:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"{topic}-librdkafka-reader",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "fetch.wait.max.ms": 10,
        }
    )
    consumer.subscribe([topic])
    found: list[dict[str, object]] = []
    accepted: set[str] = set()
    deadline = time.monotonic() + timeout
    try:
        while accepted < want and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                continue
            event = json.loads(msg.value())
            found.append(event)
            if event["type"] == "message.accepted":
                accepted.add(str(event["message_id"]))
    finally:
        consumer.close()
    return found


async def test_kill_9_core_mid_stream_loses_and_duplicates_nothing(
    hub_env: tuple[dict[str, str], dict[str, str]], pool: store.Pool, settings: Settings
) -> None:
    env, tokens = hub_env
    with running(env) as stack:
        killed = asyncio.Event()
        ids = await _upload_all(stack, tokens[GEMEENTE], killed)
        assert killed.is_set()
        assert len(set(ids)) == N
        deadline = time.monotonic() + 180
        delivered = 0
        while time.monotonic() < deadline:
            delivered = await pool.fetchval(
                "SELECT count(*) FROM delivery WHERE party = $1", PROVIDER
            )
            if delivered >= N:
                break
            await asyncio.sleep(0.5)
        # Every upload is in the provider's inbox exactly once (the inbox is unique per
        # message and party, so a second delivery could only show up as a missing one).
        rows = await pool.fetch("SELECT message_id FROM delivery WHERE party = $1", PROVIDER)
        assert sorted(str(r["message_id"]) for r in rows) == sorted(ids)
        # The ledger is complete: every upload recorded once, accepted and routed.
        ledger = await pool.fetch(
            "SELECT id, status, receiver FROM message WHERE source_node = 'ggk'"
        )
        assert sorted(str(r["id"]) for r in ledger) == sorted(ids)
        assert {(r["status"], r["receiver"]) for r in ledger} == {("accepted", PROVIDER)}
        # The provider sees them through its own API too.
        async with httpx.AsyncClient(timeout=30) as client:
            listing = await client.get(
                f"{stack.url('vecozo')}/v1/inbox?limit=1000",
                headers={"Authorization": f"Bearer {tokens[PROVIDER]}"},
            )
        assert listing.status_code == 200
        assert len(listing.json()) == 1000
        assert {item["id"] for item in listing.json()} <= set(ids)

        # Integrators read the events with librdkafka.
        events_topic = topics.name(settings, topics.EVENTS)
        bootstrap = env["HUB_KAFKA_BOOTSTRAP"]
        found = await asyncio.to_thread(_read_events, bootstrap, events_topic, set(ids), 120)
    accepted = [e for e in found if e["type"] == "message.accepted"]
    assert {str(e["message_id"]) for e in accepted} == set(ids)
    # Republished after the crash, an event keeps its id: integrators can drop repeats.
    assert len({e["id"] for e in accepted}) == N
    assert all(UUID(str(e["message_id"])) for e in accepted)
    assert all(e["sender"] == GEMEENTE and e["receiver"] == PROVIDER for e in accepted)
