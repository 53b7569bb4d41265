"""Dutch working days (werkdagen) and the answer deadlines the iStandaarden count in them.

A werkdag is Monday to Friday, except the *algemeen erkende feestdagen* of the Algemene
termijnenwet (Atw, BWBR0002448), article 3 paragraph 1:

    Nieuwjaarsdag, tweede Paasdag, Hemelvaartsdag, tweede Pinksterdag, eerste en tweede
    Kerstdag, Koningsdag (the day the King's birthday is celebrated) and 5 mei.

The dates come from the maintained `holidays` library; this module reconciles its "NL" set
with that list instead of taking it whole:

- Goede Vrijdag is in the library's public set but not in article 3(1); article 3(2) only
  equates it with a feestdag for the Atw's own statutory terms. iStandaarden deadlines are
  not statutory terms, so Goede Vrijdag is a werkdag here.
- Bevrijdingsdag (5 May) is in article 3(1) every year since 1982, while the library's public
  set has it only in lustrum years (2025, 2030, ...), following common collective labour
  agreements. The law wins: 5 May is never a werkdag here (it is in the library's
  "optional" category every year, which is where it is taken from).
- Koningsdag falling on a Sunday is celebrated on Saturday 26 April (library rule, as the law
  says "the day on which it is celebrated"); it is not a werkdag either way.
- Eerste Paas- and Pinksterdag are Sundays; days the Crown equates with feestdagen under
  article 3(3) (the Friday after Hemelvaart, ...) apply to statutory terms only and are
  werkdagen here.

Deadline rule (`add_workdays`): the day of receipt is day 0, whatever kind of day it is,
and the deadline is the last moment (23:59:59.999999) of the n-th werkdag after it, in
Europe/Amsterdam time. So a message received on Tuesday must be answered by the end of
Friday for n=3, and one received on Saturday, Sunday or a feestdag counts from the next
werkdag (day 1) and gets exactly n full werkdagen. The calendar date of receipt is taken
in Amsterdam, not UTC: 23:30 UTC on a Monday in summer is already Tuesday.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo

import holidays

from hub.domain.messages import Direction, MessageType, by_name

AMSTERDAM: Final = ZoneInfo("Europe/Amsterdam")

# The library's Dutch names (language "nl") of the Atw article 3(1) days; Koninginnedag is
# Koningsdag before 2014.
_ATW_NAMES: Final = frozenset(
    {
        "Nieuwjaarsdag",
        "Tweede paasdag",
        "Koningsdag",
        "Koninginnedag",
        "Bevrijdingsdag",
        "Hemelvaartsdag",
        "Tweede pinksterdag",
        "Eerste kerstdag",
        "Tweede kerstdag",
    }
)

# iStandaarden answer times (domain.md §5): every retourbericht within 3 werkdagen after
# receipt of the heenbericht (OP090), the declaratie-antwoord (325) within 10 (OP090x4).
RETOUR_WORKDAYS: Final = 3
DECLARATIE_ANTWOORD_WORKDAYS: Final = 10


@lru_cache(maxsize=256)
def feestdagen(year: int) -> frozenset[date]:
    """The algemeen erkende feestdagen of `year` (Atw article 3(1)), weekend days included."""
    found = holidays.country_holidays(
        "NL", years=year, categories=("public", "optional"), language="nl"
    )
    return frozenset(d for d in found if _ATW_NAMES.intersection(found.get_list(d)))


def is_workday(d: date) -> bool:
    """True for Monday to Friday unless it is an algemeen erkende feestdag."""
    if isinstance(d, datetime):
        raise TypeError("is_workday takes a calendar date; convert a moment with local_date()")
    return d.weekday() < 5 and d not in feestdagen(d.year)


def local_date(moment: datetime) -> date:
    """The Amsterdam calendar date of an aware moment."""
    return _aware(moment).astimezone(AMSTERDAM).date()


def next_workday(d: date) -> date:
    """The first werkdag strictly after `d`."""
    d += timedelta(days=1)
    while not is_workday(d):
        d += timedelta(days=1)
    return d


def add_workdays(start: datetime, n: int) -> datetime:
    """The deadline for something due `n` werkdagen after the moment `start`.

    The end (23:59:59.999999, Europe/Amsterdam, returned in that zone) of the n-th werkdag
    after the Amsterdam calendar day of `start`; see the module docstring. n=0 is the end of
    that day itself. `start` must be timezone-aware (any zone; UTC is fine).
    """
    if n < 0:
        raise ValueError(f"n must be 0 or more, got {n}")
    day = local_date(start)
    for _ in range(n):
        day = next_workday(day)
    return datetime.combine(day, time.max, tzinfo=AMSTERDAM)


def answer_workdays(message_type: MessageType) -> int:
    """How many werkdagen the receiver of `message_type` has to send its answer.

    3 for every heenbericht answered by a retour (iWmo / iJw 301-319, and the iEb 405 / 407:
    domain.md names no other time for the 406 / 408, so the general retour rule applies),
    10 for the 323 answered by a 325. ValueError for a message that expects no answer.
    """
    if message_type.answer is None:
        raise ValueError(f"{message_type.name} expects no answer message")
    if by_name(message_type.answer).direction is Direction.ANTWOORD:
        return DECLARATIE_ANTWOORD_WORKDAYS
    return RETOUR_WORKDAYS


def retour_deadline(received_at: datetime, message_type: MessageType) -> datetime:
    """When the answer to a `message_type` heenbericht received at `received_at` is due.

    `received_at` is the moment the receiving party got the heenbericht; the result is the
    deadline of `add_workdays` for `answer_workdays(message_type)`.
    """
    return add_workdays(received_at, answer_workdays(message_type))


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no timezone; pass an aware datetime")
    return moment


def shift_workdays(day: date, n: int) -> date:
    """The date n working days after `day` (before it when n is negative)."""
    step = timedelta(days=1 if n >= 0 else -1)
    left = abs(n)
    while left > 0:
        day += step
        if is_workday(day):
            left -= 1
    return day
