"""The requests: 315 (TR383, TR386, CD043, CD066–CD068) and 317 (TR352, TR353, TR380, TR410)."""

from __future__ import annotations

import pytest

from hub.domain.rules import verzoek as family
from hub.domain.rules.base import names

from ._lines import (
    aangevraagd,
    assert_finding,
    msg315,
    msg317,
    nieuw,
    product,
    te_wijzigen,
    verwijzer,
)
from ._xml import of, run

AP = "/Bericht/Client/AangevraagdeProducten/AangevraagdProduct"
NP = "/Bericht/Client/Verzoek/NieuweProducten/NieuwProduct"
TWP = "/Bericht/Client/Verzoek/TeWijzigenProducten/TeWijzigenProduct"
VERZOEK = "/Bericht/Client/Verzoek"
REFERRER = "Dokter Jansen"
AGB = "01234567"


def test_the_315_rules_run_on_315_and_the_317_rules_on_317() -> None:
    for r in (family.TR383, family.TR386, family.CD043, family.CD066, family.CD067, family.CD068):
        assert r.messages == names(315)
    for r in (family.TR352, family.TR353, family.TR380, family.TR410):
        assert r.messages == names(317)


# TR383: each AangevraagdProduct has its own ReferentieAanbieder.


@pytest.mark.parametrize("standard", ["iwmo", "ijw"])
def test_tr383_flags_a_repeated_referentie_aanbieder(standard: str) -> None:
    root = msg315(
        aangevraagd("REF-7", ingang="2025-05-01", eind="2025-05-31"),
        aangevraagd("REF-7", ingang="2025-06-01"),
        standard=standard,
    )
    (finding,) = of(run(root), "TR383")
    assert_finding(finding, AP + "[2]/ReferentieAanbieder")
    assert "REF-7" not in finding.sentence
    assert "AangevraagdProduct[1]" in finding.sentence


def test_tr383_passes_distinct_references() -> None:
    root = msg315(
        aangevraagd("REF-1", eind="2025-05-31"), aangevraagd("REF-2", ingang="2025-06-01")
    )
    assert of(run(root), "TR383") == []


# TR386: the same product only in non-overlapping periods of the 315.


def test_tr386_flags_the_same_product_in_overlapping_periods() -> None:
    root = msg315(
        aangevraagd("A", ingang="2025-05-01", eind="2025-08-31"),
        aangevraagd("B", ingang="2025-08-31"),
    )
    (finding,) = of(run(root), "TR386")
    assert_finding(finding, AP + "[2]")


def test_tr386_flags_a_category_only_line_overlapping_a_coded_one_in_ijw() -> None:
    root = msg315(
        aangevraagd("A", product_xml=product("45", "45A48")),
        aangevraagd("B", product_xml=product("45", None)),
        standard="ijw",
    )
    (finding,) = of(run(root), "TR386")
    assert_finding(finding, AP + "[2]")


def test_tr386_flags_a_jw315_generic_line_overlapping_any_product() -> None:
    root = msg315(
        aangevraagd("A", product_xml=product("45", "45A48")),
        aangevraagd("B", product_xml="", omvang_xml="", budget="1000", eind="2025-12-31"),
        standard="ijw",
    )
    (finding,) = of(run(root), "TR386")
    assert_finding(finding, AP + "[2]")


def test_tr386_passes_iwmo_hulpmiddelen_overlapping_a_generic_line() -> None:
    # iWmo categories 11-14 may overlap anything (rules.md §5); iJw has no such exemption.
    root = msg315(
        aangevraagd("A", product_xml=product("12", "12A01")),
        aangevraagd("B", product_xml="", omvang_xml="", budget="1000", eind="2025-12-31"),
    )
    assert of(run(root), "TR386") == []


def test_tr386_passes_adjacent_periods_and_other_products() -> None:
    root = msg315(
        aangevraagd("A", ingang="2025-05-01", eind="2025-05-31"),
        aangevraagd("B", ingang="2025-06-01"),
        aangevraagd("C", product_xml=product("02", "02A05"), ingang="2025-05-01"),
    )
    assert of(run(root), "TR386") == []


# CD043: BeschikkingNummer and BeschikkingIngangsdatum come together.


@pytest.mark.parametrize(
    ("nummer", "ingang", "missing"),
    [("123", None, "BeschikkingIngangsdatum"), (None, "2025-03-01", "BeschikkingNummer")],
)
def test_cd043_flags_half_a_beschikking(
    nummer: str | None, ingang: str | None, missing: str
) -> None:
    root = msg315(aangevraagd(beschikking=nummer, beschikking_ingang=ingang), standard="ijw")
    (finding,) = of(run(root), "CD043")
    assert_finding(finding, AP + "/" + missing)


@pytest.mark.parametrize(("nummer", "ingang"), [("123", "2025-03-01"), (None, None)])
def test_cd043_passes_both_or_neither(nummer: str | None, ingang: str | None) -> None:
    root = msg315(aangevraagd(beschikking=nummer, beschikking_ingang=ingang))
    assert of(run(root), "CD043") == []


# CD066–CD068: what a Verwijzer carries depends on its Type.


@pytest.mark.parametrize("standard", ["iwmo", "ijw"])
def test_cd066_flags_a_name_beside_the_zorgverlenercode(standard: str) -> None:
    root = msg315(
        aangevraagd(verwijzer_xml=verwijzer("02", naam=REFERRER, zorgverlener=AGB)),
        standard=standard,
    )
    (finding,) = of(run(root), "CD066")
    assert_finding(finding, AP + "/Verwijzer/Naam")
    assert REFERRER not in finding.sentence
    assert AGB not in finding.sentence


