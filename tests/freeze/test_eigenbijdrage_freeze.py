"""The WMO405 the hub derives from a 305 is an iEb heenbericht: it follows the iEb calendar,
not the iWmo one of the message it came from. iEb frozen while iWmo is open: the 405 is made
(and told) but held, then sent to the CAK at the iEb cutover under its own id, in the new iEb
release, and the CAK's answer links to it. iWmo frozen while iEb is open: the 305 itself is
parked, and once the iWmo cutover releases it, its 405 goes to the CAK at once.

Through the core's intake (with the eigen-bijdrage derivation) and its cutover watch on a real
PostgreSQL; the records the core queues are read from the outbox."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from uuid import UUID, uuid4

import pytest

from handlers import eigenbijdrage, intake
from handlers.cutover import RELEASE_OF, CutoverWatch
from handlers.derive import Derivation
from hub.app import make_runtime
from hub.domain import events, freeze, topics, xmlcodec
from hub.domain.decide import Context, Incoming
from hub.domain.errors import ConfigError
from hub.domain.freeze import ZONE, Calendar, Freeze
from hub.domain.headers import H
from hub.domain.messages import Node, Standard, by_name
from hub.domain.parties import load_parties
from hub.infra import store
from hub.infra.runtime import Runtime
from hub.ops.packgen.samples import samples
from hub.settings import Settings
from tests.eigenbijdrage._messages import T, build, start
from tests.freeze._replay import spec, write_packs

# In the past: the notices' Dagtekening is the clock's date, and may not lie in the future.
GO_LIVE = datetime(2025, 4, 7, 13, 0, tzinfo=ZONE)
FROZEN = datetime(2025, 4, 3, 10, 0, tzinfo=ZONE)  # after the heen freeze, before go-live
AFTER = GO_LIVE + timedelta(minutes=5)
IEB_NEW = spec(Standard.IEB, "4.1", hub_model=True)


MakeRuntime = Callable[[str, Calendar], Runtime]  # (HUB_PACK_DIRS, calendar) → runtime


def _calendar(*freezes: Freeze) -> Calendar:
    return Calendar(MappingProxyType({f.standard: f for f in freezes}))


@pytest.fixture
def ieb_41(tmp_path: Path) -> str:
    return write_packs(tmp_path / "packs", [IEB_NEW])


@pytest.fixture
async def make(
    settings: Settings, pool: store.Pool, database_url: str
) -> AsyncIterator[MakeRuntime]:
    made: list[Runtime] = []
    # The parties the messages go to, registered as a hub's start registers them.
    await store.upsert_parties(pool, list(load_parties(settings.parties_file)))

    def _make(pack_dirs: str, calendar: Calendar) -> Runtime:
        assert settings.kafka_bootstrap is not None
        s = settings.model_copy(update={"pack_dirs": pack_dirs})
        rt = make_runtime(s, settings.kafka_bootstrap, database_url, "test-eb-freeze")
        rt.freeze = calendar
        rt.attach_pool(pool)
        made.append(rt)
        return rt

    yield _make
    for rt in made:
        rt.attach_pool(None)


class Core:
    """Intake with the eigen-bijdrage derivation as the core wires it, on a moving clock."""

    def __init__(self, runtime: Runtime, now: datetime) -> None:
        self.runtime = runtime
        self.now = now
        runtime.clock = lambda: self.now
        self.ctx: Context = intake.build_context(runtime)
        self.derivation: Derivation = eigenbijdrage.build(runtime)
        self.seen = 0

    async def send(self, party: str, node: str, payload: bytes) -> Incoming:
        item = Incoming(uuid4(), node, party, self.now, payload, 0, 1, "t.ingress")
        await self.process(item)
        return item

    async def process(self, *items: Incoming) -> None:
        await intake.process(self.runtime, self.ctx, list(items), [self.derivation])

    async def queued(self) -> list[tuple[str, dict[str, str], bytes]]:
        """What the core queued since the last call: (topic, headers, payload)."""
        rows = await self.runtime.pool.fetch(
            "SELECT id, topic, headers, payload FROM outbox_resolved WHERE id > $1 ORDER BY id",
            self.seen,
        )
        if rows:
            self.seen = rows[-1]["id"]
        return [(r["topic"], json.loads(r["headers"]), bytes(r["payload"])) for r in rows]

    async def row(self, message_id: UUID) -> dict[str, object]:
        found = await self.runtime.pool.fetchrow(
            "SELECT status, release, message_type, retour_due, identificatie FROM message"
            " WHERE id = $1",
            message_id,
        )
        assert found is not None
        return dict(found)


def _topic(core: Core, spec: topics.TopicSpec) -> str:
    return topics.name(core.runtime.settings, spec)


def _events(queued: list[tuple[str, dict[str, str], bytes]]) -> list[events.EventBase]:
    return [events.parse_event(p) for t, _, p in queued if t.endswith(".events")]


async def _toewijzing_and_start(core: Core) -> Incoming:
    await core.send("0363", "ggk", build("WMO301", [T(1, "02")]))
    return await core.send("65656055", "vecozo", build("WMO305", [start(1, "02", "2025-01-06")]))


async def test_ieb_frozen_while_iwmo_is_open_the_405_is_held_and_sent_at_the_ieb_cutover(
    make: MakeRuntime, ieb_41: str
) -> None:
    ieb = freeze.plan(Standard.IEB, GO_LIVE, "4.0", "4.1")
    core = Core(make(ieb_41, _calendar(ieb)), FROZEN)
    start_msg = await _toewijzing_and_start(core)

    # The 305 itself flows: iWmo has no freeze.
    assert (await core.row(start_msg.id))["status"] == "accepted"
    queued = await core.queued()
    egress = [(t, h) for t, h, _ in queued if ".egress." in t]
    assert [h[H.MESSAGE_TYPE.value] for _, h in egress] == ["WMO301", "WMO305"]  # no 405
    parked = [(h, p) for t, h, p in queued if t == _topic(core, topics.PARKED)]
    assert len(parked) == 1
    notice_id = UUID(parked[0][0][H.MESSAGE_ID.value])
    notice = await core.row(notice_id)
    # Built in the release the CAK accepts when it will be sent: iEb 4.1.
    assert (notice["status"], notice["release"], notice["message_type"]) == (
        "parked", "4.1", "WMO405",
    )  # fmt: skip
    assert notice["retour_due"] is None  # its deadline starts when it is sent
    verdict = core.runtime.validator.validate(parked[0][1])
    assert verdict.valid, verdict.findings
    assert verdict.pack_message is not None
    assert verdict.pack_message.pack.release == "4.1"
    types = {e.type: e for e in _events(queued)}
    assert {"eigenbijdrage.notice", "message.parked"} <= set(types)
    held = types["message.parked"]
    assert isinstance(held, events.MessageParked)
    assert (held.message_id, held.data.kind, held.data.phase) == (
        notice_id, "new-release", freeze.Phase.HEEN_FREEZE,
    )  # fmt: skip

    # Before the iEb cutover nothing moves; after it, the notice goes to the CAK, same id.
    watch = CutoverWatch(core.runtime)
    assert await watch.run_once(GO_LIVE - timedelta(seconds=1)) == 0
    core.now = AFTER
    assert await watch.run_once(AFTER) == 1
    queued = await core.queued()
    to_cak = [(t, h, p) for t, h, p in queued if ".egress." in t]
    cak = core.runtime.settings.cak_party_code
    assert [(t, h[H.MESSAGE_ID.value], h[H.RECEIVER.value]) for t, h, _ in to_cak] == [
        (topics.egress_name(core.runtime.settings, Node.GGK), str(notice_id), cak)
    ]
    assert not [h for t, h, _ in queued if t.endswith(".ingress") and RELEASE_OF in h]
    sent = await core.row(notice_id)
    assert sent["status"] == "accepted"
    assert isinstance(sent["retour_due"], datetime)
    assert sent["retour_due"] > AFTER
    (released,) = [e for e in _events(queued) if e.type == "message.released"]
    assert isinstance(released, events.MessageReleased)
    assert released.data.released_as is None
    assert released.data.to_release == "4.1"

    # The CAK answers in 4.1: the answer links to the notice the hub recorded.
    answer = xmlcodec.parse_message(samples(IEB_NEW, by_name("WMO406")))
    next(answer.iter("{*}Identificatie")).text = str(sent["identificatie"])
    reply = await core.send(cak, "ggk", xmlcodec.serialize(answer))
    linked = await core.runtime.pool.fetchrow(
        "SELECT status, answers FROM message WHERE id = $1", reply.id
    )
    assert linked is not None
    assert (linked["status"], linked["answers"]) == ("accepted", notice_id)


async def test_iwmo_frozen_while_ieb_is_open_the_405_goes_out_when_its_305_is_accepted(
    make: MakeRuntime,
) -> None:
    # iWmo moves 3.1 -> 3.2 (the built-in pack is the new release); iEb has no freeze.
    iwmo = freeze.plan(Standard.IWMO, GO_LIVE, "3.1", "3.2")
    core = Core(make("", _calendar(iwmo)), FROZEN)
    start_msg = await _toewijzing_and_start(core)
    assert (await core.row(start_msg.id))["status"] == "parked"
    queued = await core.queued()
    assert not [h for t, h, _ in queued if ".egress." in t]  # nothing routed, no 405 yet
    assert not [e for e in _events(queued) if e.type == "eigenbijdrage.notice"]

    core.now = AFTER
    assert await CutoverWatch(core.runtime).run_once(AFTER) == 2
    released = [(h, p) for t, h, p in await core.queued() if t.endswith(".ingress")]
    assert len(released) == 2
    # The core consumes them from ingress as any other message, in arrival order.
    await core.process(
        *(
            Incoming(UUID(h[H.MESSAGE_ID.value]), h[H.NODE.value], h[H.PARTY.value],
                     datetime.fromisoformat(h[H.RECEIVED_AT.value]), p, 0, 10 + n, "t.ingress")
            for n, (h, p) in enumerate(released)
        )
    )  # fmt: skip
    queued = await core.queued()
    cak = core.runtime.settings.cak_party_code
    to_cak = [h for t, h, _ in queued if ".egress." in t and h[H.RECEIVER.value] == cak]
    assert [h[H.MESSAGE_TYPE.value] for h in to_cak] == ["WMO405"]  # at once, not held
    notice = await core.row(UUID(to_cak[0][H.MESSAGE_ID.value]))
    assert (notice["status"], notice["release"]) == ("accepted", "4.0")
    assert not [e for e in _events(queued) if e.type == "message.parked"]


def test_an_ieb_freeze_needs_the_new_release_pack_at_start_up(make: MakeRuntime) -> None:
    ieb = freeze.plan(Standard.IEB, GO_LIVE, "4.0", "4.1")
    runtime = make("", _calendar(ieb))
    with pytest.raises(ConfigError, match=r"4\.1"):
        eigenbijdrage.build(runtime)
