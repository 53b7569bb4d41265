"""Builders of history facts and arrivals for the pure measuring tests (no XML: the facts
intake extracts, written out)."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from hub.domain.history.declaratie_facts import DeclaratieAntwoordFacts, DeclaratieFacts
from hub.domain.history.facts import (
    HistoryFacts,
    Parties,
    Scope,
    StartKey,
    StartLine,
    StopKey,
    StopLine,
    ToewijzingLine,
)
from hub.domain.sleutelmomenten import Measurement, Moment, Source
from hub.domain.sleutelmomenten.measure import Arrival

G, A, P = "0363", "65656055", "person-key-1"
SCOPE = Scope(G, A, P)
PARTIES = Parties("iwmo", G, A)
KEY = ("iwmo", G, A, "300201")
# December 2026: Thursday 17, Friday 18, Thursday 24; Friday 25 and Saturday 26 are Kerstmis.
THU, FRI, XMAS_EVE, XMAS, MON_28 = (date(2026, 12, d) for d in (17, 18, 24, 25, 28))
_ids = iter(range(1, 10_000))


def mid() -> UUID:
    return UUID(int=next(_ids))


def toewijzing(
    nummer: str = "300201",
    ingang: date = THU,
    eind: date | None = None,
    op: date = THU,
    reden: str = "",
    where: str = "/Bericht/Client/ToegewezenProducten/ToegewezenProduct",
) -> ToewijzingLine:
    decided = datetime.combine(op, datetime.min.time())
    return ToewijzingLine(where, nummer, "02", "02A04", ingang, eind, decided, reden,
                          referentie="REF-1")  # fmt: skip


def start_key(nummer: str = "300201", begin: date = THU) -> StartKey:
    return StartKey(nummer, "02", "02A04", begin)


def msg(name: str, **lines: object) -> HistoryFacts:
    return HistoryFacts(name, "", G, A, "ID-1", "", None, SCOPE, parties=PARTIES, **lines)  # type: ignore[arg-type]


def m301(*lines: ToewijzingLine) -> HistoryFacts:
    return msg("WMO301", toewijzingen=lines)


def m305(*keys: StartKey, status: str = "1") -> HistoryFacts:
    return msg("WMO305", starts=tuple(StartLine(f"/S[{i}]", k, status) for i, k in enumerate(keys)))


def m307(
    einde: date, reden: str = "31", key: StartKey | None = None, status: str = "1"
) -> HistoryFacts:
    stop = StopLine("/Stop", StopKey(key or start_key(), reden, einde), status)
    return msg("WMO307", stops=(stop,))


def arrive(facts: HistoryFacts, on: date, message_id: UUID | None = None) -> Arrival:
    return Arrival(message_id or mid(), facts, on, Source.LIVE)


def only(result: tuple[Measurement, ...], moment: Moment) -> Measurement:
    [found] = [m for m in result if m.moment is moment]
    return found


def of(result: tuple[Measurement, ...], moment: Moment) -> list[Measurement]:
    return [m for m in result if m.moment is moment]


def m323(identificatie: str = "D-1") -> HistoryFacts:
    d = DeclaratieFacts("iwmo", G, A, identificatie, THU, "", "N", "", THU, THU, "", ())
    return HistoryFacts("WMO323", "", A, G, identificatie, "", None, None, declaratie=d)


def m325(identificatie: str = "D-1") -> HistoryFacts:
    d = DeclaratieAntwoordFacts("iwmo", G, A, identificatie, THU, "", "N", "", False, ())
    return HistoryFacts("WMO325", "", G, A, "X", "", None, None, declaratie_antwoord=d)
