"""Helpers of the eigen-bijdrage derivation (handlers.eigenbijdrage): toewijzing categories,
notice Identificaties, a notice's ledger row and event data, and the event of an entry held
beyond an iEb limit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final
from uuid import uuid4

from handlers.derive import Accepted
from hub.domain import workdays, xmlcodec
from hub.domain.decide import EventSpec
from hub.domain.eigenbijdrage import notices
from hub.domain.eigenbijdrage.limits import Held
from hub.domain.eigenbijdrage.lines import Source
from hub.domain.eigenbijdrage.periods import Entry, Route
from hub.domain.events import EventType
from hub.domain.history.reading import toewijzing_nummer
from hub.domain.messages import Node
from hub.domain.packs import PackMessage
from hub.domain.records import MessageRow
from hub.infra.store import DbConnection
from hub.infra.store import eigenbijdrage as eb_store


def toewijzing_refs(batch: Sequence[Accepted]) -> list[eb_store.ToewijzingRef]:
    """Toewijzingen that lines without a Product point at (their category is looked up)."""
    refs: list[eb_store.ToewijzingRef] = []
    for a in batch:
        gemeente, aanbieder, person = a.row.ontvanger or "", a.row.afzender or "", a.row.person_key
        for line in a.root.iter("{*}StartProduct", "{*}StopProduct"):
            if xmlcodec.child(line, "Product") is None:
                nummer = toewijzing_nummer(xmlcodec.child_text(line, "ToewijzingNummer"))
                if nummer and person:
                    refs.append((gemeente, aanbieder, person, nummer))
    return refs


class Identificaties:
    """Notice Identificaties drawn from the sequence a block at a time: one round trip per
    block instead of one per notice. Unused numbers of a block are skipped (gaps are
    allowed; only uniqueness per sender counts, TR056)."""

    BLOCK: Final = 32

    def __init__(self, conn: DbConnection) -> None:
        self._conn = conn
        self._free: list[str] = []

    async def take(self) -> str:
        if not self._free:
            self._free = list(reversed(await eb_store.next_identificaties(self._conn, self.BLOCK)))
        return self._free.pop()


class Lookup:
    """Toewijzing categories: the store's, overridden by 301s accepted earlier in the batch
    (the core writes those after the derivations ran)."""

    def __init__(self, stored: dict[eb_store.ToewijzingRef, str]) -> None:
        self._stored = stored
        self._seen: dict[eb_store.ToewijzingRef, str] = {}

    def take(self, toewijzing: Accepted) -> None:
        row = toewijzing.row
        gemeente, aanbieder, person = row.afzender or "", row.ontvanger or "", row.person_key
        if not person:
            return
        for line in toewijzing.root.iter("{*}ToegewezenProduct"):
            nummer = toewijzing_nummer(xmlcodec.child_text(line, "ToewijzingNummer"))
            categorie = xmlcodec.child_text(line, "Product", "Categorie")
            if nummer and categorie:
                self._seen[(gemeente, aanbieder, person, nummer)] = categorie

    def __call__(self, gemeente: str, aanbieder: str, person: str, nummer: str) -> str | None:
        key = (gemeente, aanbieder, person, nummer)
        return self._seen.get(key) or self._stored.get(key)


def held_event(row: MessageRow, route: Route, held: Held) -> EventSpec:
    """eigenbijdrage.held on the 305/307 that caused the entry (no personal data: the period's
    dates and MeldingID, the person only as the row's keyed hash)."""
    entry = held.entry
    return EventSpec(
        EventType.EB_HELD.value,
        row.id,
        row,
        {
            "route": route.value,
            "reason": held.reason.value,
            "melding_id": str(entry.melding_id),
            "status": entry.status,
            "begindatum": entry.period.begin,
            "einddatum": entry.period.end,
            "limit_months": held.limit_months,
            "cutoff": held.cutoff,
        },
    )


def entry_data(e: Entry) -> dict[str, object]:
    """An entry as the eigenbijdrage.notice event carries it."""
    return {
        "melding_id": str(e.melding_id),
        "status": e.status,
        "begindatum": e.period.begin,
        "einddatum": e.period.end,
    }


def notice_row(
    pm: PackMessage, header: notices.NoticeHeader, payload: bytes, source: Source, now: datetime
) -> MessageRow:
    """The ledger row of a notice the hub built and sends on the gemeente's behalf."""
    mt = pm.message_type
    return MessageRow(
        id=uuid4(),
        received_at=now,
        source_node="hub",
        submitted_by="hub",
        status="accepted",
        payload=payload,
        namespace=pm.namespace,
        bericht_code=pm.bericht_code,
        afzender=header.gemeente,
        ontvanger=header.cak,
        identificatie=header.identificatie,
        message_type=mt.name,
        standard=mt.standard.value,
        release=pm.pack.release,
        direction=mt.direction.value,
        sender=header.gemeente,
        receiver=header.cak,
        receiver_node=Node.GGK.value,
        person_key=source.person,
        built_by_hub=True,
        retour_due=workdays.retour_deadline(now, mt),
    )
