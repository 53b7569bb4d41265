"""Measuring the key moments of a batch of accepted messages: what each message's lines say
against the history as it was before the batch (`Lookups`) and what earlier messages of the
same batch changed (an overlay), as measurements, open rows replaced and shortenings.

Pure: the handler (handlers/sleutelmomenten.py) reads the `Lookups` the arrivals need
(`wanted`) from PostgreSQL, calls `measure`, and writes what it returns. One message that
trips on its own data is left out (`MeasureResult.failed`); the others are measured.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import NamedTuple
from uuid import UUID

from hub.domain.history.facts import (
    NEW,
    HistoryFacts,
    Scope,
    StartKey,
    StopLine,
    ToewijzingLine,
)
from hub.domain.sleutelmomenten.lateness import plausible, werkdagen_late
from hub.domain.sleutelmomenten.moments import (
    SPECS,
    Measurement,
    Moment,
    Outcome,
    Shortening,
    Source,
)

# A toewijzing by what names it: (domain, gemeente, aanbieder, ToewijzingNummer). TR332 keeps
# a number to one client of a gemeente, so the person is not part of it.
ToewijzingKey = tuple[str, str, str, str]
# The start a stop line stops, with whose it is: (gemeente, aanbieder, person_key, start).
StartOf = tuple[str, str, str, StartKey]
# A 323 as its 325 names it: (domain, aanbieder, the 323's Identificatie).
DeclaratieKey = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class Arrival:
    """One accepted message to measure, in the order the hub took them in."""

    message_id: UUID
    facts: HistoryFacts  # what intake (or the import) extracted from it
    arrived: date  # Amsterdam date of receipt (live) or the Dagtekening (import)
    source: Source


@dataclass(frozen=True, slots=True)
class Current:
    """The current version of a toewijzing (history_toewijzing): when it ends, and when it
    was decided (only a strictly newer version replaces it)."""

    einddatum: date | None
    toegewezen_op: datetime


@dataclass(frozen=True, slots=True)
class OpenRow:
    """An OPEN row in table sleutelmoment that a message of this batch may replace."""

    id: int
    reference_date: date
    about_id: UUID | None


@dataclass(frozen=True, slots=True)
class Declared:
    """A 323 as its 325's clock needs it: the day the hub received it (import: its
    Dagtekening) and its message id, when known."""

    received: date
    message_id: UUID | None


@dataclass(frozen=True, slots=True)
class Lookups:
    """What PostgreSQL held before the batch, for the keys `wanted` names."""

    toewijzingen: Mapping[ToewijzingKey, Current] = field(default_factory=dict)
    first_arrivals: Mapping[ToewijzingKey, date] = field(default_factory=dict)
    temporary_stops: frozenset[StartOf] = frozenset()  # starts stopped temporarily (reden 20)
    open_stops: Mapping[ToewijzingKey, tuple[int, ...]] = field(default_factory=dict)
    open_aanpassingen: Mapping[ToewijzingKey, OpenRow] = field(default_factory=dict)
    declaraties: Mapping[DeclaratieKey, Declared] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Wanted:
    """The keys a batch's measuring looks up (each set: one query, none when empty)."""

    toewijzingen: frozenset[ToewijzingKey]  # 301 lines; definitive 307 lines
    first_arrivals: frozenset[ToewijzingKey]  # 305 lines on a toewijzing
    temporary_stops: frozenset[StartOf]  # definitive 307 lines
    open_stops: frozenset[ToewijzingKey]  # 307 lines on a toewijzing
    open_aanpassingen: frozenset[ToewijzingKey]  # 301 lines with an end; definitive 307s
    declaraties: frozenset[DeclaratieKey]  # 325s


@dataclass(frozen=True, slots=True)
class MeasureResult:
    """What measuring a batch gives: rows to insert (OPEN ones too), the ids of OPEN rows a
    measured row replaces (to delete), the shortened toewijzingen, and the messages left out
    because measuring them failed."""

    measurements: tuple[Measurement, ...] = ()
    resolved: tuple[int, ...] = ()
    shortenings: tuple[Shortening, ...] = ()
    failed: tuple[UUID, ...] = ()


