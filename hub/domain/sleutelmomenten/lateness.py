"""Lateness in werkdagen between two calendar dates, counted without walking the days, and
whether a pair of dates makes sense for a moment at all."""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, timedelta
from functools import lru_cache
from typing import Final

from hub.domain.workdays import feestdagen

# The hub's own bounds of sense (the standard sets none): a clock date more than a year after
# the message arrived, or more than ten years before it, is counted as implausible rather than
# as an extreme lateness that would swamp every median and percentile.
FUTURE_LIMIT: Final = timedelta(days=366)
PAST_LIMIT: Final = timedelta(days=3653)


def _weekdays_through(d: date) -> int:
    """Monday to Friday days from 0001-01-01 (a Monday) up to and including `d`."""
    n = d.toordinal()
    return 5 * (n // 7) + min(n % 7, 5)


@lru_cache(maxsize=64)
def _weekday_feestdagen(year: int) -> tuple[date, ...]:
    """The year's feestdagen that fall on a weekday (the others are no werkdag anyway)."""
    return tuple(sorted(d for d in feestdagen(year) if d.weekday() < 5))


def _feestdagen_through(year: int, d: date) -> int:
    """Weekday feestdagen of `year` up to and including `d`."""
    return bisect_right(_weekday_feestdagen(year), d)


def _werkdagen_in(after: date, through: date) -> int:
    """Werkdagen d with after < d <= through (0 when through <= after)."""
    if through <= after:
        return 0
    count = _weekdays_through(through) - _weekdays_through(after)
    for year in range(after.year, through.year + 1):
        count -= (
            _feestdagen_through(year, through)
            if year == through.year
            else len(_weekday_feestdagen(year))
        )
        if year == after.year:
            count += _feestdagen_through(year, after)
    return count


def werkdagen_late(reference: date, arrived: date) -> int:
    """How many werkdagen after `reference` the message arrived: the werkdagen d with
    reference < d <= arrived, so arriving on the reference day itself (or on the weekend after
    it) is 0 and "within 5 werkdagen" means a result of at most 5, as workdays.add_workdays
    counts a deadline. Negative when it arrived before the reference date: minus the werkdagen
    d with arrived < d <= reference."""
    if arrived >= reference:
        return _werkdagen_in(reference, arrived)
    return -_werkdagen_in(arrived, reference)


def plausible(reference: date, arrived: date) -> bool:
    """False for a clock date that makes no sense for the arrival: more than a year after it
    (a Begindatum years in the future) or more than ten years before it."""
    return arrived - PAST_LIMIT <= reference <= arrived + FUTURE_LIMIT
