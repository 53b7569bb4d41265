"""The sleutelmomenten report's values: one group's figures for one moment and month, the worst
toewijzingen, the productperiode conflicts, and the pure arithmetic over them (shares, months,
the lateness distribution's buckets). No personal data: the person is a short person_key prefix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final, Literal, TypeAlias
from uuid import UUID

from hub.domain.sleutelmomenten.moments import SPECS, Moment

By: TypeAlias = Literal["all", "gemeente", "aanbieder"]
BYS: Final[tuple[By, ...]] = ("all", "gemeente", "aanbieder")
# Enough of the keyed hash to tell rows apart and find them again (`hub trace` takes the
# message id); the whole key is the same pseudonym everywhere, so the report shows less.
PERSON_PREFIX: Final = 8
# The lateness distribution's buckets: (label, lowest werkdagen, highest; None = unbounded).
BUCKETS: Final[tuple[tuple[str, int | None, int | None], ...]] = (
    ("early", None, -1),
    ("0", 0, 0),
    ("1-5", 1, 5),
    ("6-10", 6, 10),
    ("11-20", 11, 20),
    ("21-40", 21, 40),
    ("41-60", 41, 60),
    ("61-120", 61, 120),
    (">120", 121, None),
)


@dataclass(frozen=True, slots=True)
class Figures:
    """One moment's figures for one group (all, or a gemeente or an aanbieder within one
    domain) over one month (None: the whole period). Medians and percentiles are of the rows
    with a lateness (on_time, late, measured), in werkdagen; None when there are none."""

    moment: Moment
    by: By
    domain: str  # iwmo / ijw: a gemeente's Wmo and Jeugd teams each see their own; "" for all
    group: str  # the gemeente or aanbieder code; "" for all
    month: date | None  # the month's first day
    on_time: int
    late: int
    measured: int
    open: int
    implausible: int
    median: float | None
    p90: float | None

    @property
    def has_deadline(self) -> bool:
        return SPECS[self.moment].deadline is not None

    @property
    def on_time_share(self) -> float | None:
        """on_time / (on_time + late); None without a deadline or with nothing judged."""
        judged = self.on_time + self.late
        return self.on_time / judged if self.has_deadline and judged else None

    @property
    def total(self) -> int:
        return self.on_time + self.late + self.measured + self.open + self.implausible


@dataclass(frozen=True, slots=True)
class Worst:
    """One of the latest measured rows of a moment: which toewijzing, whose, how late."""

    moment: Moment
    toewijzing_nummer: str
    domain: str  # iwmo / ijw: a ToewijzingNummer names a toewijzing within its domain only
    reference: str
    gemeente: str
    aanbieder: str
    person: str  # the person_key's first PERSON_PREFIX characters, "" without one
    reference_date: date
    arrived_on: date
    werkdagen: int
    deadline: int | None
    message_id: UUID | None  # for `hub trace`


@dataclass(frozen=True, slots=True)
class ConflictRow:
    """One productperiode conflict raised (table productperiode_conflict)."""

    raised_at: datetime
    domain: str
    gemeente: str
    aanbieder: str
    person: str  # person_key prefix
    toewijzing_nummer: str
    einddatum: date
    previous_einddatum: date | None
    declaratie: str
    referentie_nummers: tuple[str, ...]
    periode_begin: date
    periode_eind: date
    relation: str
    message_id: UUID


@dataclass(frozen=True, slots=True)
class Report:
    """Everything one report shows, read once (hub.infra.store.sleutelmomenten_report)."""

    start: date
    end: date
    gemeente: str | None
    aanbieder: str | None
    domain: str | None  # the --domain filter (iwmo / ijw); None: both
    figures: tuple[Figures, ...]
    distribution: Mapping[Moment, Mapping[int, int]]  # werkdagen -> rows with that lateness
    worst: tuple[Worst, ...]
    conflicts: tuple[ConflictRow, ...]
    conflicts_total: int  # all in the period; `conflicts` may hold fewer

    @property
    def empty(self) -> bool:
        return not any(f.total for f in self.figures)

    def of(self, moment: Moment, by: By) -> list[Figures]:
        """The figures of one moment and grouping, by domain, group, then month (the period
        first)."""
        found = [f for f in self.figures if f.moment == moment and f.by == by]
        return sorted(found, key=lambda f: (f.domain, f.group, f.month or date.min))

    def monthly(self, moment: Moment) -> dict[date, Figures]:
        """The moment's figures over all groups, per month."""
        return {f.month: f for f in self.of(moment, "all") if f.month is not None}

    def period(self, moment: Moment) -> Figures | None:
        """The moment's figures over all groups and the whole period."""
        return next((f for f in self.of(moment, "all") if f.month is None), None)


def months(start: date, end: date) -> list[date]:
    """The first days of the months from `start`'s to `end`'s, both included."""
    found: list[date] = []
    m = start.replace(day=1)
    while m <= end:
        found.append(m)
        m = m.replace(year=m.year + 1, month=1) if m.month == 12 else m.replace(month=m.month + 1)
    return found


def bucket_of(werkdagen: int) -> str:
    for label, low, high in BUCKETS:
        if (low is None or werkdagen >= low) and (high is None or werkdagen <= high):
            return label
    raise AssertionError(werkdagen)  # the buckets cover every integer


def buckets(counts: Mapping[int, int]) -> list[tuple[str, int]]:
    """Rows per lateness bucket, every bucket listed (0 where none), in BUCKETS' order."""
    totals = dict.fromkeys((label for label, _, _ in BUCKETS), 0)
    for werkdagen, n in counts.items():
        totals[bucket_of(werkdagen)] += n
    return list(totals.items())


def shortened(values: Sequence[str], keep: int = 3) -> str:
    """A list for a table cell: the first `keep`, then how many more."""
    more = len(values) - keep
    return ", ".join(values[:keep]) + (f" (+{more})" if more > 0 else "")
