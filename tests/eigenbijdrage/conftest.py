"""A core runtime on the real PostgreSQL with the eigen-bijdrage derivation, driven through
handlers.intake.process (no Kafka), and readers for the notices it queues."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from handlers import intake
from handlers.eigenbijdrage import EigenBijdrage
from hub.app import make_runtime
from hub.domain import topics, xmlcodec
from hub.domain.decide import Context, Incoming
from hub.domain.eigenbijdrage.policy import load_policy
from hub.domain.headers import H
from hub.domain.messages import Node
from hub.domain.parties import load_parties
from hub.infra import store
from hub.infra.kafka import topic_admin
from hub.infra.runtime import Runtime
from tests.e2e.stack import hub_settings

NOW = datetime(2025, 7, 21, 10, 0, tzinfo=UTC)
POLICY = """
[defaults]
enabled = false

[gemeente."0363"]
enabled = true

[gemeente."0344"]
enabled = true
exempt_categories = ["08", "11", "12", "16", "17", "18"]

[gemeente."0599"]
enabled = true
temporary_stop_ends = true
"""


def melding(n: int) -> UUID:
    return UUID(f"00000000-0000-4000-8000-{n:012d}")


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY, encoding="utf-8")
    return path


@dataclass
class Notice:
    route: str
    afzender: str
    ontvanger: str
    identificatie: str
    dagtekening: str
    entries: list[tuple[str, int, str, str | None]]  # status, melding number, begin, end
    payload: bytes
    message_id: str

    def short(self) -> str:
        parts = [f"{s}:M{n} {b}..{e or ''}" for s, n, b, e in self.entries]
        return f"{self.route} " + ", ".join(parts)


@dataclass
class Hub:
    """Feeds messages through intake with the derivation and reads what it queued."""

    runtime: Runtime
    ctx: Context
    derivation: EigenBijdrage
    seen_outbox: int = 0
    clock: datetime = NOW

    def item(self, payload: bytes, party: str, node: str, received_at: datetime | None = None,
             message_id: UUID | None = None) -> Incoming:  # fmt: skip
        self.clock += timedelta(seconds=1)
        return Incoming(
            id=message_id or uuid4(),
            node=node,
            party=party,
            received_at=received_at or self.clock,
            payload=payload,
            partition=0,
            offset=1,
            topic="t.ingress",
        )

    async def send(self, *items: Incoming) -> list[str]:
        """Process one batch; the statuses of its messages, in order."""
        await intake.process(self.runtime, self.ctx, list(items), [self.derivation])
        return [
            str(await self.runtime.pool.fetchval("SELECT status FROM message WHERE id = $1", i.id))
            for i in items
        ]

    async def new_notices(self) -> list[Notice]:
        rows = await self.runtime.pool.fetch(
            "SELECT id, topic, key, payload, headers FROM outbox_resolved"
            " WHERE id > $1 ORDER BY id",
            self.seen_outbox,
        )
        if rows:
            self.seen_outbox = rows[-1]["id"]
        egress = topics.egress_name(self.runtime.settings, Node.GGK)
        cak = self.runtime.settings.cak_party_code
        found = []
        for r in rows:
            if r["topic"] != egress or bytes(r["key"]) != cak.encode():
                continue
            found.append(self.read(bytes(r["payload"])))
        return found

    def read(self, payload: bytes) -> Notice:
        verdict = self.runtime.validator.validate(payload)
        assert verdict.valid, verdict.findings  # outbound: XSD and the in-message rules
        assert verdict.envelope is not None
        assert verdict.message_type is not None
        root = verdict.root
        entries = []
        for e in root.iter("{*}EigenBijdrage"):  # type: ignore[union-attr]
            mid = UUID(xmlcodec.child_text(e, "MeldingID") or "")
            number = int(str(mid).rsplit("-", 1)[1])
            entries.append(
                (
                    xmlcodec.child_text(e, "StatusAanlevering") or "",
                    number,
                    xmlcodec.child_text(e, "Begindatum") or "",
                    xmlcodec.child_text(e, "Einddatum"),
                )
            )
        env = verdict.envelope
        return Notice(
            route=verdict.message_type.name[3:],
            afzender=env.afzender or "",
            ontvanger=env.ontvanger or "",
            identificatie=env.identificatie or "",
            dagtekening=env.dagtekening or "",
            entries=entries,
            payload=payload,
            message_id="",
        )


@dataclass
class BrokerHub(Hub):
    """The same, but every message goes through the real broker: produced to the ingress
    topic as an adapter does, consumed by the core's own intake router (with the derivation),
    and waited for until the core has committed its offset."""

    producer: Any = None
    admin: Any = None

    async def send(self, *items: Incoming) -> list[str]:
        settings = self.runtime.settings
        ingress = topics.name(settings, topics.INGRESS)
        wanted: dict[int, int] = {}
        for i in items:
            meta = await self.producer.send_and_wait(
                ingress,
                i.payload,
                key=i.party.encode(),
                headers=[
                    (H.MESSAGE_ID.value, str(i.id).encode()),
                    (H.NODE.value, i.node.encode()),
                    (H.PARTY.value, i.party.encode()),
                    (H.RECEIVED_AT.value, i.received_at.isoformat().encode()),
                ],
            )
            wanted[meta.partition] = meta.offset + 1
        deadline = asyncio.get_running_loop().time() + 60
        while True:
            done = {p: await self.admin.committed(TopicPartition(ingress, p)) for p in wanted}
            if all((done[p] or -1) >= o for p, o in wanted.items()):
                break
            assert asyncio.get_running_loop().time() < deadline, "the core did not consume"
            await asyncio.sleep(0.02)
        return [
            str(await self.runtime.pool.fetchval("SELECT status FROM message WHERE id = $1", i.id))
            for i in items
        ]


class MeldingIds:
    """New MeldingIDs M1, M2, ...: from M1 again for every scenario on the shared core."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._next = itertools.count(1)

    def __call__(self) -> UUID:
        return melding(next(self._next))


