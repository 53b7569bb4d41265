"""Horizontal scaling: two `hub core` processes in one consumer group share the ingress
partitions; kill -9 one of them in the middle of a stream of uploads and the other takes its
partitions over. Nothing is lost, nothing is delivered twice, the ledger is complete, and one
person's messages are recorded in the order they were uploaded although two processes did
the work (one person's messages share a partition)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from hub.domain import xmlcodec
from hub.domain.rules.identity import passes_elfproef
from hub.infra import store
from hub.settings import Settings
from tests.e2e.stack import CAK, CORE, GEMEENTE, GGK, PROVIDER, VECOZO, Stack, hub_env, prepare
from tests.e2e.stack import running as stack_running

pytestmark = pytest.mark.e2e

PARTITIONS = 4
PERSONS = 240
PER_PERSON = 4  # uploaded in order, one after the other, by one worker
N = PERSONS * PER_PERSON
WARMUP_PERSONS = 24  # uploaded first, until both cores have consumed something
KILL_AFTER = 360  # uploads before the kill -9
WORKERS = 12
TAKEOVER_S = 120  # session timeout of the dead member + rebalance (tansu may stall a JoinGroup)
WMO301 = (Path(__file__).parents[1] / "fixtures" / "iwmo-3.2" / "WMO301.xml").read_bytes()
WMO305 = (Path(__file__).parents[1] / "fixtures" / "iwmo-3.2" / "WMO305.xml").read_bytes()


def _bsns(count: int) -> list[str]:
    """Distinct BSNs that pass the 11-proef (CS002), so every person has their own key."""
    found: list[str] = []
    candidate = 100_000_000
    while len(found) < count:
        candidate += 1
        if passes_elfproef(str(candidate)):
            found.append(str(candidate))
    return found


def _toewijzing(bsn: str, n: int, template: bytes = WMO301) -> bytes:
    """The fixture 301 (or 305) for another client, with its own Identificatie (TR056)."""
    root = xmlcodec.parse_message(template)
    for element in root.iter():
        name = xmlcodec.local_name(element)
        if name == "Identificatie" and element.getparent() is not None:
            if xmlcodec.local_name(element.getparent()) == "BerichtIdentificatie":
                element.text = f"S{n:011d}"
        elif name == "Bsn":
            element.text = bsn
        elif name == "ToewijzingNummer":  # one toewijzing per number in the gemeente (TR332)
            element.text = bsn[:8] + (element.text or "0")[-1:]
    return xmlcodec.serialize(root)


@contextmanager
def running(env: dict[str, str]) -> Iterator[Stack]:
    # Started side by side: the two cores join one consumer group and split the partitions.
    with stack_running(
        env, {"core-a": CORE, "core-b": CORE, "ggk": GGK, "vecozo": VECOZO}
    ) as stack:
        yield stack


@pytest.fixture
async def scaled_env(
    settings: Settings, pool: store.Pool, database_url: str
) -> tuple[dict[str, str], dict[str, str]]:
    settings = settings.model_copy(update={"partitions": PARTITIONS})
    tokens = await prepare(settings, pool)
    return hub_env(settings, database_url), tokens


class Uploader:
    """Uploads every person's toewijzingen in order; kill -9 core-a after KILL_AFTER."""

    def __init__(self, stack: Stack, token: str, provider_token: str) -> None:
        self.stack = stack
        self.token = token
        self.provider_token = provider_token
        self.starts: dict[int, str] = {}  # person -> id of the 305 that follows the 301s
        self.ids: dict[tuple[int, int], str] = {}  # (person, sequence) -> message id
        self.killed_at: float | None = None
        self.received_before_kill: dict[str, float] = {}
        self.bsns = _bsns(PERSONS)

    async def person(self, client: httpx.AsyncClient, p: int) -> None:
        for seq in range(PER_PERSON):
            response = await client.post(
                f"{self.stack.url('ggk')}/v1/messages",
                content=_toewijzing(self.bsns[p], p * PER_PERSON + seq),
                headers={"Authorization": f"Bearer {self.token}"},
            )
            assert response.status_code == 202, response.text
            self.ids[p, seq] = response.json()["id"]
            if len(self.ids) >= KILL_AFTER and self.killed_at is None:
                await self.kill_core_a()
        # Then the provider's start: the eigen-bijdrage derivation must send exactly one
        # WMO405 for this person, whichever core handles it, before or after the kill.
        response = await client.post(
            f"{self.stack.url('vecozo')}/v1/messages",
            content=_toewijzing(self.bsns[p], p, WMO305),
            headers={"Authorization": f"Bearer {self.provider_token}"},
        )
        assert response.status_code == 202, response.text
        self.starts[p] = response.json()["id"]

    async def kill_core_a(self) -> None:
        self.killed_at = time.monotonic()
        for name in ("core-a", "core-b"):
            self.received_before_kill[name] = await asyncio.to_thread(self.stack.received, name)
        await asyncio.to_thread(self.stack.kill, "core-a")

    async def run(self) -> None:
        async with httpx.AsyncClient(timeout=30) as client:
            # Warm-up: a few persons, until both cores have consumed (the group is split).
            await asyncio.gather(*(self.person(client, p) for p in range(WARMUP_PERSONS)))
            deadline = time.monotonic() + TAKEOVER_S
            while time.monotonic() < deadline:
                counts = [
                    await asyncio.to_thread(self.stack.received, c) for c in ("core-a", "core-b")
                ]
                if all(c > 0 for c in counts):
                    break
                await asyncio.sleep(0.2)
            queue: asyncio.Queue[int] = asyncio.Queue()
            for p in range(WARMUP_PERSONS, PERSONS):
                queue.put_nowait(p)

            async def worker() -> None:
                while not queue.empty():
                    await self.person(client, queue.get_nowait())

            await asyncio.gather(*(worker() for _ in range(WORKERS)))


