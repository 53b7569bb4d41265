"""A party that never downloads holds nobody up: its inbox grows (here from a backlog of
20,000 messages), while another party's messages reach its inbox as fast as ever and it
downloads and acknowledges each one as it comes."""

from __future__ import annotations

import asyncio
import statistics
import time

import httpx
import pytest

from tests.e2e.stack import PROVIDER
from tests.e2e.traffic import Traffic, settle
from tests.faults.conftest import SECOND_PROVIDER, Hub

pytestmark = pytest.mark.e2e

BACKLOG = 20_000
PERSONS = 60  # per provider


async def _seed_backlog(hub: Hub, party: str, count: int) -> None:
    """`count` undownloaded messages in the party's inbox (ledger rows as the core writes
    them, payloads tiny)."""
    await hub.pool.execute(
        """
        WITH m AS (
            INSERT INTO message (id, received_at, source_node, submitted_by, status, payload,
                                 payload_sha256, bericht_code, afzender, ontvanger,
                                 identificatie, receiver, receiver_node)
            SELECT gen_random_uuid(), now() - interval '1 day', 'ggk', '0363', 'accepted',
                   '\\x00'::bytea, sha256('\\x00'::bytea), '414', '0363', $1,
                   'BL' || lpad(i::text, 10, '0'), $1, 'vecozo'
            FROM generate_series(1, $2) AS i
            RETURNING id)
        INSERT INTO delivery (message_id, node, party) SELECT id, 'vecozo', $1 FROM m
        """,
        party,
        count,
    )


async def _download_all(hub: Hub, token: str, stop: asyncio.Event) -> dict[str, float]:
    """Lists, downloads and acknowledges the inbox until `stop`; returns when each message
    was downloaded (time.monotonic())."""
    seen: dict[str, float] = {}
    auth = {"Authorization": f"Bearer {token}"}
    base = hub.stack.url("vecozo")
    async with httpx.AsyncClient(timeout=30) as client:
        while not stop.is_set():
            listing = await client.get(f"{base}/v1/inbox?limit=100", headers=auth)
            assert listing.status_code == 200, listing.text
            items = listing.json()
            for item in items:
                got = await client.get(f"{base}/v1/inbox/{item['id']}", headers=auth)
                assert got.status_code == 200
                seen.setdefault(item["id"], time.monotonic())
                acked = await client.post(f"{base}/v1/inbox/{item['id']}/ack", headers=auth)
                assert acked.status_code == 204
            if not items:
                await asyncio.sleep(0.1)
    return seen


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


async def test_a_party_that_never_downloads_holds_up_nobody(healthy: Hub) -> None:
    hub = healthy
    await _seed_backlog(hub, PROVIDER, BACKLOG)
    idle = Traffic(hub.stack, hub.tokens, hub.pool, persons=PERSONS, bad_every=0)
    busy = Traffic(
        hub.stack, hub.tokens, hub.pool, persons=PERSONS, bad_every=0, provider=SECOND_PROVIDER
    )
    stop = asyncio.Event()
    downloads = asyncio.create_task(_download_all(hub, hub.tokens[SECOND_PROVIDER], stop))
    await asyncio.gather(idle.run(), busy.run())
    await settle(hub.pool, idle)
    await settle(hub.pool, busy)
    await asyncio.sleep(1.0)  # the downloader's last round
    stop.set()
    downloaded = await downloads

    # The busy provider downloaded every message it got, soon after it was uploaded.
    toewijzingen = [u for u in busy.uploads if u.kind == "301"]
    waited = [downloaded[u.id] - u.accepted_at for u in toewijzingen if u.id in downloaded]
    assert len(waited) == len(toewijzingen)
    # Both providers' messages reached their inboxes equally fast: the backlog of the idle
    # one is just rows in its inbox, never in anyone's way.
    latency = {
        party: [
            r["s"]
            for r in await hub.pool.fetch(
                "SELECT extract(epoch FROM d.available_at - m.received_at)::float8 AS s"
                " FROM delivery d JOIN message m ON m.id = d.message_id"
                " WHERE d.message_id = ANY($1::uuid[])",
                [u.id for u in traffic.uploads if u.kind == "301"],
            )
        ]
        for party, traffic in ((PROVIDER, idle), (SECOND_PROVIDER, busy))
    }
    print(
        f"into the inbox, p95: idle party {_p95(latency[PROVIDER]) * 1000:.0f} ms, busy party "
        f"{_p95(latency[SECOND_PROVIDER]) * 1000:.0f} ms; busy party downloaded within "
        f"p95 {_p95(waited) * 1000:.0f} ms"
    )
    assert _p95(latency[SECOND_PROVIDER]) < 5.0
    assert _p95(waited) < 10.0
    # The idle provider's inbox holds the backlog and everything new, oldest first.
    auth = {"Authorization": f"Bearer {hub.tokens[PROVIDER]}"}
    async with httpx.AsyncClient(timeout=30) as client:
        began = time.monotonic()
        listing = await client.get(f"{hub.stack.url('vecozo')}/v1/inbox?limit=1000", headers=auth)
        listed_s = time.monotonic() - began
    assert listing.status_code == 200
    items = listing.json()
    assert len(items) == 1000
    assert [i["available_at"] for i in items] == sorted(i["available_at"] for i in items)
    assert listed_s < 2.0
    pending = await hub.pool.fetchval(
        "SELECT count(*) FROM delivery WHERE party = $1 AND downloaded_at IS NULL", PROVIDER
    )
    assert pending >= BACKLOG + len([u for u in idle.uploads if u.kind == "301"])
    assert hub.stack.dead() == []
