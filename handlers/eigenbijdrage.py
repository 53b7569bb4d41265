"""The eigen-bijdrage derivation: accepted iWmo 305/307 become WMO405/407 notices to the CAK,
sent on the gemeente's behalf, and the CAK's 406/408 answers are recorded on them.

Runs inside the intake batch's transaction (handlers.derive), in arrival order: per source
message and route, the person's counting lines are updated, the periods the CAK should know
are recomputed, and whatever differs from what it was told becomes one notice
(hub.domain.eigenbijdrage.periods). Nothing is sent for a message that was applied before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import ClassVar, Final
from uuid import UUID, uuid4

from lxml import etree

from handlers import derive
from handlers.derive import Accepted, Derivation, Derived
from handlers.eigenbijdrage_parts import (
    Identificaties,
    Lookup,
    entry_data,
    held_event,
    notice_row,
    toewijzing_refs,
)
from handlers.poison import per_message
from hub.domain import topics, workdays, xmlcodec
from hub.domain.decide import EventSpec, park
from hub.domain.eigenbijdrage import kostprijs, limits, notices, signals
from hub.domain.eigenbijdrage.lines import Source, is_line_message, read_source
from hub.domain.eigenbijdrage.periods import (
    DELETE,
    NEW,
    Entry,
    Facts,
    Period,
    Route,
    periods,
    reconcile,
)
from hub.domain.eigenbijdrage.policy import PolicyBook, load_policy
from hub.domain.errors import ConfigError
from hub.domain.events import EventType
from hub.domain.freeze import Calendar
from hub.domain.headers import H
from hub.domain.history.reading import HistoryInputError
from hub.domain.messages import Direction, Node, Standard
from hub.domain.packs import PackMessage, PackRegistry
from hub.domain.records import OutboxMessage
from hub.domain.rules.base import parse_date
from hub.infra.runtime import Runtime
from hub.infra.store import DbConnection
from hub.infra.store import eigenbijdrage as eb_store
from hub.infra.store.eigenbijdrage import (
    FactRow,
    HeldRow,
    NoticeAnswer,
    NoticeRow,
    PersonState,
    StateKey,
)

log = logging.getLogger(__name__)

_ANSWERS: Final = frozenset({"WMO406", "WMO408"})
_OK_CODES: Final = frozenset({"0200", "0233"})  # no remark / not evaluated


@dataclass
class EigenBijdrage:
    """The derivation (a handlers.derive.Derivation)."""

    policy: PolicyBook
    packs: PackRegistry
    secret: bytes
    cak: str
    egress_topic: str  # the GGK egress: the CAK is a party of the GGK node
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    new_id: Callable[[], UUID] = uuid4
    # The iEb calendar, not the iWmo one of the 305/307: a notice is an iEb heenbericht.
    freeze: Calendar | None = None
    parked_topic: str = ""

    name: ClassVar[str] = "eigenbijdrage"
    stage: ClassVar[str] = derive.stage(name)

    async def __call__(self, conn: DbConnection, accepted: Sequence[Accepted]) -> Derived:
        out = Derived()
        now = self.clock()
        await self._answers(conn, [a for a in accepted if a.message_type.name in _ANSWERS], out)
        batch = [a for a in accepted if _is_source(a)]
        if not batch:
            return out
        # Every source's person locked, then its state and whether the source was done
        # (a redelivery) read in one round trip; a done source's person is locked for nothing.
        persons = [(a.row.ontvanger or "", a.row.person_key or "") for a in batch]
        await eb_store.lock_persons(conn, persons)
        states, done = await eb_store.load_batch(conn, persons, [a.row.id for a in batch])
        batch = [a for a in batch if a.row.id not in done]
        lookup = Lookup(await eb_store.toewijzing_categories(conn, toewijzing_refs(batch)))

        facts: list[FactRow] = []
        sent: list[NoticeRow] = []
        held_rows: list[HeldRow] = []  # beyond the iEb limits (hub.domain.eigenbijdrage.limits)
        ids = Identificaties(conn)
        todo = {a.row.id for a in batch}
        for item in accepted:
            # Tied to the message: one message's own fault sets it aside, not the batch.
            with per_message(item.row.id, self.stage):
                if item.message_type.name == "WMO301":
                    lookup.take(item)  # a later line of this batch may need its category
                if item.row.id not in todo:
                    continue
                try:
                    source = read_source(
                        item.root, item.message_type.name, item.row.id, self.secret,
                        self.policy.for_gemeente, lookup, item.facts,
                    )  # fmt: skip
                except HistoryInputError:
                    log.warning("message %s: eigen-bijdrage lines unreadable; skipped", item.row.id)
                    continue
                if source is None or not source.counted:
                    continue
                self._late_starts(item, source, out)
                for route in source.routes():
                    key: StateKey = (source.gemeente, source.person, route)
                    state = states.get(key, PersonState())
                    lines = [c.line for c in source.counted if c.route is route]
                    facts.extend(
                        FactRow(key[0], key[1], route, ln.aanbieder, ln.start, ln.stop, ln.deleted,
                                source.message_id)
                        for ln in lines
                    )  # fmt: skip
                    new_facts = state.facts.with_lines(lines)
                    policy = self.policy.for_gemeente(source.gemeente)
                    wanted = periods(new_facts, temporary_stop_ends=policy.temporary_stop_ends)
                    entries, held = limits.split(
                        reconcile(state.told, wanted, self.new_id),
                        state.told,
                        state.held,
                        _dag(item),
                        start_months=policy.start_limit_months,
                        correction_months=policy.correction_limit_months,
                    )
                    told = dict(state.told)
                    by_hand = set(state.held)
                    for h in held:  # not sent, but kept as told: the gemeente does it by hand
                        out.events.append(held_event(item.row, route, h))
                        held_rows.append(
                            HeldRow(*key, source.message_id, h, len(sent) + len(held_rows))
                        )
                        _tell(told, [h.entry])
                        if h.entry.status == NEW:
                            by_hand.add(h.entry.melding_id)
                    if entries:
                        seq = len(sent) + len(held_rows)
                        notice = await self._notice(
                            ids, item, source, route, entries, now, out, new_facts, seq
                        )
                        if notice is not None:
                            sent.append(notice)
                            _tell(told, entries)
                    states[key] = PersonState(new_facts, told, frozenset(by_hand))
        await eb_store.save(conn, facts, sent, now, held_rows)
        return out

    async def _notice(
        self,
        ids: Identificaties,
        item: Accepted,
        source: Source,
        route: Route,
        entries: Sequence[Entry],
        now: datetime,
        out: Derived,
        facts: Facts,
        seq: int,
    ) -> NoticeRow | None:
        pm = self._pack_message(route, now)
        identificatie = await ids.take()
        policy = self.policy.for_gemeente(source.gemeente)
        bw = route is Route.BESCHERMD_WONEN
        header = notices.NoticeHeader(
            # Beschermd wonen goes out in the name of the centrumgemeente (issue #18).
            gemeente=(policy.centrumgemeente if bw else None) or source.gemeente,
            cak=self.cak,
            identificatie=identificatie,
            dagtekening=workdays.local_date(now),
        )
        try:
            prices = {} if bw else kostprijs.kostprijzen(facts, entries, policy.kostprijs)
            root = notices.build_notice(pm, header, source.bsn, source.birth, entries, prices)
        except notices.NoticeError:
            # A bug in the builder or the pack, never in the input: keep the period untold so
            # the person's next message tries again, and say so loudly.
            log.exception("notice for message %s not sent", source.message_id)
            return None
        payload = xmlcodec.serialize(root)
        row = notice_row(pm, header, payload, source, now)
        held = park.held_notice(self.freeze, row, pm.message_type, self.parked_topic, now)
        if held is not None:  # an iEb freeze: kept (and told), sent at the iEb cutover
            row, parked, event = held
            out.rows.append(row)
            out.outbox.append(parked)
            out.events.append(event)
        else:
            out.rows.append(row)
            out.outbox.append(
                OutboxMessage(
                    self.egress_topic,
                    self.cak.encode(),
                    payload,
                    {
                        H.MESSAGE_ID.value: str(row.id),
                        H.RECEIVER.value: self.cak,
                        H.NODE.value: Node.GGK.value,
                        H.MESSAGE_TYPE.value: pm.name,
                    },
                )
            )
        out.events.append(
            EventSpec(
                EventType.EB_NOTICE.value,
                row.id,
                row,
                {
                    "source_id": str(source.message_id),
                    "identificatie": identificatie,
                    "entries": [entry_data(e) for e in entries],
                },
            )
        )
        return NoticeRow(
            message_id=row.id,
            gemeente=source.gemeente,
            person_key=source.person,
            route=route,
            identificatie=identificatie,
            berichtsoort=pm.bericht_code,
            source_message_id=source.message_id,
            entries=tuple(entries),
            afzender=header.gemeente,
            seq=seq,
        )

    def _pack_message(self, route: Route, now: datetime) -> PackMessage:
        release = park.notice_release(self.freeze, self.packs.releases(Standard.IEB), now)
        if release is None:
            return notices.notice_pack_message(self.packs, route)
        return self.packs.get(Standard.IEB, release, route.message_name)

    def _late_starts(self, item: Accepted, source: Source, out: Derived) -> None:
        allowed = self.policy.for_gemeente(source.gemeente).late_start_workdays
        for c in source.counted:
            if c.line.stop is not None or not c.new:
                continue
            late = signals.late_start(c.line.start.begindatum, item.row.received_at, allowed)
            if late is None:
                continue
            out.events.append(
                EventSpec(
                    EventType.EB_LATE_START.value,
                    item.row.id,
                    item.row,
                    {
                        "begindatum": c.line.start.begindatum,
                        "werkdagen": late,
                        "allowed": allowed,
                        "route": c.route.value,
                        "categorie": c.categorie or None,
                        "location": c.location,
                    },
                )
            )

    async def _answers(self, conn: DbConnection, answers: Sequence[Accepted], out: Derived) -> None:
        """The CAK's 406/408 on hub-built notices: record them, raise an event on rejection."""
        found = [
            NoticeAnswer(
                notice_id=a.row.answers,
                retour_id=a.row.id,
                retourcodes=codes,
                rejected=bool(set(codes) - _OK_CODES),
                at=a.row.received_at,
            )
            for a in answers
            if a.row.answers is not None
            for codes in (_retourcodes(a.root),)
        ]
        meldingen = await eb_store.record_answers(conn, found)
        for answer, item in zip(found, [a for a in answers if a.row.answers], strict=True):
            if not answer.rejected or answer.notice_id not in meldingen:
                continue
            log.warning("the CAK rejected notice %s (%s)", answer.notice_id, answer.retourcodes)
            out.events.append(
                EventSpec(
                    EventType.EB_NOTICE_REJECTED.value,
                    item.row.id,
                    item.row,
                    {
                        "heen_id": str(answer.notice_id),
                        "retourcodes": [c for c in answer.retourcodes if c not in _OK_CODES],
                        "melding_ids": [str(m) for m in meldingen[answer.notice_id]],
                    },
                )
            )


