"""The iEb limits, pure: which notice entries the hub holds for the gemeente to handle by hand.

Issue #18 point 6 asks that the hub derive no 405/407 for a start more than 12 months back,
nor for a correction more than 36 months back. **Those figures are the issue's, not the facts'**:
neither ../shared/docs/domain.md (§2.12, §6, §9) nor rules.md states an iEb limit in months.
What the facts do say (domain.md §2.12, §5): the gemeente delivers the data within one month
after the voorziening was provided (Uitvoeringsregeling Wmo 2015 art. 2f), and corrections are
305/307 StatusAanlevering 3 plus a new 1 (domain.md §6.3). So the figures are policy settings
(`start_limit_months`, `correction_limit_months`) with the issue's values as defaults, and the
way they are counted is the hub's reading, stated here:

- "Back" is counted from the source 305/307's Dagtekening: rules.md §0 calls it "dag", the
  day every iStandaarden age rule counts from (TR335: a Prestatie no more than 5 years before
  the DeclaratieDagtekening; TR002). It also makes the outcome a property of the message, the
  same whenever it is processed. Counted in calendar months: the cut-off is that day N months
  earlier (a day that month lacks becomes its last day: 31 May - 3 months = 28/29 February).
  A consequence: a 305 with an old Dagtekening that arrives late counts from its Dagtekening.
- A date exactly N months back is within the limit; a day earlier is beyond it.
- A *start* is an entry with StatusAanlevering 1 (a new eigen-bijdrageperiode for the CAK);
  its date is its Begindatum.
- A *correction* changes what the CAK was already told: a retraction (3), or a change (2) that
  moves the Begindatum or an Einddatum already told. Its date is the earliest day whose bijdrage
  it changes (the retracted period's Begindatum; the earlier of the old and new dates that
  differ). A change that only adds the Einddatum of an open period is a stop, not a
  correction: the facts and the issue set no limit on stops, so stops are never held.
- Once a start is held its MeldingID was never told to the CAK, so every later entry on it is
  held too (the gemeente already handles that period by hand).
"""

from __future__ import annotations

import calendar
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from uuid import UUID

from hub.domain.eigenbijdrage.periods import CHANGE, DELETE, NEW, Entry, Period

__all__ = ["Held", "Reason", "cutoff", "months_before", "split"]


class Reason(StrEnum):
    """Why an entry is held."""

    START = "start"  # a new period starting beyond the start limit
    CORRECTION = "correction"  # a change or retraction reaching beyond the correction limit
    HELD_MELDING = "held-melding"  # an entry on a MeldingID that was itself held


@dataclass(frozen=True, slots=True)
class Held:
    """One entry the hub does not send: the gemeente handles it by hand."""

    entry: Entry
    reason: Reason
    limit_months: int  # 0 for HELD_MELDING
    cutoff: date | None  # the earliest date still within the limit; None for HELD_MELDING


def months_before(day: date, months: int) -> date:
    """`day` `months` calendar months earlier; a day the month lacks becomes its last day."""
    total = day.year * 12 + (day.month - 1) - months
    year, month = divmod(total, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def cutoff(today: date, months: int) -> date | None:
    """The earliest date within a limit of `months` (None: no limit, `months` 0)."""
    return months_before(today, months) if months > 0 else None


def _correction_date(entry: Entry, old: Period | None) -> date | None:
    """The earliest day a correction changes; None when the entry is no correction."""
    if entry.status == NEW or old is None:
        return None
    if entry.status == DELETE:
        return old.begin
    changed = []
    if entry.period.begin != old.begin:
        changed += [entry.period.begin, old.begin]
    if old.end is not None and entry.period.end != old.end:
        changed += [old.end] + ([entry.period.end] if entry.period.end is not None else [])
    return min(changed) if changed else None  # only an Einddatum added: a stop


def split(
    entries: Sequence[Entry],
    told: Mapping[UUID, Period],
    held_meldingen: Collection[UUID],
    today: date,
    *,
    start_months: int,
    correction_months: int,
) -> tuple[list[Entry], list[Held]]:
    """The entries to send and the entries to hold, each in the order given."""
    start_cut = cutoff(today, start_months)
    correction_cut = cutoff(today, correction_months)
    send: list[Entry] = []
    held: list[Held] = []
    for e in entries:
        if e.melding_id in held_meldingen:
            held.append(Held(e, Reason.HELD_MELDING, 0, None))
            continue
        if e.status == NEW:
            if start_cut is not None and e.period.begin < start_cut:
                held.append(Held(e, Reason.START, start_months, start_cut))
                continue
        elif e.status in (CHANGE, DELETE):
            when = _correction_date(e, told.get(e.melding_id))
            if correction_cut is not None and when is not None and when < correction_cut:
                held.append(Held(e, Reason.CORRECTION, correction_months, correction_cut))
                continue
        send.append(e)
    return send, held
