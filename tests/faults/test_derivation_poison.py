"""A derivation cannot stop the hub either: on the real broker and PostgreSQL, one 305 of a
stream on which the eigen-bijdrage derivation raises (a rule tripping on odd input) is tried
HUB_INTAKE_MAX_ATTEMPTS times; then it is accepted and routed as ever, without a notice, a dead
letter with stage "derivation:eigenbijdrage" keeps the skip in sight, and every other 305 of
the stream gets its notice to the CAK."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from handlers import eigenbijdrage, intake
from handlers.eigenbijdrage import EigenBijdrage
from hub.domain import topics
from hub.domain.eigenbijdrage import lines
from hub.domain.eigenbijdrage.policy import load_policy
from hub.domain.headers import H
from hub.domain.messages import Node
from hub.infra.kafka import topic_admin
from hub.infra.outbox import make_producer
from hub.infra.runtime import Runtime
from tests.e2e.traffic import bsns
from tests.eigenbijdrage._messages import AANBIEDER, T, build, start

pytestmark = pytest.mark.e2e

CLIENTS = 12
GEMEENTE = "0363"
DEADLINE_S = 60.0
POLICY = f'[defaults]\nenabled = false\n\n[gemeente."{GEMEENTE}"]\nenabled = true\n'


def _poison(monkeypatch: pytest.MonkeyPatch, poison: UUID) -> Counter[UUID]:
    """The seam: reading the eigen-bijdrage lines of `poison` raises ValueError."""
    tries: Counter[UUID] = Counter()
    real = lines.read_source  # what handlers.eigenbijdrage calls

    def read_source(root: Any, name: str, message_id: UUID, *args: Any) -> Any:
        if message_id == poison:
            tries[message_id] += 1
            raise ValueError("month 13")
        return real(root, name, message_id, *args)

    monkeypatch.setattr(eigenbijdrage, "read_source", read_source)
    return tries


async def _produce(runtime: Runtime, stream: Sequence[tuple[UUID, str, str, bytes, str]]) -> None:
    """(id, node, party, payload, key) records on ingress, as the adapters write them."""
    producer = make_producer(runtime.settings, runtime.bootstrap)
    await producer.start()
    try:
        now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()).encode()
        sent = [
            await producer.send(
                topics.name(runtime.settings, topics.INGRESS),
                payload,
                key=key.encode(),
                headers=[
                    (H.MESSAGE_ID.value, str(message_id).encode()),
                    (H.NODE.value, node.encode()),
                    (H.PARTY.value, party.encode()),
                    (H.RECEIVED_AT.value, now),
                ],
            )
            for message_id, node, party, payload, key in stream
        ]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def test_a_derivation_failing_on_one_message_skips_it_alone_and_the_stream_flows_on(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = runtime.settings
    assert settings.intake_max_attempts == 3
    await topic_admin.ensure_topics(settings, runtime.bootstrap)
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY, encoding="utf-8")
    derivation = EigenBijdrage(
        policy=load_policy(policy),
        packs=runtime.packs,
        secret=settings.person_key_secret.get_secret_value().encode(),
        cak=settings.cak_party_code,
        egress_topic=topics.egress_name(settings, Node.GGK),
    )
    # Per client its 301 and then its 305, keyed by the client (one partition, in order).
    stream: list[tuple[UUID, str, str, bytes, str]] = []
    starts: list[UUID] = []
    persons = bsns(11)
    for bsn in (next(persons) for _ in range(CLIENTS)):
        toewijzing = build("WMO301", [T(1, "02")], client_bsn=bsn)
        stream.append((uuid4(), "ggk", GEMEENTE, toewijzing, bsn))
        starts.append(uuid4())
        source = build("WMO305", [start(1, "02", "2025-07-17")], client_bsn=bsn)
        stream.append((starts[-1], "vecozo", AANBIEDER, source, bsn))
    poison = starts[CLIENTS // 3]
    tries = _poison(monkeypatch, poison)
    # The whole stream waits on ingress before the core starts: its batches hold the poison
    # 305 among others of both partitions.
    await _produce(runtime, stream)

    runtime.broker.include_router(intake.build_router(runtime, [derivation]))
    await runtime.broker.start()
    try:
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline:
            seen = await runtime.pool.fetchval(
                "SELECT count(*) FROM message WHERE id = ANY($1)", [i for i, *_ in stream]
            )
            if seen == len(stream):
                break
            await asyncio.sleep(0.1)
        # The stream flows on: a message produced after it is taken as well.
        late = uuid4()
        await _produce(runtime, [(late, "ggk", GEMEENTE, build("WMO301", [T(1, "02")]), "x")])
        while time.monotonic() < deadline:
            if await runtime.pool.fetchval("SELECT status FROM message WHERE id = $1", late):
                break
            await asyncio.sleep(0.1)
    finally:
        await runtime.broker.stop()

    rows = await runtime.pool.fetch(
        "SELECT id, status FROM message WHERE id = ANY($1)", [i for i, *_ in stream] + [late]
    )
    statuses = {r["id"]: r["status"] for r in rows}
    assert len(statuses) == len(stream) + 1, "the stream stalled"
    assert set(statuses.values()) == {"accepted"}  # the poison 305 too: its decision stands
    assert tries[poison] == 3
    notices = await runtime.pool.fetch("SELECT source_message_id FROM eb_notice")
    assert sorted(r["source_message_id"] for r in notices) == sorted(
        s for s in starts if s != poison
    )
    notice_rows = await runtime.pool.fetchval(
        "SELECT count(*) FROM message WHERE message_type = 'WMO405'"
    )
    assert notice_rows == CLIENTS - 1
    # Every 305 is routed to the gemeente, the poison one too, once.
    egress = topics.egress_name(settings, Node.GGK)
    routed = await runtime.pool.fetch(
        "SELECT headers->>'hub-message-id' AS id FROM outbox_resolved WHERE topic = $1", egress
    )
    to_gemeente = Counter(r["id"] for r in routed if UUID(r["id"]) in set(starts))
    assert to_gemeente == Counter(str(s) for s in starts)
    letter = await runtime.pool.fetchrow("SELECT message_id, stage, error, reason FROM dead_letter")
    assert letter is not None
    assert dict(letter) == {
        "message_id": poison,
        "stage": "derivation:eigenbijdrage",
        "error": "ValueError",
        "reason": "derivation:eigenbijdrage raised ValueError: month 13",
    }
    dlq = await runtime.pool.fetchval(
        "SELECT count(*) FROM outbox_resolved WHERE topic = $1",
        topics.name(settings, topics.DLQ),
    )
    assert dlq == 0  # the message was used: nothing for the DLQ topic
