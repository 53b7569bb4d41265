"""Volume arithmetic of TR321 and TR322: what a toewijzing's Omvang allows in a period and
over its whole term, in the toewijzing's unit (minutes when it is in hours).

Where the sources leave a choice (per week: inspanningsgericht counts calendar weeks,
outputgericht counts Sundays; the message does not say which variant applies), the larger
allowance is taken, so a valid declaration is never refused.
"""

from __future__ import annotations

from datetime import date
from typing import Final

from hub.domain.history.request_facts import Omvang

__all__ = ["HOUR", "MINUTE", "period_allowance", "term_maximum", "volume_in"]

MINUTE: Final = "01"
HOUR: Final = "04"
PER_DAY: Final = "1"
PER_WEEK: Final = "2"
PER_MONTH: Final = "4"
TOTAL: Final = "6"
_SUNDAY: Final = 6


def _scale(omvang: Omvang) -> int:
    """Hourly toewijzingen are counted in minutes, so minutes may be declared (IV081)."""
    return 60 if omvang.eenheid == HOUR else 1


def volume_in(omvang: Omvang, volume: int, eenheid: str) -> int | None:
    """A declared volume in the toewijzing's counting unit; None for another unit."""
    if eenheid == omvang.eenheid:
        return volume * _scale(omvang)
    if omvang.eenheid == HOUR and eenheid == MINUTE:
        return volume
    return None


def _days(begin: date, end: date) -> int:
    return (end - begin).days + 1


def _weekday(day: int) -> int:
    """Monday 0 .. Sunday 6 of an ordinal day (day 1, 0001-01-01, is a Monday)."""
    return (day - 1) % 7


# Week arithmetic runs on ordinals, not dates: a week boundary next to date.min or date.max
# (both admitted by the XSD's xs:date) would otherwise raise OverflowError.
def _weeks(begin: date, end: date) -> int:
    """Calendar weeks (ISO week numbers) the period touches."""
    b, e = begin.toordinal(), end.toordinal()
    return ((e - _weekday(e)) - (b - _weekday(b))) // 7 + 1


def _sundays(begin: date, end: date) -> int:
    b, e = begin.toordinal(), end.toordinal()
    first = b + (_SUNDAY - _weekday(b)) % 7
    return 0 if first > e else (e - first) // 7 + 1


def _last_sunday(day: date) -> int:
    """The ordinal of the last Sunday on or before `day`."""
    d = day.toordinal()
    return d - (_weekday(d) - _SUNDAY) % 7


def _months(begin: date, end: date) -> int:
    return (end.year - begin.year) * 12 + end.month - begin.month + 1


def _per_week(begin: date, end: date, term_end: date | None) -> int:
    """IV077: the larger of the inspanningsgericht count (weeks touched) and the
    outputgericht count (Sundays, +1 for the toewijzing's last partial week)."""
    sundays = _sundays(begin, end)
    last_partial_week = term_end is not None and term_end.weekday() != _SUNDAY
    if (
        last_partial_week
        and term_end is not None
        and begin.toordinal() <= _last_sunday(term_end) <= end.toordinal()
    ):
        sundays += 1
    return max(_weeks(begin, end), sundays)


def period_allowance(
    omvang: Omvang,
    begin: date,
    end: date,
    term: tuple[date, date | None],
    *,
    wmo_huishoudelijk: bool = False,
) -> int | None:
    """TR321: the most a ProductPeriode may hold, in the toewijzing's counting unit, or None
    when nothing can be said (unknown frequency, or the period lies outside the term)."""
    start, stop = term
    begin = max(begin, start)
    if stop is not None:
        end = min(end, stop)
    if begin > end:
        return None  # TR307/TR308 speak about a period outside the toewijzing
    f = omvang.frequentie
    if f == PER_DAY:
        count = _days(begin, end)
    elif f == PER_WEEK:
        count = _per_week(begin, end, stop)
        if wmo_huishoudelijk:  # iWmo category 01: up to 6 x Volume per ProductPeriode
            count = max(count, 6)
    elif f == PER_MONTH:
        count = _months(begin, end)
    elif f == TOTAL:
        count = 1
    else:
        return None
    return count * omvang.volume * _scale(omvang)


def term_maximum(omvang: Omvang, term: tuple[date, date | None]) -> int | None:
    """TR322: the most all Prestaties on the toewijzing may hold over its whole term, or None
    when the term is open (no end) or the frequency unknown."""
    start, stop = term
    if omvang.frequentie == TOTAL:
        return omvang.volume * _scale(omvang)
    if stop is None or stop < start:
        return None
    f = omvang.frequentie
    if f == PER_DAY:
        count = _days(start, stop)
    elif f == PER_WEEK:
        count = _per_week(start, stop, stop)
    elif f == PER_MONTH:
        count = _months(start, stop)
    else:
        return None
    return count * omvang.volume * _scale(omvang)
