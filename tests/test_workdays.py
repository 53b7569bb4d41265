"""Dutch werkdagen (Atw article 3(1)) and the iStandaarden answer deadlines counted in them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.domain.eigenbijdrage.signals import workdays_after
from hub.domain.messages import CATALOGUE, Direction, by_name
from hub.domain.workdays import (
    AMSTERDAM,
    add_workdays,
    answer_workdays,
    feestdagen,
    is_workday,
    local_date,
    next_workday,
    retour_deadline,
)


def _end_of(d: date) -> datetime:
    return datetime.combine(d, time.max, tzinfo=AMSTERDAM)


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# --- the calendar -------------------------------------------------------------------------


def test_feestdagen_2025_are_the_atw_list() -> None:
    assert feestdagen(2025) == {
        date(2025, 1, 1),  # Nieuwjaarsdag
        date(2025, 4, 21),  # Tweede paasdag
        date(2025, 4, 26),  # Koningsdag: 27 April is a Sunday, so Saturday the 26th
        date(2025, 5, 5),  # Bevrijdingsdag
        date(2025, 5, 29),  # Hemelvaartsdag
        date(2025, 6, 9),  # Tweede pinksterdag
        date(2025, 12, 25),
        date(2025, 12, 26),
    }


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        (date(2025, 1, 1), False),  # Nieuwjaarsdag, Wednesday
        (date(2025, 1, 2), True),
        (date(2025, 4, 18), True),  # Goede Vrijdag: not in Atw art. 3(1)
        (date(2025, 4, 20), False),  # Eerste paasdag (Sunday)
        (date(2025, 4, 21), False),  # Tweede paasdag
        (date(2025, 4, 22), True),
        (date(2025, 4, 25), True),  # Friday before the Saturday Koningsdag: no bridge day
        (date(2025, 4, 28), True),  # Monday after the Sunday 27th: Koningsdag moved back
        (date(2025, 5, 5), False),  # Bevrijdingsdag in a lustrum year (Monday)
        (date(2026, 5, 5), False),  # ... and outside one (Tuesday): Atw art. 3(1), every year
        (date(2025, 5, 29), False),  # Hemelvaartsdag
        (date(2025, 5, 30), True),  # the Friday after: equated only for statutory terms
        (date(2025, 6, 8), False),  # Eerste pinksterdag (Sunday)
        (date(2025, 6, 9), False),  # Tweede pinksterdag
        (date(2025, 12, 24), True),
        (date(2025, 12, 25), False),
        (date(2025, 12, 26), False),
        (date(2025, 12, 27), False),  # Saturday
        (date(2025, 12, 31), True),
        (date(2026, 4, 27), False),  # Koningsdag on a Monday
        (date(2026, 4, 3), True),  # Goede Vrijdag 2026
        (date(2013, 4, 30), False),  # Koninginnedag before 2014
        (date(2014, 4, 30), True),
        (date(2014, 4, 26), False),  # first Koningsdag, 27 April 2014 being a Sunday
    ],
)
def test_is_workday(day: date, workday: bool) -> None:
    assert is_workday(day) is workday


def test_is_workday_refuses_a_moment() -> None:
    with pytest.raises(TypeError):
        is_workday(datetime(2025, 4, 22, tzinfo=UTC))


@pytest.mark.parametrize("year", range(1990, 2061))
def test_library_reconciled_with_the_atw(year: int) -> None:
    """The library's public set differs from Atw art. 3(1) exactly by Goede Vrijdag, the two
    Sundays, and Bevrijdingsdag outside lustrum years; a library change that breaks this
    (a renamed or dropped day) fails here, not silently in a deadline."""
    public = holidays.country_holidays("NL", years=year, language="nl")
    ours = feestdagen(year)
    named = {name: d for d, name in public.items() for name in public.get_list(d)}
    easter = named["Eerste paasdag"]
    assert easter.weekday() == 6
    assert named["Goede vrijdag"] == easter - timedelta(days=2)
    assert named["Eerste pinksterdag"] == easter + timedelta(days=49)

    expected = set(public) - {named["Goede vrijdag"], easter, named["Eerste pinksterdag"]}
    expected.add(date(year, 5, 5))
    assert ours == expected
    # Eight days every year, fewer only when two of them coincide (Hemelvaart on 5 May).
    assert len(ours) == 8 - (named["Hemelvaartsdag"] == date(year, 5, 5))
    assert not any(d in ours for d in (named["Goede vrijdag"], easter))


def test_next_workday_skips_weekend_and_feestdagen() -> None:
    assert next_workday(date(2025, 4, 17)) == date(2025, 4, 18)  # Thu → Goede Vrijdag
    assert next_workday(date(2025, 4, 18)) == date(2025, 4, 22)  # over Easter
    assert next_workday(date(2025, 12, 24)) == date(2025, 12, 29)


# --- deadlines ----------------------------------------------------------------------------


def test_three_workdays_from_a_tuesday_end_on_friday() -> None:
    received = datetime(2025, 3, 4, 9, 15, tzinfo=AMSTERDAM)
    assert add_workdays(received, 3) == _end_of(date(2025, 3, 7))


def test_receipt_on_a_weekend_counts_from_the_next_workday() -> None:
    friday = add_workdays(datetime(2025, 3, 7, 16, 0, tzinfo=AMSTERDAM), 3)
    saturday = add_workdays(datetime(2025, 3, 8, 11, 0, tzinfo=AMSTERDAM), 3)
    sunday = add_workdays(datetime(2025, 3, 9, 23, 59, tzinfo=AMSTERDAM), 3)
    assert friday == saturday == sunday == _end_of(date(2025, 3, 12))  # Mon, Tue, Wed


def test_receipt_on_a_feestdag_counts_from_the_next_workday() -> None:
    # Tweede paasdag 2025: Tue 22, Wed 23, Thu 24.
    assert add_workdays(datetime(2025, 4, 21, 10, tzinfo=AMSTERDAM), 3) == _end_of(
        date(2025, 4, 24)
    )


def test_deadline_is_the_last_moment_of_the_day() -> None:
    deadline = add_workdays(datetime(2025, 3, 4, 9, tzinfo=AMSTERDAM), 3)
    assert deadline.tzinfo is AMSTERDAM
    assert deadline.time() == time(23, 59, 59, 999999)
    assert deadline.astimezone(UTC) == _utc(2025, 3, 7, 22, 59, 59, 999999)
    assert deadline + timedelta(microseconds=1) == datetime(2025, 3, 8, tzinfo=AMSTERDAM)


def test_zero_workdays_is_the_end_of_the_day_of_receipt() -> None:
    assert add_workdays(_utc(2025, 3, 8, 10), 0) == _end_of(date(2025, 3, 8))


def test_negative_and_naive_are_refused() -> None:
    with pytest.raises(ValueError, match="0 or more"):
        add_workdays(_utc(2025, 3, 4), -1)
    with pytest.raises(ValueError, match="no timezone"):
        add_workdays(datetime(2025, 3, 4, 9), 3)


def test_day_of_receipt_is_the_amsterdam_day_not_the_utc_day() -> None:
    # Monday 31 March 2025 22:30 UTC is Tuesday 00:30 CEST: Wed, Thu, Fri.
    received = _utc(2025, 3, 31, 22, 30)
    assert local_date(received) == date(2025, 4, 1)
    assert add_workdays(received, 3) == _end_of(date(2025, 4, 4))
    assert add_workdays(received, 3).astimezone(UTC) == _utc(2025, 4, 4, 21, 59, 59, 999999)
    # 21:30 UTC the same evening is still Monday in Amsterdam: Tue, Wed, Thu.
    assert add_workdays(_utc(2025, 3, 31, 21, 30), 3) == _end_of(date(2025, 4, 3))


def test_other_offsets_work_too() -> None:
    received = datetime(2025, 3, 4, 23, 30, tzinfo=timezone(timedelta(hours=-5)))  # Wed CET
    assert add_workdays(received, 1) == _end_of(date(2025, 3, 6))


def test_over_the_spring_dst_change() -> None:
    # Friday 28 March 2025 (CET, +01:00) → Mon 31, Tue 1, Wed 2 April (CEST, +02:00).
    deadline = add_workdays(_utc(2025, 3, 28, 9), 3)
    assert deadline == _end_of(date(2025, 4, 2))
    assert deadline.utcoffset() == timedelta(hours=2)
    assert deadline.astimezone(UTC) == _utc(2025, 4, 2, 21, 59, 59, 999999)


def test_over_the_autumn_dst_change() -> None:
    # Friday 24 October 2025 (CEST) → Mon 27, Tue 28, Wed 29 (CET).
    deadline = add_workdays(_utc(2025, 10, 24, 9), 3)
    assert deadline.utcoffset() == timedelta(hours=1)
    assert deadline.astimezone(UTC) == _utc(2025, 10, 29, 22, 59, 59, 999999)


def test_receipt_during_the_repeated_autumn_hour() -> None:
    # 02:30 happens twice on Sunday 26 October 2025; both are Sunday: Mon, Tue, Wed.
    first = _utc(2025, 10, 26, 0, 30)  # 02:30 CEST
    second = _utc(2025, 10, 26, 1, 30)  # 02:30 CET
    assert local_date(first) == local_date(second) == date(2025, 10, 26)
    assert add_workdays(first, 3) == add_workdays(second, 3) == _end_of(date(2025, 10, 29))


def test_over_christmas_and_new_year() -> None:
    # Tue 23 Dec 2025 + 3: Wed 24, Mon 29, Tue 30.
    assert add_workdays(_utc(2025, 12, 23, 12), 3) == _end_of(date(2025, 12, 30))
    # + 10 over the year end: 24, 29, 30, 31 Dec, 2, 5, 6, 7, 8, 9 Jan.
    assert add_workdays(_utc(2025, 12, 23, 12), 10) == _end_of(date(2026, 1, 9))


def test_over_koningsdag_bevrijdingsdag_and_hemelvaart_2026() -> None:
    # Fri 24 April 2026: Mon 27 (Koningsdag) skipped → Tue 28, Wed 29, Thu 30.
    assert add_workdays(_utc(2026, 4, 24, 8), 3) == _end_of(date(2026, 4, 30))
    # Mon 4 May 2026: Tue 5 (Bevrijdingsdag) skipped → Wed 6, Thu 7, Fri 8.
    assert add_workdays(_utc(2026, 5, 4, 8), 3) == _end_of(date(2026, 5, 8))
    # Wed 13 May 2026: Thu 14 (Hemelvaart) skipped → Fri 15, Mon 18, Tue 19.
    assert add_workdays(_utc(2026, 5, 13, 8), 3) == _end_of(date(2026, 5, 19))


def test_over_pinksteren_2025() -> None:
    # Thu 5 June 2025: Fri 6, (Sat, Sun 8, Mon 9 skipped), Tue 10, Wed 11.
    assert add_workdays(_utc(2025, 6, 5, 8), 3) == _end_of(date(2025, 6, 11))


# --- per message type ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["WMO301", "WMO305", "WMO307", "WMO315", "WMO317", "WMO319", "JW305", "WMO405", "WMO407"],
)
def test_retours_are_due_in_three_workdays(name: str) -> None:
    assert answer_workdays(by_name(name)) == 3
    assert retour_deadline(_utc(2025, 4, 17, 8), by_name(name)) == _end_of(date(2025, 4, 23))


@pytest.mark.parametrize("name", ["WMO323", "JW323"])
def test_the_declaratie_antwoord_is_due_in_ten_workdays(name: str) -> None:
    assert answer_workdays(by_name(name)) == 10
    # Thu 17 April 2025: 18, 22, 23, 24, 25, 28, 29, 30 April, 1, 2 May.
    assert retour_deadline(_utc(2025, 4, 17, 8), by_name(name)) == _end_of(date(2025, 5, 2))


def test_every_heenbericht_has_a_deadline_and_nothing_else_does() -> None:
    for mt in CATALOGUE.values():
        if mt.direction is Direction.HEEN:
            assert answer_workdays(mt) in (3, 10)
        else:
            with pytest.raises(ValueError, match="expects no answer"):
                retour_deadline(_utc(2025, 4, 17, 8), mt)


@settings(max_examples=300, deadline=None)
@given(
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31)),
    span=st.integers(min_value=-40, max_value=4000),
)
def test_workdays_after_matches_a_day_by_day_count(start: date, span: int) -> None:
    """The arithmetic count (weekdays minus feestdagen on them) equals walking the days."""
    end = start + timedelta(days=span)
    expected, day = 0, start + timedelta(days=1)
    while day <= end and expected < 2000:
        expected += is_workday(day)
        day += timedelta(days=1)
    assert workdays_after(start, end) == expected