@dataclass
class BrokerCore:
    """The core's intake router with the derivation, consuming from the real broker, and
    the producer and offset reader of the scenarios: shared by a module's scenarios, since
    a new consumer group costs seconds to join. Each test attaches its own database; the
    topics and the group are shared, and every scenario waits until the core consumed all
    it sent, so nothing of one scenario reaches the next one's database."""

    runtime: Runtime
    derivation: EigenBijdrage
    ids: MeldingIds
    producer: Any
    admin: Any


@contextlib.asynccontextmanager
async def running_core(
    kafka_bootstrap: str, workdir: Path, policy: str
) -> AsyncIterator[BrokerCore]:
    """A core with this policy (TOML text), consuming from the real broker on topics and a group
    of its own; its database is the test's (`on_database` attaches the pool)."""
    settings = hub_settings(kafka_bootstrap, workdir)
    policy_file = workdir / f"policy-{uuid4().hex[:8]}.toml"
    policy_file.write_text(policy, encoding="utf-8")
    runtime = make_runtime(settings, kafka_bootstrap, "postgresql://per-test", "test-core")
    await topic_admin.ensure_topics(settings, kafka_bootstrap)
    ids = MeldingIds()
    derivation = EigenBijdrage(
        policy=load_policy(policy_file),
        packs=runtime.packs,
        secret=settings.person_key_secret.get_secret_value().encode(),
        cak=settings.cak_party_code,
        egress_topic=topics.egress_name(settings, Node.GGK),
        clock=lambda: NOW,
        new_id=ids,
    )
    runtime.broker.include_router(intake.build_router(runtime, [derivation]))
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, linger_ms=0)
    # Only reads the core group's committed offsets (OffsetFetch); it never joins the group.
    admin = AIOKafkaConsumer(
        bootstrap_servers=kafka_bootstrap,
        group_id=settings.consumer_group,
        enable_auto_commit=False,
    )
    await runtime.broker.start()
    await producer.start()
    await admin.start()
    try:
        yield BrokerCore(runtime, derivation, ids, producer, admin)
    finally:
        await admin.stop()
        await producer.stop()
        await runtime.broker.stop()


@contextlib.asynccontextmanager
async def on_database(core: BrokerCore, pool: store.Pool) -> AsyncIterator[BrokerHub]:
    """The shared core on one test's own (migrated) database, MeldingIDs from M1."""
    runtime = core.runtime
    core.ids.reset()
    # The parties the messages go to, registered as a hub's start registers them.
    await store.upsert_parties(pool, list(load_parties(runtime.settings.parties_file)))
    runtime.attach_pool(pool)
    try:
        yield BrokerHub(
            runtime,
            intake.build_context(runtime),
            core.derivation,
            producer=core.producer,
            admin=core.admin,
        )
    finally:
        runtime.attach_pool(None)


@pytest.fixture(scope="module")
async def broker_core(kafka_bootstrap: str, workdir: Path) -> AsyncIterator[BrokerCore]:
    async with running_core(kafka_bootstrap, workdir, POLICY) as core:
        yield core


@pytest.fixture
async def broker_hub(broker_core: BrokerCore, pool: store.Pool) -> AsyncIterator[BrokerHub]:
    async with on_database(broker_core, pool) as hub:
        yield hub


@pytest.fixture
async def hub(runtime: Runtime, policy_file: Path) -> Hub:
    counter = itertools.count(1)
    derivation = EigenBijdrage(
        policy=load_policy(policy_file),
        packs=runtime.packs,
        secret=runtime.settings.person_key_secret.get_secret_value().encode(),
        cak=runtime.settings.cak_party_code,
        egress_topic=topics.egress_name(runtime.settings, Node.GGK),
        clock=lambda: NOW,
        new_id=lambda: melding(next(counter)),
    )
    return Hub(runtime, intake.build_context(runtime), derivation)
