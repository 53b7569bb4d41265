"""The core parks on a real PostgreSQL: a frozen message is in the ledger with status
"parked" and queued to the parked topic, never routed; at the cutover the new-release ones go
through intake again in arrival order and the old-release ones go back to their senders."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from uuid import UUID, uuid4

import pytest

from handlers import intake
from handlers.cutover import RELEASE_OF, CutoverWatch, release_parked, return_parked
from hub.domain import events, freeze
from hub.domain.decide import Context, Incoming
from hub.domain.errors import ConfigError
from hub.domain.freeze import ZONE, Calendar
from hub.domain.headers import H
from hub.domain.messages import Node, Standard
from hub.infra import store
from hub.infra.runtime import Runtime
from hub.infra.store import freeze as table
from hub.settings import Settings

FIXTURES = Path(__file__).parents[1] / "fixtures" / "iwmo-3.2"
GO_LIVE = datetime(2027, 4, 5, 13, 0, tzinfo=ZONE)
OPEN = datetime(2027, 3, 1, 9, 0, tzinfo=ZONE)
HEEN_FROZEN = datetime(2027, 3, 31, 17, 30, tzinfo=ZONE)
AFTER = GO_LIVE + timedelta(hours=1)


def _calendar(old: str, new: str) -> Calendar:
    f = freeze.plan(Standard.IWMO, GO_LIVE, old, new)
    return Calendar(MappingProxyType({Standard.IWMO: f}))


def _ctx(runtime: Runtime, calendar: Calendar) -> Context:
    runtime.freeze = calendar
    return intake.build_context(runtime)


def _item(name: str, party: str, node: str, at: datetime) -> Incoming:
    return Incoming(
        id=uuid4(),
        node=node,
        party=party,
        received_at=at,
        payload=(FIXTURES / f"{name}.xml").read_bytes(),
        partition=0,
        offset=1,
        topic="t.ingress",
    )


async def _status(pool: store.Pool, message_id: UUID) -> str:
    return str(await pool.fetchval("SELECT status FROM message WHERE id = $1", message_id))


async def _outbox(pool: store.Pool) -> list[tuple[str, dict[str, str], bytes]]:
    rows = await pool.fetch("SELECT topic, headers, payload FROM outbox_resolved ORDER BY id")
    return [(r["topic"], json.loads(r["headers"]), bytes(r["payload"])) for r in rows]


async def _events(pool: store.Pool, type_: str) -> list[events.EventBase]:
    found = [events.parse_event(p) for t, _, p in await _outbox(pool) if t.endswith(".events")]
    return [e for e in found if e.type == type_]


async def test_a_frozen_heenbericht_is_parked_in_the_ledger_and_not_routed(
    runtime: Runtime, settings: Settings
) -> None:
    ctx = _ctx(runtime, _calendar("3.2", "3.3"))
    before = _item("WMO301", "0363", "ggk", OPEN)
    frozen = _item("WMO301", "0363", "ggk", HEEN_FROZEN)
    await intake.process(runtime, ctx, [before])
    await intake.process(runtime, ctx, [frozen])
    assert await _status(runtime.pool, before.id) == "accepted"
    assert await _status(runtime.pool, frozen.id) == "parked"  # nothing lost
    stored = await runtime.pool.fetchval("SELECT payload FROM message WHERE id = $1", frozen.id)
    assert bytes(stored) == frozen.payload
    sent = await _outbox(runtime.pool)
    about_frozen = [
        (t, h)
        for t, h, _ in sent
        if h.get(H.MESSAGE_ID.value) == str(frozen.id) and not t.endswith(".events")
    ]
    assert [t for t, _ in about_frozen] == [f"{settings.topic_prefix}.parked"]  # not routed
    assert about_frozen[0][1][H.PARTY.value] == "0363"
    egress = [t for t, _, _ in sent if ".egress." in t]
    assert len(egress) == 1  # only the one before the freeze
    # Integrators hear of it: message.parked, codes only.
    (parked,) = await _events(runtime.pool, "message.parked")
    assert isinstance(parked, events.MessageParked)
    assert (parked.message_id, parked.message_type, parked.sender) == (frozen.id, "WMO301", "0363")
    assert parked.data == events.ParkedData(
        kind="old-release", phase=freeze.Phase.HEEN_FREEZE, from_release="3.2",
        to_release="3.3", until=GO_LIVE,
    )  # fmt: skip
    assert parked.person is not None
    # The parked one waits; it is never a broken pair, the routed one is.
    assert [p.id for p in await table.parked(runtime.pool)] == [frozen.id]
    broken = await table.broken_pairs(runtime.pool, "iwmo", "3.2")
    assert [b.id for b in broken] == [before.id]
    assert broken[0].sender == "0363"
    # A redelivery of the parked one is recognised, not parked twice.
    await intake.process(runtime, ctx, [frozen])
    assert await store.count_messages(runtime.pool) == 2


async def test_old_release_parked_ones_are_returned_to_their_sender(
    runtime: Runtime, settings: Settings
) -> None:
    ctx = _ctx(runtime, _calendar("3.2", "3.3"))
    declaratie = _item("WMO323", "65656055", "vecozo", HEEN_FROZEN)
    await intake.process(runtime, ctx, [declaratie])
    assert await _status(runtime.pool, declaratie.id) == "parked"
    f = runtime.freeze.get("iwmo") if runtime.freeze else None
    assert f is not None
    returned = await return_parked(runtime.pool, settings, f, AFTER)
    assert [r.parked for r in returned] == [declaratie.id]
    assert await _status(runtime.pool, declaratie.id) == "returned"
    back = [(t, h) for t, h, _ in await _outbox(runtime.pool) if ".egress." in t]
    assert back == [
        (
            f"{settings.topic_prefix}.egress.vecozo",
            {
                H.MESSAGE_ID.value: str(declaratie.id),
                H.RECEIVER.value: "65656055",
                H.NODE.value: "vecozo",
                H.MESSAGE_TYPE.value: "WMO323",
            },
        )
    ]
    reason = await runtime.pool.fetchval(
        "SELECT reason FROM freeze_outcome WHERE message_id = $1", declaratie.id
    )
    assert "3.3" in reason
    (returned_event,) = await _events(runtime.pool, "message.returned")
    assert isinstance(returned_event, events.MessageReturned)
    assert returned_event.message_id == declaratie.id
    assert returned_event.data == events.ReturnedData(
        node=Node.VECOZO, inbox="65656055", to_release="3.3", cutover=GO_LIVE
    )
    assert await return_parked(runtime.pool, settings, f, AFTER) == []  # once
    assert len(await _events(runtime.pool, "message.returned")) == 1


async def test_new_release_parked_ones_are_released_at_cutover_in_arrival_order(
    runtime: Runtime, settings: Settings
) -> None:
    # The built-in packs are 3.2: here 3.2 is the new release, held until the cutover.
    ctx = _ctx(runtime, _calendar("3.1", "3.2"))
    first = _item("WMO301", "0363", "ggk", HEEN_FROZEN)
    second = _item("WMO305", "65656055", "vecozo", HEEN_FROZEN + timedelta(minutes=1))
    await intake.process(runtime, ctx, [second, first])  # batch order is not arrival order
    assert [p.id for p in await table.parked(runtime.pool)] == [first.id, second.id]
    f = runtime.freeze.get("iwmo") if runtime.freeze else None
    assert f is not None
    with pytest.raises(ConfigError, match="cutover"):
        await release_parked(runtime.pool, settings, f, GO_LIVE - timedelta(seconds=1))
    released = await release_parked(runtime.pool, settings, f, AFTER)
    assert [r.parked for r in released] == [first.id, second.id]
    assert await _status(runtime.pool, first.id) == "released"
    ingress = [(h, p) for t, h, p in await _outbox(runtime.pool) if t.endswith(".ingress")]
    assert [h[RELEASE_OF] for h, _ in ingress] == [str(first.id), str(second.id)]
    assert [h[H.PARTY.value] for h, _ in ingress] == ["0363", "65656055"]
    assert ingress[0][1] == first.payload
    released_events = await _events(runtime.pool, "message.released")
    assert [(e.message_id, e.data) for e in released_events] == [
        (r.parked, events.ReleasedData(released_as=r.released_as, to_release="3.2",
                                       cutover=GO_LIVE))
        for r in released
    ]  # fmt: skip
    parked_kinds = {e.data.kind for e in await _events(runtime.pool, "message.parked")}  # type: ignore[union-attr]
    assert parked_kinds == {"new-release"}
    # Back through intake after the cutover, the released 301 is routed as usual.
    h = ingress[0][0]
    again = Incoming(
        id=UUID(h[H.MESSAGE_ID.value]),
        node=h[H.NODE.value],
        party=h[H.PARTY.value],
        received_at=datetime.fromisoformat(h[H.RECEIVED_AT.value]),
        payload=ingress[0][1],
        partition=0,
        offset=9,
        topic="t.ingress",
    )
    await intake.process(runtime, ctx, [again])
    assert await _status(runtime.pool, again.id) == "accepted"
    assert await release_parked(runtime.pool, settings, f, AFTER) == []  # once


async def test_the_core_releases_and_returns_by_itself_once_the_cutover_passed(
    runtime: Runtime, settings: Settings
) -> None:
    ctx = _ctx(runtime, _calendar("3.1", "3.2"))
    held = _item("WMO301", "0363", "ggk", HEEN_FROZEN)
    await intake.process(runtime, ctx, [held])
    assert await _status(runtime.pool, held.id) == "parked"
    watch = CutoverWatch(runtime)
    assert await watch.run_once(GO_LIVE - timedelta(seconds=1)) == 0  # not before the cutover
    assert await _status(runtime.pool, held.id) == "parked"
    assert await watch.run_once(AFTER) == 1
    assert await _status(runtime.pool, held.id) == "released"
    assert await watch.run_once(AFTER) == 0  # once
