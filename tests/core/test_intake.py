"""The core's decisions on a real PostgreSQL: route, answer with a retour, link, dead-letter."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from handlers import intake
from hub.domain import xmlcodec
from hub.domain.decide import Context, Incoming
from hub.domain.validation import Outcome
from hub.infra import metrics, store
from hub.infra.runtime import Runtime

FIXTURES = Path(__file__).parents[1] / "fixtures" / "iwmo-3.2"
BSN = "174285917"


@pytest.fixture
def ctx(runtime: Runtime) -> Context:
    return intake.build_context(runtime)


def _item(payload: bytes, party: str, node: str, message_id: UUID | None = None) -> Incoming:
    return Incoming(
        id=message_id or uuid4(),
        node=node,
        party=party,
        received_at=datetime(2025, 7, 21, 9, 30, tzinfo=UTC),
        payload=payload,
        partition=0,
        offset=1,
        topic="t.ingress",
    )


def _fixture(name: str, **replace: str) -> bytes:
    root = xmlcodec.parse_message((FIXTURES / f"{name}.xml").read_bytes())
    for tag, value in replace.items():
        next(e for e in root.iter() if xmlcodec.local_name(e) == tag).text = value
    return xmlcodec.serialize(root)


async def _outbox(pool: store.Pool) -> list[dict[str, object]]:
    rows = await pool.fetch("SELECT topic, key, payload, headers FROM outbox_resolved ORDER BY id")
    return [
        {
            "topic": r["topic"],
            "key": bytes(r["key"]).decode() if r["key"] else None,
            "payload": bytes(r["payload"]),
            "headers": json.loads(r["headers"]),
        }
        for r in rows
    ]


async def _toewijzing(runtime: Runtime, ctx: Context) -> Incoming:
    """The gemeente's 301 that the provider's 305/307 refer to (TR019)."""
    item = _item(_fixture("WMO301"), "0363", "ggk")
    await intake.process(runtime, ctx, [item])
    assert await _status(runtime.pool, item.id) == "accepted", await _debug(runtime.pool)
    return item


async def _status(pool: store.Pool, message_id: UUID) -> str:
    return str(await pool.fetchval("SELECT status FROM message WHERE id = $1", message_id))


async def test_clean_heenbericht_is_routed_to_the_receiver(runtime: Runtime, ctx: Context) -> None:
    await _toewijzing(runtime, ctx)
    item = _item(_fixture("WMO305"), "65656055", "vecozo")
    await intake.process(runtime, ctx, [item])
    assert await _status(runtime.pool, item.id) == "accepted", await _debug(runtime.pool)
    due = await runtime.pool.fetchval("SELECT retour_due FROM message WHERE id = $1", item.id)
    assert due is not None
    assert due > item.received_at
    sent = await _outbox(runtime.pool)
    egress = [m for m in sent if m["topic"].endswith("egress.ggk")]  # type: ignore[union-attr]
    assert len(egress) == 1
    assert egress[0]["key"] == "0363"
    assert [m["key"] for m in sent if str(m["topic"]).endswith("egress.vecozo")] == ["65656055"]
    assert egress[0]["payload"] == item.payload
    kinds = [
        json.loads(m["payload"])["type"]  # type: ignore[arg-type]
        for m in sent
        if str(m["topic"]).endswith("events")
    ]
    assert kinds == ["message.accepted", "message.accepted"]


async def test_rule_failure_is_answered_with_a_standard_retour(
    runtime: Runtime, ctx: Context
) -> None:
    item = _item(_fixture("WMO305", Bsn="174285918"), "65656055", "vecozo")
    await intake.process(runtime, ctx, [item])
    assert await _status(runtime.pool, item.id) == "rejected"
    sent = await _outbox(runtime.pool)
    back = [m for m in sent if str(m["topic"]).endswith("egress.vecozo")]
    assert len(back) == 1
    assert back[0]["key"] == "65656055"
    verdict = runtime.validator.validate(back[0]["payload"])  # type: ignore[arg-type]
    assert verdict.outcome is Outcome.VALID
    assert verdict.message_type is not None
    assert verdict.message_type.name == "WMO306"
    assert verdict.root is not None
    codes = [e.text for e in verdict.root.iter() if xmlcodec.local_name(e) == "RetourCode"]
    assert codes == ["0001"]
    # Nothing went to the gemeente.
    assert not [m for m in sent if str(m["topic"]).endswith("egress.ggk")]
    # Events never carry the BSN.
    for m in sent:
        if str(m["topic"]).endswith("events"):
            assert BSN.encode() not in m["payload"]  # type: ignore[operator]


async def test_redelivery_is_recognised_and_true_duplicate_gets_9056(
    runtime: Runtime, ctx: Context
) -> None:
    await _toewijzing(runtime, ctx)
    payload = _fixture("WMO305")
    first = _item(payload, "65656055", "vecozo")
    await intake.process(runtime, ctx, [first])
    await intake.process(runtime, ctx, [first])  # Kafka redelivered the same record
    assert await store.count_messages(runtime.pool) == 2
    again = _item(payload, "65656055", "vecozo")  # the party uploaded the same message again
    await intake.process(runtime, ctx, [again])
    row = await runtime.pool.fetchrow(
        "SELECT status, retourcodes FROM message WHERE id = $1", again.id
    )
    assert row is not None
    assert row["status"] == "rejected"
    assert "9056" in row["retourcodes"]
    to_ggk = [m for m in await _outbox(runtime.pool) if str(m["topic"]).endswith("egress.ggk")]
    assert len(to_ggk) == 1  # delivered once


async def test_retour_is_linked_and_routed_back(runtime: Runtime, ctx: Context) -> None:
    await _toewijzing(runtime, ctx)
    heen = _item(_fixture("WMO305"), "65656055", "vecozo")
    await intake.process(runtime, ctx, [heen])
    retour = _item((FIXTURES.parent / "iwmo-3.2" / "WMO306.xml").read_bytes(), "0363", "ggk")
    await intake.process(runtime, ctx, [retour])
    assert await _status(runtime.pool, retour.id) == "accepted"
    linked = await runtime.pool.fetchval("SELECT retour_id FROM message WHERE id = $1", heen.id)
    assert linked == retour.id
    back = [
        m
        for m in await _outbox(runtime.pool)
        if str(m["topic"]).endswith("egress.vecozo")
        and m["headers"]["hub-message-type"] == "WMO306"  # type: ignore[index]
    ]
    assert [m["key"] for m in back] == ["65656055"]
    # A second retour for the same heenbericht is kept aside.
    second = _item(_fixture("WMO306", IdentificatieRetour="X2"), "0363", "ggk")
    await intake.process(runtime, ctx, [second])
    assert await _status(runtime.pool, second.id) == "dead-lettered"


async def test_a_retour_from_another_party_than_the_receiver_is_dead_lettered(
    runtime: Runtime, ctx: Context
) -> None:
    """Another gemeente answering a 305 that was sent to 0363 (its adapter refuses that upload,
    so here the record comes straight onto ingress): not linked, not routed, and the
    heenbericht still waits for its own receiver's retour."""
    await _toewijzing(runtime, ctx)
    heen = _item(_fixture("WMO305"), "65656055", "vecozo")
    await intake.process(runtime, ctx, [heen])
    intruder = _item(_fixture("WMO306", IdentificatieRetour="X9"), "0599", "ggk")
    await intake.process(runtime, ctx, [intruder])
    assert await _status(runtime.pool, intruder.id) == "dead-lettered"
    letters = await runtime.pool.fetch("SELECT stage, error, message_id FROM dead_letter")
    assert [(r["stage"], r["error"], r["message_id"]) for r in letters] == [
        ("linking", "wrong-party", intruder.id)
    ]
    assert (
        await runtime.pool.fetchval("SELECT retour_id FROM message WHERE id = $1", heen.id) is None
    )
    to_provider = [
        m
        for m in await _outbox(runtime.pool)
        if str(m["topic"]).endswith("egress.vecozo")
        and m["headers"]["hub-message-type"] == "WMO306"  # type: ignore[index]
    ]
    assert to_provider == []
    # The true receiver's retour is still linked and routed.
    retour = _item((FIXTURES.parent / "iwmo-3.2" / "WMO306.xml").read_bytes(), "0363", "ggk")
    await intake.process(runtime, ctx, [retour])
    assert await _status(runtime.pool, retour.id) == "accepted"


