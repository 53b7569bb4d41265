"""Productperiode conflicts, pure: which pending prestaties a shortened toewijzing crosses."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Final
from uuid import UUID

from hub.domain.sleutelmomenten.conflict import PendingPrestatie, conflicts, crosses
from hub.domain.sleutelmomenten.moments import Shortening

MSG: Final = UUID("0b8f3a52-6f0e-4c4e-9d0a-6a3c1f2b7e11")
OTHER_MSG: Final = UUID("9c1b7e55-0d3a-4a8e-8f21-3b6e2d4c5a70")

# The 301 ends toewijzing 300201 on 15 May 2025 instead of 31 December.
SHORT: Final = Shortening(
    domain="iwmo",
    gemeente="0363",
    aanbieder="65656055",
    person_key="ab" * 16,
    toewijzing_nummer="300201",
    einddatum=date(2025, 5, 15),
    previous_einddatum=date(2025, 12, 31),
    message_id=MSG,
)
MAY: Final = PendingPrestatie(
    domain="iwmo",
    gemeente="0363",
    aanbieder="65656055",
    toewijzing_nummer="300201",
    declaratie="D1",
    referentie_nummer="R-MAY",
    product_categorie="02",
    product_code="02A01",
    begindatum=date(2025, 5, 1),
    einddatum=date(2025, 5, 31),
)


def test_a_prestatie_the_new_einddatum_falls_inside_conflicts_partly() -> None:
    (found,) = conflicts([SHORT], [MAY])
    assert found.shortening == SHORT
    assert found.declaratie == "D1"
    assert found.referentie_nummers == ("R-MAY",)
    assert found.relation == "partly"
    assert (found.periode_begin, found.periode_eind) == (date(2025, 5, 1), date(2025, 5, 31))


def test_a_prestatie_wholly_after_the_new_einddatum_conflicts_wholly() -> None:
    june = replace(MAY, begindatum=date(2025, 6, 1), einddatum=date(2025, 6, 30))
    (found,) = conflicts([SHORT], [june])
    assert found.relation == "wholly"
    # Beginning on the day after the new end is wholly after it; on the day itself, partly.
    day_after = replace(MAY, begindatum=date(2025, 5, 16))
    on_the_day = replace(MAY, begindatum=date(2025, 5, 15))
    assert conflicts([SHORT], [day_after])[0].relation == "wholly"
    assert conflicts([SHORT], [on_the_day])[0].relation == "partly"


def test_a_prestatie_ending_on_or_before_the_new_einddatum_does_not_conflict() -> None:
    on_the_last_day = replace(MAY, einddatum=date(2025, 5, 15))
    before = replace(MAY, begindatum=date(2025, 4, 1), einddatum=date(2025, 4, 30))
    assert conflicts([SHORT], [on_the_last_day, before]) == []
    assert not crosses(SHORT, on_the_last_day)
    assert crosses(SHORT, replace(MAY, einddatum=date(2025, 5, 16)))


def test_credits_never_conflict() -> None:
    assert conflicts([SHORT], [replace(MAY, credit=True)]) == []


def test_another_toewijzing_domain_gemeente_or_aanbieder_is_not_this_one() -> None:
    others = [
        replace(MAY, toewijzing_nummer="300202"),
        replace(MAY, domain="ijw"),
        replace(MAY, gemeente="0344"),
        replace(MAY, aanbieder="12345678"),
    ]
    assert conflicts([SHORT], others) == []
    assert len(conflicts([SHORT], [*others, MAY])) == 1


def test_several_prestaties_of_one_declaratie_make_one_conflict_in_period_order() -> None:
    june = replace(MAY, referentie_nummer="R-JUN", begindatum=date(2025, 6, 1),
                   einddatum=date(2025, 6, 30))  # fmt: skip
    april = replace(MAY, referentie_nummer="R-APR", begindatum=date(2025, 4, 1),
                    einddatum=date(2025, 4, 30))  # fmt: skip
    (found,) = conflicts([SHORT], [june, april, MAY])
    assert found.referentie_nummers == ("R-MAY", "R-JUN")  # April ends before: not listed
    assert found.relation == "partly"  # May is partly inside the toewijzing
    assert (found.periode_begin, found.periode_eind) == (date(2025, 5, 1), date(2025, 6, 30))


def test_each_declaratie_and_each_301_gets_its_own_conflict() -> None:
    second = replace(MAY, declaratie="D2", referentie_nummer="R-MAY-2")
    later = replace(SHORT, message_id=OTHER_MSG, einddatum=date(2025, 5, 10))
    found = conflicts([SHORT, later], [second, MAY])
    assert [(c.shortening.message_id, c.declaratie) for c in found] == [
        (MSG, "D1"),
        (MSG, "D2"),
        (OTHER_MSG, "D1"),
        (OTHER_MSG, "D2"),
    ]


def test_a_toewijzing_named_twice_by_one_301_is_looked_at_once() -> None:
    assert len(conflicts([SHORT, SHORT], [MAY])) == 1


def test_a_toewijzing_that_had_no_einddatum_conflicts_too() -> None:
    (found,) = conflicts([replace(SHORT, previous_einddatum=None)], [MAY])
    assert found.shortening.previous_einddatum is None