def _is_source(a: Accepted) -> bool:
    mt = a.message_type
    return (
        mt.standard is Standard.IWMO
        and mt.direction is Direction.HEEN
        and is_line_message(mt.name)
        and bool(a.row.person_key and a.row.ontvanger)
    )


def _retourcodes(root: etree._Element) -> tuple[str, ...]:
    found = (xmlcodec.text_of(e) for e in root.iter("{*}RetourCode"))
    return tuple(dict.fromkeys(c for c in found if c))


def _dag(item: Accepted) -> date:
    """The day the iEb limits count back from: the source's Dagtekening, the "dag" every
    iStandaarden age rule counts from (rules.md §0, e.g. TR335); its arrival day if unreadable."""
    text = xmlcodec.child_text(item.root, "Header", "BerichtIdentificatie", "Dagtekening")
    return parse_date(text) or workdays.local_date(item.row.received_at)


def _tell(told: dict[UUID, Period], entries: Sequence[Entry]) -> None:
    """`told` after the CAK (or the gemeente by hand) processed `entries`."""
    for e in entries:
        if e.status == DELETE:
            told.pop(e.melding_id, None)
        else:
            told[e.melding_id] = e.period


def build(runtime: Runtime) -> Derivation:
    """The derivation for the core (handlers.registry.DERIVATIONS); reads and validates the
    policy file now, so a bad one stops the core at start-up."""
    settings = runtime.settings
    policy = load_policy(settings.eb_policy_file)
    ieb = runtime.freeze.get(Standard.IEB) if runtime.freeze is not None else None
    for route in Route:
        try:
            notices.notice_pack_message(runtime.packs, route)
            if ieb is not None:
                # Notices made during an iEb freeze are held and sent at its cutover, when
                # only the new release is accepted: they are built in it.
                runtime.packs.get(Standard.IEB, ieb.to_release, route.message_name)
        except KeyError as exc:
            raise ConfigError(
                f"eigen bijdrage: {exc.args[0]} (check HUB_PACK_DIRS"
                f"{'; the iEb freeze moves to ' + ieb.to_release if ieb else ''})"
            ) from None
    return EigenBijdrage(
        policy=policy,
        packs=runtime.packs,
        secret=settings.person_key_secret.get_secret_value().encode(),
        cak=settings.cak_party_code,
        egress_topic=topics.egress_name(settings, Node.GGK),
        clock=lambda: runtime.clock(),  # the runtime's, also when a test swaps it
        freeze=runtime.freeze,
        parked_topic=topics.name(settings, topics.PARKED),
    )