async def test_retour_without_heenbericht_and_unreadable_input_are_dead_lettered(
    runtime: Runtime, ctx: Context
) -> None:
    orphan = _item(_fixture("WMO306", Identificatie="NOSUCHHEEN"), "0363", "ggk")
    junk = _item(b"<not-xml", "0363", "ggk")
    await intake.process(runtime, ctx, [orphan, junk])
    assert await _status(runtime.pool, orphan.id) == "dead-lettered"
    assert await _status(runtime.pool, junk.id) == "dead-lettered"
    letters = await runtime.pool.fetch("SELECT stage, error FROM dead_letter ORDER BY id")
    assert [(r["stage"], r["error"]) for r in letters] == [
        ("linking", "unknown-heenbericht"),
        ("validation", "unreadable"),
    ]
    dlq = [m for m in await _outbox(runtime.pool) if str(m["topic"]).endswith(".dlq")]
    assert len(dlq) == 2
    assert dlq[1]["headers"]["hub-dlq-stage"] == "validation"  # type: ignore[index]


async def test_history_rule_rejects_a_stop_without_start(runtime: Runtime, ctx: Context) -> None:
    await _toewijzing(runtime, ctx)
    stop = _item(_fixture("WMO307"), "65656055", "vecozo")
    await intake.process(runtime, ctx, [stop])
    codes = await runtime.pool.fetchval("SELECT retourcodes FROM message WHERE id = $1", stop.id)
    assert "9069" in codes


