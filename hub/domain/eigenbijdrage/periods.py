"""The per-person eigen-bijdrage state machine: pure, no I/O.

State per (gemeente, person_key, route) has two halves:

- `Facts`: every counting StartProduct and StopProduct line accepted for the person (any
  aanbieder), each with a deleted flag. Lines are inserted once and a deletion is one-way
  (a deletion of a line not seen yet is remembered as a tombstone), so the facts after a set
  of lines do not depend on the order they came in, and applying a line twice changes nothing.
- `told`: what the CAK was told, one eigen-bijdrageperiode per MeldingID.

`periods(facts)` says what the CAK *should* know: the counting products' delivery intervals,
merged where they overlap or touch. `reconcile(told, wanted)` gives the fewest notice entries
that make the CAK's view equal to that: unchanged periods give nothing, a period whose dates
moved gives StatusAanlevering 2 on its MeldingID (the stop is a 2 that adds the Einddatum, a
reopening a 2 without it), a period that no longer exists gives 3 (retraction), and a new
period gives 1 with a new MeldingID. So a second product in a running period, or a stop of a
product while another still runs, gives nothing; and because the CAK's view after every
reconcile equals `periods(facts)`, every arrival order of the same lines ends in the same view.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Final
from uuid import UUID

from hub.domain.history.facts import TEMPORARY_STOP, StartKey, StopKey

__all__ = [
    "CHANGE",
    "DELETE",
    "NEW",
    "Entry",
    "Facts",
    "Line",
    "Period",
    "Route",
    "apply_entries",
    "periods",
    "reconcile",
]

NEW: Final = "1"
CHANGE: Final = "2"
DELETE: Final = "3"
_ONE_DAY: Final = timedelta(days=1)


class Route(StrEnum):
    """Which notice a start counts for."""

    ABONNEMENTSTARIEF = "405"
    BESCHERMD_WONEN = "407"

    @property
    def message_name(self) -> str:
        return f"WMO{self.value}"


@dataclass(frozen=True, slots=True, order=True)
class Line:
    """One accepted StartProduct (stop is None) or StopProduct of one aanbieder."""

    aanbieder: str
    start: StartKey
    stop: StopKey | None = None
    deleted: bool = False  # StatusAanlevering 3


@dataclass(frozen=True, slots=True)
class Facts:
    """The counting lines of one person on one route: logical key -> deleted."""

    starts: Mapping[tuple[str, StartKey], bool] = field(default_factory=dict)
    stops: Mapping[tuple[str, StopKey], bool] = field(default_factory=dict)

    def with_lines(self, lines: Iterable[Line]) -> Facts:
        """The facts after these lines: inserted once, deleted one-way (as the store does)."""
        starts = dict(self.starts)
        stops = dict(self.stops)
        for line in lines:
            if line.stop is None:
                key = (line.aanbieder, line.start)
                starts[key] = starts.get(key, False) or line.deleted
            else:
                stop_key = (line.aanbieder, line.stop)
                stops[stop_key] = stops.get(stop_key, False) or line.deleted
        return Facts(starts, stops)


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """An eigen-bijdrageperiode: from begin, until end (inclusive) or open when None."""

    begin: date
    end: date | None = None

    def overlaps(self, other: Period) -> bool:
        return self.begin <= _last(other) and other.begin <= _last(self)


def _last(p: Period) -> date:
    return date.max if p.end is None else p.end


def _interval(
    start: StartKey, stops: Sequence[StopKey], next_begin: date | None, temporary_ends: bool
) -> Period:
    """The delivery interval of one live start given its live stops."""
    definitive = [s.einddatum for s in stops if s.reden != TEMPORARY_STOP]
    if definitive:
        return Period(start.begindatum, min(definitive))
    temporary = [s.einddatum for s in stops if s.reden == TEMPORARY_STOP]
    if not temporary:
        return Period(start.begindatum)
    if temporary_ends:
        return Period(start.begindatum, max(temporary))
    # Paused, not ended: the bijdrage runs on until the product starts again (then the
    # intervals touch and merge) or a definitive stop comes.
    if next_begin is None:
        return Period(start.begindatum)
    return Period(start.begindatum, max(max(temporary), next_begin - _ONE_DAY))


def periods(facts: Facts, *, temporary_stop_ends: bool = False) -> tuple[Period, ...]:
    """The periods the CAK should know: live starts' intervals, merged when they overlap or
    touch (an end on the 31st and a begin on the 1st are one period), oldest first."""
    live_stops: dict[tuple[str, StartKey], list[StopKey]] = {}
    for (aanbieder, stop), deleted in facts.stops.items():
        if not deleted:
            live_stops.setdefault((aanbieder, stop.start), []).append(stop)
    by_product: dict[tuple[str, tuple[str, str, str]], list[StartKey]] = {}
    for (aanbieder, start), deleted in facts.starts.items():
        if not deleted:
            by_product.setdefault((aanbieder, start.product), []).append(start)
    intervals: list[Period] = []
    for (aanbieder, _), starts in by_product.items():
        starts.sort(key=lambda s: s.begindatum)
        for i, start in enumerate(starts):
            following = starts[i + 1].begindatum if i + 1 < len(starts) else None
            stops = live_stops.get((aanbieder, start), [])
            intervals.append(_interval(start, stops, following, temporary_stop_ends))
    intervals.sort(key=lambda p: (p.begin, _last(p)))
    merged: list[Period] = []
    for p in intervals:
        if merged and (merged[-1].end is None or p.begin <= merged[-1].end + _ONE_DAY):
            last = merged[-1]
            end = None if last.end is None or p.end is None else max(last.end, p.end)
            merged[-1] = Period(last.begin, end)
        else:
            merged.append(p)
    return tuple(merged)


@dataclass(frozen=True, slots=True)
class Entry:
    """One EigenBijdrage of a notice: what happens to one MeldingID."""

    melding_id: UUID
    status: str  # NEW, CHANGE or DELETE
    period: Period  # the new content; for DELETE the content being retracted


def reconcile(
    told: Mapping[UUID, Period], wanted: Sequence[Period], new_id: Callable[[], UUID]
) -> list[Entry]:
    """The entries that turn the CAK's view `told` into `wanted`: retractions first, then
    changes, then new periods, so the CAK never holds two overlapping periods in between."""
    order = sorted(told.items(), key=lambda kv: (kv[1].begin, _last(kv[1]), str(kv[0])))
    free = dict(order)
    rest: list[Period] = []
    for want in wanted:
        same = next((mid for mid, p in free.items() if p == want), None)
        if same is None:
            rest.append(want)
        else:
            del free[same]
    changes: list[Entry] = []
    new: list[Entry] = []
    for want in rest:
        near = next((mid for mid, p in free.items() if p.overlaps(want)), None)
        if near is None:
            new.append(Entry(new_id(), NEW, want))
        else:
            del free[near]
            changes.append(Entry(near, CHANGE, want))
    retract = [Entry(mid, DELETE, p) for mid, p in free.items()]
    return [*retract, *changes, *new]


def apply_entries(told: Mapping[UUID, Period], entries: Iterable[Entry]) -> dict[UUID, Period]:
    """The CAK's view after it processed `entries` (1 adds, 2 replaces, 3 removes)."""
    view = dict(told)
    for e in entries:
        if e.status == DELETE:
            view.pop(e.melding_id, None)
        else:
            view[e.melding_id] = e.period
    return view