async def test_two_cores_share_partitions_and_survive_kill_9_of_one(
    scaled_env: tuple[dict[str, str], dict[str, str]], pool: store.Pool
) -> None:
    env, tokens = scaled_env
    with running(env) as stack:
        uploader = Uploader(stack, tokens[GEMEENTE], tokens[PROVIDER])
        await uploader.run()
        assert uploader.killed_at is not None
        ids = uploader.ids
        assert len(set(ids.values())) == N

        # Both cores did work before the kill: the partitions were shared.
        assert uploader.received_before_kill["core-a"] > 0, uploader.received_before_kill
        assert uploader.received_before_kill["core-b"] > 0, uploader.received_before_kill

        deadline = time.monotonic() + TAKEOVER_S
        delivered = 0
        while time.monotonic() < deadline:
            delivered = await pool.fetchval(
                "SELECT count(*) FROM delivery WHERE party = $1", PROVIDER
            )
            starts = await pool.fetchval("SELECT count(*) FROM delivery WHERE party = $1", GEMEENTE)
            notices = await pool.fetchval("SELECT count(*) FROM delivery WHERE party = $1", CAK)
            outbox = await pool.fetchval("SELECT count(*) FROM outbox")
            if delivered >= N and starts >= PERSONS and notices >= PERSONS and outbox == 0:
                break
            await asyncio.sleep(0.5)
        took_over_s = time.monotonic() - uploader.killed_at
        survivor_received = await asyncio.to_thread(stack.received, "core-b")
        assert "core-b" not in stack.dead(), "the surviving core died"
        assert survivor_received > uploader.received_before_kill["core-b"]

    # No loss, no duplicate delivery: every upload is in the provider's inbox exactly once.
    rows = await pool.fetch("SELECT message_id FROM delivery WHERE party = $1", PROVIDER)
    assert len(rows) == N, f"{len(rows)} of {N} delivered {took_over_s:.0f} s after the kill"
    assert sorted(str(r["message_id"]) for r in rows) == sorted(ids.values())

    # The ledger is complete: every upload recorded once, accepted and routed.
    ledger = {
        str(r["id"]): r
        for r in await pool.fetch(
            "SELECT id, status, receiver, ingress_partition, ingress_offset, recorded_at"
            " FROM message WHERE source_node = 'ggk'"
        )
    }
    assert sorted(ledger) == sorted(ids.values())
    assert {(r["status"], r["receiver"]) for r in ledger.values()} == {("accepted", PROVIDER)}
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 0

    # Every person's 305 reached the gemeente once, and led to exactly one WMO405 for the CAK:
    # no notice lost and none doubled by the kill or the rebalance.
    starts = await pool.fetch("SELECT message_id FROM delivery WHERE party = $1", GEMEENTE)
    assert sorted(str(r["message_id"]) for r in starts) == sorted(uploader.starts.values())
    notices = await pool.fetch(
        "SELECT m.person_key FROM delivery d JOIN message m ON m.id = d.message_id"
        " WHERE d.party = $1 AND m.message_type = 'WMO405'",
        CAK,
    )
    assert len(notices) == PERSONS
    assert len({r["person_key"] for r in notices}) == PERSONS

    # Keys spread over every partition, and one person's messages stay on one partition, in
    # upload order, recorded in that order whichever core handled them.
    assert {r["ingress_partition"] for r in ledger.values()} == set(range(PARTITIONS))
    for p in range(PERSONS):
        mine = [ledger[ids[p, seq]] for seq in range(PER_PERSON)]
        assert len({r["ingress_partition"] for r in mine}) == 1
        offsets = [r["ingress_offset"] for r in mine]
        assert offsets == sorted(offsets)
        recorded = [r["recorded_at"] for r in mine]
        assert recorded == sorted(recorded)
