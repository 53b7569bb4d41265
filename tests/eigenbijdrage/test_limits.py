"""The iEb limits (hub.domain.eigenbijdrage.limits), the Kostprijs of a 405 entry
(hub.domain.eigenbijdrage.kostprijs) and the policy keys of issue #18: pure, no I/O."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from uuid import UUID

import pytest

from hub.domain.eigenbijdrage.kostprijs import kostprijzen
from hub.domain.eigenbijdrage.limits import Reason, cutoff, months_before, split
from hub.domain.eigenbijdrage.periods import Entry, Facts, Period
from hub.domain.eigenbijdrage.policy import Policy, describe, load_policy
from hub.domain.errors import ConfigError
from hub.domain.history.facts import StartKey

TODAY = date(2025, 7, 21)
M1 = UUID(int=1)
M2 = UUID(int=2)


def _split(entries: list[Entry], told: dict[UUID, Period] | None = None,
           held: frozenset[UUID] = frozenset(), start: int = 12, correction: int = 36
           ) -> tuple[list[Entry], list[tuple[Reason, Entry]]]:  # fmt: skip
    send, kept = split(entries, told or {}, held, TODAY, start_months=start,
                       correction_months=correction)  # fmt: skip
    return send, [(h.reason, h.entry) for h in kept]


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2025, 7, 21), 12, date(2024, 7, 21)),
        (date(2025, 7, 21), 36, date(2022, 7, 21)),
        (date(2025, 1, 15), 1, date(2024, 12, 15)),  # over a year boundary
        (date(2025, 5, 31), 3, date(2025, 2, 28)),  # February has no 31st
        (date(2024, 5, 31), 3, date(2024, 2, 29)),  # leap year
        (date(2025, 2, 28), 12, date(2024, 2, 28)),
        (date(2024, 2, 29), 12, date(2023, 2, 28)),
    ],
)
def test_months_before_counts_calendar_months(day: date, months: int, expected: date) -> None:
    assert months_before(day, months) == expected


def test_no_limit_when_zero() -> None:
    assert cutoff(TODAY, 0) is None
    old = Entry(M1, "1", Period(date(2001, 1, 1)))
    assert _split([old], start=0) == ([old], [])


def test_a_start_exactly_12_months_back_is_sent_one_day_more_is_held() -> None:
    exactly = Entry(M1, "1", Period(date(2024, 7, 21)))
    one_more = Entry(M2, "1", Period(date(2024, 7, 20)))
    assert _split([exactly]) == ([exactly], [])
    assert _split([one_more]) == ([], [(Reason.START, one_more)])
    (held,) = split([one_more], {}, frozenset(), TODAY, start_months=12, correction_months=36)[1]
    assert (held.limit_months, held.cutoff) == (12, date(2024, 7, 21))


def test_a_retraction_exactly_36_months_back_is_sent_one_day_more_is_held() -> None:
    told = {M1: Period(date(2022, 7, 21)), M2: Period(date(2022, 7, 20))}
    exactly = Entry(M1, "3", told[M1])
    one_more = Entry(M2, "3", told[M2])
    assert _split([exactly, one_more], told) == ([exactly], [(Reason.CORRECTION, one_more)])


def test_a_moved_begindatum_counts_from_the_earlier_date() -> None:
    told = {M1: Period(date(2022, 8, 1))}
    later = Entry(M1, "2", Period(date(2022, 9, 1)))  # both dates within 36 months
    earlier = Entry(M1, "2", Period(date(2022, 7, 1)))  # the new date is beyond
    assert _split([later], told) == ([later], [])
    assert _split([earlier], told) == ([], [(Reason.CORRECTION, earlier)])


def test_a_stop_is_no_correction_however_far_back() -> None:
    told = {M1: Period(date(2020, 1, 6))}
    stop = Entry(M1, "2", Period(date(2020, 1, 6), date(2020, 3, 31)))
    assert _split([stop], told) == ([stop], [])


def test_a_moved_einddatum_is_a_correction_from_the_earlier_end() -> None:
    told = {M1: Period(date(2020, 1, 6), date(2022, 8, 31))}
    moved = Entry(M1, "2", Period(date(2020, 1, 6), date(2022, 6, 30)))
    reopened = Entry(M1, "2", Period(date(2020, 1, 6)))
    assert _split([moved], told) == ([], [(Reason.CORRECTION, moved)])
    assert _split([reopened], told) == ([reopened], [])  # the old end is within 36 months


def test_every_entry_on_a_held_melding_is_held() -> None:
    told = {M1: Period(date(2025, 1, 6))}
    stop = Entry(M1, "2", Period(date(2025, 1, 6), date(2025, 3, 31)))
    assert _split([stop], told, frozenset({M1})) == ([], [(Reason.HELD_MELDING, stop)])


def _facts(*products: tuple[str, str, date]) -> Facts:
    return Facts({("65656055", StartKey("300001", c, code, d)): False for c, code, d in products})


PRICES = {"14/14A01": 125000, "12/12A01": 350000}


def test_kostprijs_of_a_priced_hulpmiddel() -> None:
    entry = Entry(M1, "1", Period(date(2025, 1, 6)))
    assert kostprijzen(_facts(("14", "14A01", date(2025, 1, 6))), [entry], PRICES) == {M1: 125000}


def test_kostprijs_is_the_highest_of_the_period_s_hulpmiddelen() -> None:
    facts = _facts(("14", "14A01", date(2025, 1, 6)), ("12", "12A01", date(2025, 2, 3)))
    entry = Entry(M1, "2", Period(date(2025, 1, 6), date(2025, 3, 31)))
    assert kostprijzen(facts, [entry], PRICES) == {M1: 350000}


@pytest.mark.parametrize(
    "products",
    [
        [("02", "02A01", date(2025, 1, 6))],  # no hulpmiddel
        [("14", "14A01", date(2025, 1, 6)), ("02", "02A01", date(2025, 2, 3))],  # mixed period
        [("13", "13A01", date(2025, 1, 6))],  # a hulpmiddel without a price
        [("", "", date(2025, 1, 6))],  # a line without Product: no code to price
    ],
)
def test_no_kostprijs(products: list[tuple[str, str, date]]) -> None:
    entry = Entry(M1, "1", Period(date(2025, 1, 6)))
    assert kostprijzen(_facts(*products), [entry], PRICES) == {}


def test_a_retraction_carries_no_kostprijs() -> None:
    entry = Entry(M1, "3", Period(date(2025, 1, 6)))
    assert kostprijzen(_facts(("14", "14A01", date(2025, 1, 6))), [entry], PRICES) == {}


def _policy(tmp_path: Path, body: str) -> Policy:
    path = tmp_path / "policy.toml"
    path.write_text('[gemeente."0363"]\nenabled = true\n' + body, encoding="utf-8")
    return load_policy(path).for_gemeente("0363")


def test_policy_keys_of_issue_18(tmp_path: Path) -> None:
    policy = _policy(
        tmp_path,
        'start_limit_months = 6\ncorrection_limit_months = 0\ncentrumgemeente = "0344"\n'
        'kostprijs = { "14/14A01" = 125000 }\n',
    )
    assert (policy.start_limit_months, policy.correction_limit_months) == (6, 0)
    assert policy.centrumgemeente == "0344"
    assert dict(policy.kostprijs) == {"14/14A01": 125000}
    assert describe(policy).endswith(
        "; held: start > 6 months, correction > no limit months back; 407 as centrumgemeente "
        "0344; kostprijs for 1 product(s)"
    )
    defaults = Policy(enabled=True)
    assert (defaults.start_limit_months, defaults.correction_limit_months) == (12, 36)
    assert "held" not in describe(defaults)  # an unchanged policy prints as before


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('centrumgemeente = "363"', "centrumgemeente must be a 4-digit CBS gemeentecode"),
        ('kostprijs = { "02/02A01" = 100 }', "'02/02A01' is not a hulpmiddel product"),
        ('kostprijs = { "14/14A01" = -1 }', "must be a whole number of cents from 0"),
        ('kostprijs = { "14/14A01" = 1.5 }', "must be a whole number of cents from 0"),
        ("kostprijs = 5", "kostprijs must be a table"),
        ("start_limit_months = -1", "start_limit_months must be a whole number from 0 to 120"),
    ],
)
def test_bad_policy_keys_name_the_entry(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ConfigError, match=r'gemeente\."0363"') as caught:
        _policy(tmp_path, body + "\n")
    assert message in str(caught.value)