def _toewijzing_key(facts: HistoryFacts, scope: Scope, nummer: str) -> ToewijzingKey:
    return (facts.domain, scope.gemeente, scope.aanbieder, nummer)


def wanted(arrivals: Sequence[Arrival]) -> Wanted:
    """The keys `measure` will ask its `Lookups` for."""
    toewijzingen: set[ToewijzingKey] = set()
    first: set[ToewijzingKey] = set()
    temporary: set[StartOf] = set()
    stops: set[ToewijzingKey] = set()
    aanpassingen: set[ToewijzingKey] = set()
    declaraties: set[DeclaratieKey] = set()
    for a in arrivals:
        f, scope = a.facts, a.facts.scope
        if f.declaratie_antwoord is not None:
            d = f.declaratie_antwoord
            declaraties.add((d.domain, d.aanbieder, d.declaratie_identificatie))
        if scope is None:
            continue
        for t in f.toewijzingen:
            key = _toewijzing_key(f, scope, t.nummer)
            toewijzingen.add(key)
            if t.einddatum is not None:  # only a line with an Einddatum can shorten
                aanpassingen.add(key)
        for s in f.starts:
            if s.status == NEW and s.key.toewijzing:
                first.add(_toewijzing_key(f, scope, s.key.toewijzing))
        for p in f.stops:
            if p.status != NEW:
                continue
            if p.key.start.toewijzing:
                key = _toewijzing_key(f, scope, p.key.start.toewijzing)
                stops.add(key)
                if not p.key.temporary:
                    toewijzingen.add(key)
                    aanpassingen.add(key)
            if not p.key.temporary:
                temporary.add((scope.gemeente, scope.aanbieder, scope.person, p.key.start))
    return Wanted(
        frozenset(toewijzingen), frozenset(first), frozenset(temporary), frozenset(stops),
        frozenset(aanpassingen), frozenset(declaraties),
    )  # fmt: skip


@lru_cache(maxsize=16_384)
def judged(reference: date, arrived: date, deadline: int | None) -> tuple[Outcome, int | None]:
    """Outcome and werkdagen, sense checked first: dates too far from the arrival are
    IMPLAUSIBLE without counting werkdagen across the centuries they may span. Cached: a
    batch's messages share their few dates (today, the first of the month), and intake's
    CPU per message counts (issue #19: at most 10% more)."""
    try:
        sensible = plausible(reference, arrived)
    except OverflowError:  # an arrival (an imported Dagtekening) at the calendar's very end
        sensible = False
    if not sensible:
        return Outcome.IMPLAUSIBLE, None
    late = werkdagen_late(reference, arrived)
    if deadline is None:
        return Outcome.MEASURED, late
    return (Outcome.ON_TIME if late <= deadline else Outcome.LATE), late


class Whose(NamedTuple):
    """The line a measurement is of: its parties, keyed person, toewijzing and place (a
    tuple: built for every line at intake, where a dataclass costs thrice as much)."""

    domain: str
    gemeente: str
    aanbieder: str
    person_key: str | None
    nummer: str  # ToewijzingNummer, "" where there is none
    reference: str  # ReferentieAanbieder, the 323's Identificatie, ""
    line: str  # the line's location in the message


def measured(
    moment: Moment,
    a: Arrival,
    whose: Whose,
    reference_date: date,
    *,
    own_deadline: bool = True,
    about_id: UUID | None = None,
    implausible: bool = False,
) -> Measurement:
    """One measured row of the message `a` for a clock running from `reference_date`,
    against the moment's deadline (none when `own_deadline` is False)."""
    allowed = SPECS[moment].deadline if own_deadline else None
    outcome, late = judged(reference_date, a.arrived, allowed)
    return Measurement(
        moment, Outcome.IMPLAUSIBLE if implausible else outcome, a.source, whose.domain,
        whose.gemeente, whose.aanbieder, whose.person_key, whose.nummer, whose.reference,
        reference_date, a.arrived, late, allowed, a.message_id, about_id, whose.line,
    )  # fmt: skip