async def _debug(pool: store.Pool) -> object:
    return [
        dict(r)
        for r in await pool.fetch("SELECT rule, retourcode, location, sentence FROM finding")
    ]


def _stage_samples() -> dict[str, tuple[float, float, float]]:
    """Per stage: (batches observed, wall seconds, CPU seconds) so far, from the registry."""
    from prometheus_client import REGISTRY

    out: dict[str, tuple[float, float, float]] = {}
    for stage in metrics.INTAKE_STAGES:
        labels = {"stage": stage}
        out[stage] = (
            REGISTRY.get_sample_value("isdhub_intake_stage_seconds_count", labels) or 0.0,
            REGISTRY.get_sample_value("isdhub_intake_stage_seconds_sum", labels) or 0.0,
            REGISTRY.get_sample_value("isdhub_intake_stage_cpu_seconds_total", labels) or 0.0,
        )
    return out


async def test_every_stage_of_a_batch_is_timed(runtime: Runtime, ctx: Context) -> None:
    from prometheus_client import REGISTRY

    await _toewijzing(runtime, ctx)
    batches = REGISTRY.get_sample_value("isdhub_intake_batch_messages_count") or 0.0
    before = _stage_samples()
    items = [_item(_fixture("WMO305"), "65656055", "vecozo") for _ in range(3)]
    await intake.process(runtime, ctx, items)
    after = _stage_samples()
    assert REGISTRY.get_sample_value("isdhub_intake_batch_messages_count") == batches + 1
    for stage in metrics.INTAKE_STAGES:
        (n0, wall0, cpu0), (n1, wall1, cpu1) = before[stage], after[stage]
        assert n1 == n0 + 1, stage  # one observation per stage per batch
        assert wall1 > wall0, stage
        assert cpu1 >= cpu0, stage
    # Validating three messages costs CPU; the stages between them cover the whole batch.
    assert after["validate"][2] > before["validate"][2]


async def test_a_failed_batch_times_no_commit(runtime: Runtime, ctx: Context) -> None:
    before = _stage_samples()["commit"][0]
    with pytest.raises(Exception):  # noqa: B017,PT011  any failure inside the transaction
        await intake.process(runtime, ctx, [_item(b"<a/>", "0363", "ggk")], [_explode])
    assert _stage_samples()["commit"][0] == before


async def _explode(conn: object, accepted: object) -> object:
    raise RuntimeError("a derivation that fails")


async def _demo_parties(pool: store.Pool) -> None:
    from hub.domain.parties import DEMO_FILE, load_parties

    await store.upsert_parties(pool, list(load_parties(DEMO_FILE)))


async def test_an_indieners_retour_is_linked_and_routed_like_the_senders_own(
    runtime: Runtime, ctx: Context
) -> None:
    """98000017 may submit for 65656055 (parties.demo.toml): the 302 it uploads answers the
    gemeente's 301 on the provider's behalf, so it is linked and routed to the gemeente."""
    await _demo_parties(runtime.pool)
    heen = await _toewijzing(runtime, ctx)
    retour = _item(_fixture("WMO302"), "98000017", "vecozo")
    await intake.process(runtime, ctx, [retour])
    assert await _status(runtime.pool, retour.id) == "accepted"
    assert await runtime.pool.fetchval("SELECT count(*) FROM dead_letter") == 0
    linked = await runtime.pool.fetchval("SELECT retour_id FROM message WHERE id = $1", heen.id)
    assert linked == retour.id
    row = await runtime.pool.fetchrow(
        "SELECT sender, submitted_by, receiver FROM message WHERE id = $1", retour.id
    )
    assert row is not None
    assert (row["sender"], row["submitted_by"], row["receiver"]) == (
        "65656055",
        "98000017",
        "0363",
    )
    to_gemeente = [
        m
        for m in await _outbox(runtime.pool)
        if str(m["topic"]).endswith("egress.ggk") and m["headers"]["hub-message-type"] == "WMO302"  # type: ignore[index]
    ]
    assert [m["key"] for m in to_gemeente] == ["0363"]


