"""Signals about eigen-bijdrage risks, pure: a start reported late (retroactive bill risk)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Final

from hub.domain.workdays import feestdagen, local_date

_CAP: Final = 2000  # werkdagen counted at most (about eight years): enough to say "late"


def workdays_after(start: date, end: date) -> int:
    """Werkdagen d with start < d <= end (0 when end is not after start), at most _CAP.

    Counted by arithmetic (weekdays in the span minus the feestdagen that fall on one), not
    day by day: a 305 for a care start years back must cost no more than one for last week.
    """
    if end <= start:
        return 0
    if end.year - start.year > 10:  # > 2,500 werkdagen: past the cap whatever the holidays
        return _CAP
    holidays_on_weekdays = sum(
        1
        for year in range(start.year, end.year + 1)
        for d in feestdagen(year)
        if start < d <= end and d.weekday() < 5
    )
    return min(_weekdays_upto(end) - _weekdays_upto(start) - holidays_on_weekdays, _CAP)


def _weekdays_upto(d: date) -> int:
    """Mondays to Fridays from 0001-01-01 (a Monday, ordinal 1) up to and including d."""
    weeks, rest = divmod(d.toordinal(), 7)
    return weeks * 5 + min(rest, 5)


def late_start(begindatum: date, received_at: datetime, allowed: int) -> int | None:
    """How many werkdagen after Begindatum a 305 arrived, when that is more than `allowed`
    (the 305 is due within 5 werkdagen after the start of delivery); None when in time.

    Same counting as hub.domain.workdays.add_workdays: the day of Begindatum is day 0 and the
    deadline is the end of the `allowed`-th werkdag after it, in Europe/Amsterdam.
    """
    late = workdays_after(begindatum, local_date(received_at))
    return late if late > allowed else None