class _Batch:
    """The walk over one batch: the lookups, overlaid with what its earlier messages did."""

    def __init__(self, lookups: Lookups) -> None:
        self.lookups = lookups
        self.current: dict[ToewijzingKey, Current] = {}
        self.first: dict[ToewijzingKey, date] = {}
        self.temporary: set[StartOf] = set()
        self.declared: dict[DeclaratieKey, Declared] = {}
        self.resolved: set[int] = set()  # OPEN rows of the database replaced
        self.opened: dict[ToewijzingKey, Measurement] = {}  # OPEN aanpassing rows of the batch
        self.out: list[Measurement] = []
        self.shortenings: list[Shortening] = []

    def current_of(self, key: ToewijzingKey) -> Current | None:
        found = self.current.get(key)
        return found if found is not None else self.lookups.toewijzingen.get(key)

    def open_aanpassing(self, key: ToewijzingKey) -> OpenRow | Measurement | None:
        if key in self.opened:
            return self.opened[key]
        row = self.lookups.open_aanpassingen.get(key)
        return row if row is not None and row.id not in self.resolved else None

    def arrival(self, a: Arrival) -> None:
        f = a.facts
        if f.declaratie is not None:
            d = f.declaratie
            self.declared[(d.domain, d.aanbieder, d.identificatie)] = Declared(
                a.arrived, a.message_id
            )
        if f.declaratie_antwoord is not None:
            self.declaratie(a)
        scope = f.scope
        if scope is None:
            return
        for t in f.toewijzingen:
            self.toewijzing(a, scope, t)
        for s in f.starts:
            if s.status == NEW:
                self.start(a, scope, s.key, s.location)
        for p in f.stops:
            if p.status == NEW:
                self.stop(a, scope, p)

    def toewijzing(self, a: Arrival, scope: Scope, t: ToewijzingLine) -> None:
        key = _toewijzing_key(a.facts, scope, t.nummer)
        previous = self.current_of(key)
        newer = previous is None or previous.toegewezen_op < t.toegewezen_op
        if newer:
            self.current[key] = Current(t.einddatum, t.toegewezen_op)
        whose = Whose(a.facts.domain, scope.gemeente, scope.aanbieder, scope.person, t.nummer,
                      t.referentie, t.location)  # fmt: skip
        if t.deleted:
            # Not measured itself (its number may come back: TR332), but a deletion ends the
            # toewijzing: it warns of the prestaties declared on it and is the adjustment an
            # open aanpassing row waits for.
            if newer and previous is not None:
                self.shortened(a, scope, t, previous, whose, True)
            return
        if previous is not None and previous.toegewezen_op == t.toegewezen_op:
            # The version the hub already holds, sent again: a 301 repeats every toewijzing
            # of the client still current (OP087). Measured when it first came; measuring it
            # again would count a months-old Toewijzingsdatum as months late.
            return
        odd = t.einddatum is not None and t.einddatum < t.ingangsdatum
        if previous is None and key not in self.first:
            self.first[key] = a.arrived
            self.out.append(measured(Moment.TOEWIJZING, a, whose, t.ingangsdatum, implausible=odd))
        decided = t.toegewezen_op.date()
        self.out.append(measured(Moment.TOEWIJZINGSDATUM, a, whose, decided, implausible=odd))
        if not newer or previous is None or t.einddatum is None:
            return
        if previous.einddatum is not None and t.einddatum >= previous.einddatum:
            return
        self.shortened(a, scope, t, previous, whose)

    def shortened(self, a: Arrival, scope: Scope, t: ToewijzingLine, previous: Current,
                  whose: Whose, deleted: bool = False) -> None:  # fmt: skip
        """A newer version of the toewijzing ends it earlier (or deletes it): the conflict
        check's shortening, and the measured row of the aanpassing it may have waited for."""
        assert t.einddatum is not None  # a shortening (a deletion too) has an Einddatum
        self.shortenings.append(
            Shortening(a.facts.domain, scope.gemeente, scope.aanbieder, scope.person, t.nummer,
                       t.einddatum, previous.einddatum, a.message_id, deleted)
        )  # fmt: skip
        key = _toewijzing_key(a.facts, scope, t.nummer)
        waiting = self.open_aanpassing(key)
        if waiting is None:
            return
        if isinstance(waiting, OpenRow):
            self.resolved.add(waiting.id)
        else:
            del self.opened[key]
        # The clock runs from the 307's receipt: this line's own dates do not enter it.
        self.out.append(
            measured(Moment.AANPASSING, a, whose, waiting.reference_date,
                     about_id=waiting.about_id)
        )  # fmt: skip

    def start(self, a: Arrival, scope: Scope, key: StartKey, line: str) -> None:
        reference = key.begindatum
        if key.toewijzing:
            t = _toewijzing_key(a.facts, scope, key.toewijzing)
            first = self.first.get(t) or self.lookups.first_arrivals.get(t)
            if first is not None and first > reference:
                reference = first  # assigned retroactively: the clock runs from its 301
        whose = Whose(a.facts.domain, scope.gemeente, scope.aanbieder, scope.person,
                      key.toewijzing, "", line)  # fmt: skip
        self.out.append(measured(Moment.START, a, whose, reference))

    def stop(self, a: Arrival, scope: Scope, p: StopLine) -> None:
        start = (scope.gemeente, scope.aanbieder, scope.person, p.key.start)
        nummer = p.key.start.toewijzing
        # A definitive stop after a temporary one: when the stop became definitive is not
        # in the message, so there is no deadline to hold it to.
        after_temporary = not p.key.temporary and (
            start in self.temporary or start in self.lookups.temporary_stops
        )
        if p.key.temporary:
            self.temporary.add(start)
        whose = Whose(a.facts.domain, scope.gemeente, scope.aanbieder, scope.person, nummer, "",
                      p.location)  # fmt: skip
        self.out.append(
            measured(Moment.STOP, a, whose, p.key.einddatum, own_deadline=not after_temporary)
        )
        if not nummer:
            return
        key = _toewijzing_key(a.facts, scope, nummer)
        self.resolved.update(self.lookups.open_stops.get(key, ()))
        if p.key.temporary or self.open_aanpassing(key) is not None:
            return
        current = self.current_of(key)
        if current is None:
            return  # a toewijzing the hub never saw: whether it still runs is unknown
        if current.einddatum is not None and current.einddatum <= p.key.einddatum:
            return  # already ends by the stop: nothing to adjust
        self.opened[key] = Measurement(
            Moment.AANPASSING, Outcome.OPEN, a.source, a.facts.domain, scope.gemeente,
            scope.aanbieder, scope.person, nummer, "", a.arrived, None, None, None, None,
            a.message_id, p.location,
        )  # fmt: skip

    def declaratie(self, a: Arrival) -> None:
        d = a.facts.declaratie_antwoord
        assert d is not None
        key = (d.domain, d.aanbieder, d.declaratie_identificatie)
        declared = self.declared.get(key) or self.lookups.declaraties.get(key)
        if declared is None:
            return  # a 323 the hub never saw: no clock to measure against
        whose = Whose(d.domain, d.gemeente, d.aanbieder, None, "", d.declaratie_identificatie, "")
        self.out.append(
            measured(Moment.DECLARATIE, a, whose, declared.received, about_id=declared.message_id)
        )


def measure(arrivals: Sequence[Arrival], lookups: Lookups) -> MeasureResult:
    """Measure the arrivals in order against the lookups (the state before the batch) and
    what the batch's earlier messages changed. A message whose measuring raises is left out
    (its id in `failed`); what it had measured is dropped, the others are measured."""
    batch = _Batch(lookups)
    failed: list[UUID] = []
    for a in arrivals:
        out, shortenings = len(batch.out), len(batch.shortenings)
        try:
            batch.arrival(a)
        except Exception:  # blind: one message's odd data must not stop the others' measuring
            del batch.out[out:]
            del batch.shortenings[shortenings:]
            failed.append(a.message_id)
    return MeasureResult(
        tuple(batch.out) + tuple(batch.opened.values()),
        tuple(sorted(batch.resolved)),
        tuple(batch.shortenings),
        tuple(failed),
    )
