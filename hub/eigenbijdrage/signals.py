"""Signals about eigen-bijdrage risks, pure: a start reported late (retroactive bill risk)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Final

from hub.workdays import is_workday, local_date

_CAP: Final = 2000  # werkdagen counted at most (about eight years): enough to say "late"


def workdays_after(start: date, end: date) -> int:
    """Werkdagen d with start < d <= end (0 when end is not after start)."""
    count = 0
    day = start + timedelta(days=1)
    while day <= end and count < _CAP:
        if is_workday(day):
            count += 1
        day += timedelta(days=1)
    return count


def late_start(begindatum: date, received_at: datetime, allowed: int) -> int | None:
    """How many werkdagen after Begindatum a 305 arrived, when that is more than `allowed`
    (the 305 is due within 5 werkdagen after the start of delivery); None when in time.

    Same counting as hub.workdays.add_workdays: the day of Begindatum is day 0 and the
    deadline is the end of the `allowed`-th werkdag after it, in Europe/Amsterdam.
    """
    late = workdays_after(begindatum, local_date(received_at))
    return late if late > allowed else None