async def test_a_retour_from_a_party_not_delegated_by_its_sender_is_dead_lettered(
    runtime: Runtime, ctx: Context
) -> None:
    """41125003 may not submit for 65656055: its upload of 65656055's 302 is refused."""
    await _demo_parties(runtime.pool)
    heen = await _toewijzing(runtime, ctx)
    retour = _item(_fixture("WMO302"), "41125003", "vecozo")
    await intake.process(runtime, ctx, [retour])
    assert await _status(runtime.pool, retour.id) == "dead-lettered"
    letters = await runtime.pool.fetch("SELECT stage, error FROM dead_letter")
    assert [(r["stage"], r["error"]) for r in letters] == [("linking", "wrong-party")]
    assert (
        await runtime.pool.fetchval("SELECT retour_id FROM message WHERE id = $1", heen.id) is None
    )


async def test_the_event_of_a_dead_lettered_message_says_so(runtime: Runtime, ctx: Context) -> None:
    orphan = _item(_fixture("WMO306", Identificatie="NOSUCHHEEN"), "0363", "ggk")
    await intake.process(runtime, ctx, [orphan])
    rejected = [
        json.loads(m["payload"])  # type: ignore[arg-type]
        for m in await _outbox(runtime.pool)
        if str(m["topic"]).endswith("events")
    ]
    assert [e["type"] for e in rejected] == ["message.rejected"]
    data = rejected[0]["data"]
    assert data["dead_lettered"] is True
    assert (data["stage"], data["error"]) == ("linking", "unknown-heenbericht")


def _poison_on(monkeypatch: pytest.MonkeyPatch, poison_id: UUID, error: Exception) -> None:
    """The heenbericht `poison_id` makes the core's decision raise `error` (as a pack without
    the retour schemas made hub/domain/retour.py raise KeyError)."""
    from hub.domain import decide

    real = decide.heen

    def heen(ctx: Context, item: Incoming, *args: object) -> decide.Decision:
        if item.id == poison_id:
            raise error
        return real(ctx, item, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(decide, "heen", heen)


async def test_a_message_whose_decision_raises_is_dead_lettered_alone_after_its_tries(
    runtime: Runtime, ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    from handlers.poison import Attempts, MessageFault
    from tests.e2e.traffic import bsns, message

    persons = bsns(16)
    items = [_item(message("301", f"P16{n:09d}", next(persons)), "0363", "ggk") for n in range(4)]
    poison = items[1]
    _poison_on(monkeypatch, poison.id, KeyError("WMO306"))
    attempts = Attempts(limit=3)
    for _ in range(2):  # the batch fails and is redelivered, nothing of it is written
        with pytest.raises(MessageFault):
            await intake.process(runtime, ctx, items, (), attempts)
        assert await _status(runtime.pool, items[0].id) == "None"
    await intake.process(runtime, ctx, items, (), attempts)  # its third try: set aside
    statuses = [await _status(runtime.pool, i.id) for i in items]
    assert statuses == ["accepted", "dead-lettered", "accepted", "accepted"]
    letter = await runtime.pool.fetchrow("SELECT stage, error, reason FROM dead_letter")
    assert letter is not None
    assert (letter["stage"], letter["error"]) == ("decide", "KeyError")
    assert letter["reason"] == "decide raised KeyError: 'WMO306'"
    sent = await _outbox(runtime.pool)
    told = [
        json.loads(m["payload"])  # type: ignore[arg-type]
        for m in sent
        if str(m["topic"]).endswith("events")
        and json.loads(m["payload"])["message_id"] == str(poison.id)  # type: ignore[arg-type]
    ]
    assert [(e["type"], e["sender"]) for e in told] == [("message.rejected", "0363")]
    assert told[0]["data"]["dead_lettered"] is True
    assert (told[0]["data"]["stage"], told[0]["data"]["error"]) == ("decide", "key-error")
    assert [m["headers"]["hub-dlq-error"] for m in sent if str(m["topic"]).endswith(".dlq")] == [  # type: ignore[index]
        "KeyError"
    ]
    # Each other message went to the provider once.
    to_provider = [
        m["headers"]["hub-message-id"]  # type: ignore[index]
        for m in sent
        if str(m["topic"]).endswith("egress.vecozo")
    ]
    assert sorted(to_provider) == sorted(str(i.id) for i in items if i is not poison)
    assert attempts.faults == {}


async def test_a_retryable_error_is_never_blamed_on_the_message(
    runtime: Runtime, ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    from handlers.poison import Attempts
    from hub.domain.errors import TransientError

    item = _item(_fixture("WMO305"), "65656055", "vecozo")
    _poison_on(monkeypatch, item.id, TransientError("database hiccup"))
    attempts = Attempts(limit=1)
    for _ in range(3):
        with pytest.raises(TransientError):
            await intake.process(runtime, ctx, [item], (), attempts)
    assert await runtime.pool.fetchval("SELECT count(*) FROM dead_letter") == 0
