"""Per-Prestatie rules of the 323 (and CD060 on the 325)."""

from __future__ import annotations

from hub.domain.messages import by_name
from hub.domain.rules.base import RuleContext
from hub.domain.rules.prestatielines import lines

from ._declaratie_xml import (
    ANTWOORD,
    PRESTATIE,
    antwoord,
    declaratie,
    findings,
    jw323,
    jw325,
    one,
    prestatie,
    wmo323,
)
from ._xml import TODAY

# TR335: a Prestatie is at most 5 years old, counted from the DeclaratieDagtekening.


def test_tr335_flags_a_prestatie_ending_more_than_five_years_before() -> None:
    body = declaratie((prestatie(begin="2021-04-01", end="2021-04-04"),), dagtekening="2026-04-05")
    finding = one(wmo323(body), "TR335")
    assert finding.location == PRESTATIE + "/ProductPeriode/Einddatum"
    assert "2021-04-04" in finding.sentence
    assert "2021-04-05" in finding.sentence


def test_tr335_passes_a_prestatie_exactly_five_years_old() -> None:
    body = declaratie((prestatie(begin="2021-04-01", end="2021-04-05"),), dagtekening="2026-04-05")
    assert findings(jw323(body), "TR335") == []


def test_tr335_counts_back_from_29_february_to_28_february() -> None:
    kept = declaratie((prestatie(begin="2023-02-01", end="2023-02-28"),), dagtekening="2028-02-29")
    assert findings(wmo323(kept), "TR335") == []
    old = declaratie((prestatie(begin="2023-02-01", end="2023-02-27"),), dagtekening="2028-02-29")
    assert len(findings(wmo323(old), "TR335")) == 1


def test_tr335_reads_the_declaratiedagtekening_not_the_header() -> None:
    # The header's Dagtekening is six years on; the DeclaratieDagtekening decides.
    body = declaratie((prestatie(begin="2021-04-01", end="2021-04-30"),), dagtekening="2025-04-05")
    assert findings(wmo323(body, dagtekening="2027-05-01"), "TR335") == []


# CS337: a ProductPeriode lies within one calendar month.


def test_cs337_flags_a_productperiode_crossing_a_month() -> None:
    body = declaratie((prestatie(begin="2025-02-15", end="2025-03-14"),))
    finding = one(wmo323(body), "CS337")
    assert finding.location == PRESTATIE + "/ProductPeriode/Einddatum"
    assert "2025-02-15" in finding.sentence


def test_cs337_flags_the_same_month_of_another_year() -> None:
    body = declaratie((prestatie(begin="2024-03-01", end="2025-03-31"),))
    assert len(findings(jw323(body), "CS337")) == 1


def test_cs337_passes_part_of_a_month() -> None:
    body = declaratie((prestatie(begin="2025-03-10", end="2025-03-20"),))
    assert findings(wmo323(body), "CS337") == []


# CS339: with Eenheid 83 (euro) the amount is the volume.


def test_cs339_flags_a_euro_line_whose_amount_is_not_its_volume() -> None:
    line = prestatie(eenheid="83", tarief=None, volume="12000", bedrag=12500)
    finding = one(wmo323(declaratie((line,))), "CS339")
    assert finding.location == PRESTATIE + "/IngediendBedrag/Bedrag"
    assert "12500" in finding.sentence
    assert "12000" in finding.sentence


def test_cs339_passes_a_euro_line_and_ignores_other_units() -> None:
    euro = prestatie("P1", eenheid="83", tarief=None, volume="012000", bedrag=12000)
    hours = prestatie("P2", eenheid="04", volume="10", bedrag=50000)
    assert findings(jw323(declaratie((euro, hours))), "CS339") == []


# CD060: VorigReferentieNummer exactly on credit lines.


def test_cd060_flags_a_credit_without_vorigreferentienummer() -> None:
    finding = one(wmo323(declaratie((prestatie(dc="C"),))), "CD060")
    assert finding.location == PRESTATIE + "/ProductReferentie"


def test_cd060_flags_a_debet_with_vorigreferentienummer() -> None:
    finding = one(jw323(declaratie((prestatie(vorig="P0"),))), "CD060")
    assert finding.location == PRESTATIE + "/ProductReferentie/VorigReferentieNummer"


def test_cd060_passes_a_credit_with_and_a_debet_without() -> None:
    body = declaratie((prestatie("P1"), prestatie("C1", vorig="P0", dc="C")))
    assert findings(wmo323(body), "CD060") == []


def test_cd060_applies_to_the_lines_of_a_325() -> None:
    bad = antwoord((prestatie(dc="C", bedrag=100, retour="9307"),), ingediend=0, toegekend=100)
    finding = one(jw325(bad), "CD060")
    assert finding.location == (
        ANTWOORD + "/Clienten/Client/Prestaties/Prestatie/ProductReferentie"
    )
    good = antwoord(
        (prestatie(dc="C", vorig="P0", bedrag=100, retour="9307"),), ingediend=0, toegekend=100
    )
    assert findings(jw325(good), "CD060") == []


# CD087: ProductTarief exactly when Eenheid is not 83.


def test_cd087_flags_a_missing_tariff() -> None:
    finding = one(wmo323(declaratie((prestatie(tarief=None),))), "CD087")
    assert finding.location == PRESTATIE
    assert "Eenheid 04" in finding.sentence


def test_cd087_flags_a_tariff_on_a_euro_line() -> None:
    line = prestatie(eenheid="83", tarief="100", volume="50000", bedrag=50000)
    finding = one(jw323(declaratie((line,))), "CD087")
    assert finding.location == PRESTATIE + "/ProductTarief"


def test_cd087_passes_a_tariff_line_and_a_euro_line() -> None:
    euro = prestatie("P1", eenheid="83", tarief=None, volume="50000", bedrag=50000)
    assert findings(wmo323(declaratie((prestatie("P2"), euro))), "CD087") == []


def test_the_prestaties_are_read_once_per_message() -> None:
    root = wmo323(declaratie((prestatie("P1"), prestatie("P2", dc="C", vorig="P0"))))
    ctx = RuleContext(root, by_name("WMO323"), TODAY)
    first = lines(ctx)
    assert lines(ctx) is first
    assert [(line.ref, line.signed) for line in first] == [("P1", 50000), ("P2", -50000)]


def test_tr335_says_nothing_on_a_dagtekening_in_the_first_years() -> None:
    body = declaratie((prestatie(begin="0001-01-01", end="0001-01-31"),), dagtekening="0003-02-01")
    assert findings(wmo323(body), "TR335") == []