def test_cd066_passes_a_huisarts_with_only_a_zorgverlenercode() -> None:
    root = msg315(aangevraagd(verwijzer_xml=verwijzer("02", zorgverlener=AGB)))
    assert of(run(root), "CD066") == []


def test_cd067_flags_a_professional_without_code_or_name() -> None:
    root = msg315(aangevraagd(verwijzer_xml=verwijzer("05")), standard="ijw")
    (finding,) = of(run(root), "CD067")
    assert_finding(finding, AP + "/Verwijzer/Naam")


def test_cd067_passes_a_professional_named_without_code_and_a_gemeente_verwijzer() -> None:
    root = msg315(
        aangevraagd("A", eind="2025-05-31", verwijzer_xml=verwijzer("03", naam=REFERRER)),
        aangevraagd("B", ingang="2025-06-01", verwijzer_xml=verwijzer("01")),
    )
    assert of(run(root), "CD067") == []


@pytest.mark.parametrize("soort", ["01", "06", "08"])
def test_cd068_flags_a_zorgverlenercode_on_a_non_professional(soort: str) -> None:
    root = msg315(aangevraagd(verwijzer_xml=verwijzer(soort, zorgverlener=AGB)))
    (finding,) = of(run(root), "CD068")
    assert_finding(finding, AP + "/Verwijzer/ZorgverlenerCode")
    assert AGB not in finding.sentence


def test_cd068_passes_a_professional_code_and_a_named_non_professional() -> None:
    root = msg315(
        aangevraagd("A", eind="2025-05-31", verwijzer_xml=verwijzer("04", zorgverlener=AGB)),
        aangevraagd("B", ingang="2025-06-01", verwijzer_xml=verwijzer("08", naam="Rechtbank")),
        standard="ijw",
    )
    assert of(run(root), "CD068") == []


# TR352 / TR353: what a verzoek om wijziging must hold.


@pytest.mark.parametrize("standard", ["iwmo", "ijw"])
def test_tr352_flags_a_verzoek_with_only_new_products(standard: str) -> None:
    root = msg317(nieuwe=(nieuw(),), standard=standard)
    (finding,) = of(run(root), "TR352")
    assert_finding(finding, VERZOEK)


def test_tr352_passes_with_an_ongewijzigd_or_a_te_wijzigen_product() -> None:
    assert of(run(msg317(ongewijzigd=("1",), nieuwe=(nieuw(),))), "TR352") == []
    assert of(run(msg317(wijzigen=(te_wijzigen(),))), "TR352") == []


def test_tr353_flags_a_verzoek_that_changes_nothing() -> None:
    root = msg317(ongewijzigd=("1", "2"), standard="ijw")
    (finding,) = of(run(root), "TR353")
    assert_finding(finding, VERZOEK)


def test_tr353_passes_with_a_te_wijzigen_or_a_nieuw_product() -> None:
    assert of(run(msg317(wijzigen=(te_wijzigen(),))), "TR353") == []
    assert of(run(msg317(ongewijzigd=("1",), nieuwe=(nieuw(),))), "TR353") == []


# TR380: TeWijzigenProduct/NieuwProduct Einddatum after the Dagtekening (2025-04-05).


def test_tr380_flags_end_dates_on_or_before_the_dagtekening() -> None:
    root = msg317(
        wijzigen=(te_wijzigen(ingang="2025-03-01", eind="2025-04-05"),),
        nieuwe=(nieuw(ingang="2025-03-01", eind="2025-04-04"),),
        standard="ijw",
    )
    found = of(run(root), "TR380")
    assert [f.location for f in found] == [TWP + "/Einddatum", NP + "/Einddatum"]
    for finding in found:
        assert_finding(finding, finding.location)
    assert "2025-04-05" in found[0].sentence


def test_tr380_passes_a_past_gewenste_ingangsdatum_with_a_future_end() -> None:
    # rules.md §6 reading 1: GewensteIngangsdatum may lie on or before the Dagtekening.
    root = msg317(
        wijzigen=(te_wijzigen(ingang="2025-03-01", eind="2025-04-06"),),
        nieuwe=(nieuw(ingang="2025-04-05"),),
    )
    assert of(run(root), "TR380") == []


# TR410: the same product only in non-overlapping periods of the NieuwProducts.


@pytest.mark.parametrize("standard", ["iwmo", "ijw"])
def test_tr410_flags_new_products_in_overlapping_periods(standard: str) -> None:
    code = ("02", "02A04") if standard == "iwmo" else ("45", "45A48")
    root = msg317(
        ongewijzigd=("1",),
        nieuwe=(
            nieuw(product_xml=product(*code), eind="2025-09-30"),
            nieuw(product_xml=product(*code), ingang="2025-09-01"),
        ),
        standard=standard,
    )
    (finding,) = of(run(root), "TR410")
    assert_finding(finding, NP + "[2]")


def test_tr410_passes_iwmo_hulpmiddelen_and_leaves_te_wijzigen_lines_out() -> None:
    root = msg317(
        wijzigen=(te_wijzigen(),),
        nieuwe=(
            nieuw(product_xml=product("13", "13A01")),
            nieuw(product_xml=product("13", "13A01")),
            nieuw(ingang="2025-05-01"),
        ),
    )
    assert of(run(root), "TR410") == []
