"""Omvang and budget rules of the 301, 315 and 317 product lines: CD041, CD075–CD080, CD095, CD096,
CS338 and CS343."""

from __future__ import annotations

import pytest

from hub.domain.rules import omvang as family
from hub.domain.rules.base import names

from ._lines import (
    aangevraagd,
    assert_finding,
    msg301,
    msg315,
    msg317,
    nieuw,
    omvang,
    product,
    te_wijzigen,
    toegewezen,
)
from ._xml import of, run

TP = "/Bericht/Client/ToegewezenProducten/ToegewezenProduct"
AP = "/Bericht/Client/AangevraagdeProducten/AangevraagdProduct"
NP = "/Bericht/Client/Verzoek/NieuweProducten/NieuwProduct"
TWP = "/Bericht/Client/Verzoek/TeWijzigenProducten/TeWijzigenProduct"
# A line without a product and without a volume: a generic budget line.
BUDGET_ONLY = {"product_xml": "", "omvang_xml": "", "budget": "150000"}


@pytest.mark.parametrize(
    ("rule_id", "numbers"),
    [
        ("CD041", (301, 315, 317)),
        ("CD075", (301, 315, 317)),
        ("CD076", (301, 315, 317)),
        ("CD077", (301, 315, 317)),
        ("CD078", (301, 315, 317)),
        ("CD079", (301, 315, 317)),
        ("CD080", (301,)),
        ("CD095", (315,)),
        ("CD096", (317,)),
        ("CS338", (301, 317)),
        ("CS343", (315,)),
    ],
)
def test_each_rule_runs_on_the_messages_rules_md_names(
    rule_id: str, numbers: tuple[int, ...]
) -> None:
    (found,) = [r for r in family.RULES if r.id == rule_id]
    assert found.messages == names(*numbers)


# CD041: Product/Code filled → Omvang filled.


def test_cd041_flags_a_301_product_code_without_omvang() -> None:
    root = msg301(toegewezen(eind="2025-12-31", omvang_xml=""))
    (finding,) = of(run(root), "CD041")
    assert_finding(finding, TP + "/Omvang")
    assert "02A04" in finding.sentence


def test_cd041_flags_a_jw315_product_code_without_omvang() -> None:
    root = msg315(aangevraagd(product_xml=product("45", "45A48"), omvang_xml=""), standard="ijw")
    (finding,) = of(run(root), "CD041")
    assert_finding(finding, AP + "/Omvang")


def test_cd041_flags_a_317_nieuw_product_code_without_omvang() -> None:
    root = msg317(ongewijzigd=("1",), nieuwe=(nieuw(omvang_xml=""),))
    (finding,) = of(run(root), "CD041")
    assert_finding(finding, NP + "/Omvang")


def test_cd041_passes_a_code_with_omvang_and_a_category_only_product_without() -> None:
    root = msg301(
        toegewezen("1"),
        toegewezen(
            "2", product_xml=product("02", None), omvang_xml="", budget="900", eind="2025-12-31"
        ),
    )
    assert of(run(root), "CD041") == []


# CD075: Budget filled → end date filled.


def test_cd075_flags_a_301_budget_without_einddatum() -> None:
    root = msg301(toegewezen("1"), toegewezen("2", **BUDGET_ONLY))
    (finding,) = of(run(root), "CD075")
    assert_finding(finding, TP + "[2]/Einddatum")


def test_cd075_flags_a_315_budget_without_toewijzing_einddatum() -> None:
    root = msg315(aangevraagd(**BUDGET_ONLY))
    (finding,) = of(run(root), "CD075")
    assert_finding(finding, AP + "/ToewijzingEinddatum")


def test_cd075_flags_a_jw317_te_wijzigen_budget_without_einddatum() -> None:
    root = msg317(wijzigen=(te_wijzigen(omvang_xml="", budget="500"),), standard="ijw")
    (finding,) = of(run(root), "CD075")
    assert_finding(finding, TWP + "/Einddatum")


def test_cd075_passes_a_budget_with_an_end_date() -> None:
    assert of(run(msg301(toegewezen(eind="2025-12-31", **BUDGET_ONLY))), "CD075") == []
    assert of(run(msg315(aangevraagd(eind="2025-12-31", **BUDGET_ONLY))), "CD075") == []


# CD076: Frequentie 2 (per week) → end date filled.


def test_cd076_flags_a_jw301_per_week_without_einddatum() -> None:
    root = msg301(toegewezen(omvang_xml=omvang("04", "2")), standard="ijw")
    (finding,) = of(run(root), "CD076")
    assert_finding(finding, TP + "/Einddatum")


def test_cd076_flags_a_315_per_week_without_toewijzing_einddatum() -> None:
    root = msg315(aangevraagd(omvang_xml=omvang("04", "2")))
    (finding,) = of(run(root), "CD076")
    assert_finding(finding, AP + "/ToewijzingEinddatum")


def test_cd076_flags_a_317_nieuw_per_week_without_einddatum() -> None:
    root = msg317(ongewijzigd=("1",), nieuwe=(nieuw(omvang_xml=omvang("04", "2")),))
    (finding,) = of(run(root), "CD076")
    assert_finding(finding, NP + "/Einddatum")


@pytest.mark.parametrize(("frequentie", "eind"), [("2", "2025-12-31"), ("4", None), ("1", None)])
def test_cd076_passes_per_week_with_an_end_and_other_frequencies_without(
    frequentie: str, eind: str | None
) -> None:
    root = msg301(toegewezen(eind=eind, omvang_xml=omvang("04", frequentie)))
    assert of(run(root), "CD076") == []


# CD077 / CD078: Budget and Omvang exclude each other; a line with both fails both.


def test_cd077_and_cd078_flag_a_301_line_with_budget_and_omvang() -> None:
    root = msg301(toegewezen(eind="2025-12-31", budget="1000"))
    findings = run(root)
    (cd077,) = of(findings, "CD077")
    (cd078,) = of(findings, "CD078")
    assert_finding(cd077, TP + "/Omvang")
    assert_finding(cd078, TP + "/Budget")


def test_cd077_and_cd078_flag_a_jw317_te_wijzigen_with_budget_and_omvang() -> None:
    root = msg317(wijzigen=(te_wijzigen(eind="2025-12-31", budget="1000"),), standard="ijw")
    findings = run(root)
    assert_finding(of(findings, "CD077")[0], TWP + "/Omvang")
    assert_finding(of(findings, "CD078")[0], TWP + "/Budget")


def test_cd077_and_cd078_flag_a_315_line_with_budget_and_omvang() -> None:
    findings = run(msg315(aangevraagd(eind="2025-12-31", budget="1000")))
    assert [f.location for f in of(findings, "CD077")] == [AP + "/Omvang"]
    assert [f.location for f in of(findings, "CD078")] == [AP + "/Budget"]


def test_cd077_and_cd078_pass_a_budget_line_and_a_volume_line() -> None:
    root = msg301(toegewezen("1"), toegewezen("2", eind="2025-12-31", **BUDGET_ONLY))
    findings = run(root)
    assert of(findings, "CD077") == of(findings, "CD078") == []


# CD079: Budget absent → Product filled (only on lines that can name a Product).


def test_cd079_flags_a_301_line_without_product_or_budget() -> None:
    root = msg301(toegewezen(product_xml="", omvang_xml=""))
    (finding,) = of(run(root), "CD079")
    assert_finding(finding, TP + "/Product")


def test_cd079_flags_a_jw315_line_without_product_or_budget() -> None:
    root = msg315(aangevraagd(product_xml="", omvang_xml=""), standard="ijw")
    (finding,) = of(run(root), "CD079")
    assert_finding(finding, AP + "/Product")


def test_cd079_flags_a_317_nieuw_without_product_or_budget() -> None:
    root = msg317(ongewijzigd=("1",), nieuwe=(nieuw(product_xml="", omvang_xml=""),))
    (finding,) = of(run(root), "CD079")
    assert_finding(finding, NP + "/Product")


def test_cd079_passes_a_generic_budget_line_and_a_te_wijzigen_without_product() -> None:
    root = msg317(
        wijzigen=(te_wijzigen(),),
        nieuwe=(nieuw(eind="2025-12-31", **BUDGET_ONLY),),
    )
    assert of(run(root), "CD079") == []


# CD080 / CD095 / CD096: no Product/Code and end absent or after 2020-12-31 → Omvang absent.


@pytest.mark.parametrize("eind", [None, "2021-01-01"])
def test_cd080_flags_a_301_volume_without_product_code(eind: str | None) -> None:
    root = msg301(toegewezen(product_xml=product("02", None), eind=eind))
    (finding,) = of(run(root), "CD080")
    assert_finding(finding, TP + "/Omvang")


def test_cd080_flags_a_jw301_generic_line_with_a_volume() -> None:
    root = msg301(toegewezen(product_xml=""), standard="ijw")
    (finding,) = of(run(root), "CD080")
    assert_finding(finding, TP + "/Omvang")


def test_cd080_passes_a_volume_without_code_that_ended_in_2020() -> None:
    root = msg301(
        toegewezen(product_xml=product("02", None), ingang="2020-01-01", eind="2020-12-31")
    )
    assert of(run(root), "CD080") == []


def test_cd080_passes_a_volume_with_a_product_code() -> None:
    assert of(run(msg301(toegewezen())), "CD080") == []


def test_cd095_flags_a_315_volume_without_product_code() -> None:
    root = msg315(aangevraagd(product_xml=product("02", None), eind="2025-12-31"))
    findings = run(root)
    (finding,) = of(findings, "CD095")
    assert_finding(finding, AP + "/Omvang")
    assert "ToewijzingEinddatum" in finding.sentence
    assert of(findings, "CD080") == []


def test_cd095_passes_a_jw315_volume_without_code_that_ended_in_2020() -> None:
    root = msg315(
        aangevraagd(product_xml=product("45", None), ingang="2020-06-01", eind="2020-12-31"),
        standard="ijw",
    )
    assert of(run(root), "CD095") == []


def test_cd096_flags_a_jw317_nieuw_volume_without_product_code() -> None:
    root = msg317(
        ongewijzigd=("1",), nieuwe=(nieuw(product_xml=product("45", None)),), standard="ijw"
    )
    (finding,) = of(run(root), "CD096")
    assert_finding(finding, NP + "/Omvang")


def test_cd096_passes_a_te_wijzigen_volume_and_a_nieuw_with_code() -> None:
    root = msg317(wijzigen=(te_wijzigen(),), nieuwe=(nieuw(),))
    assert of(run(root), "CD096") == []


# CS338 / CS343: Eenheid 14, 16, 83 or 84 and end absent or after 2020-12-31 → Frequentie 2, 4 or 6.


@pytest.mark.parametrize("eenheid", ["14", "16", "83", "84"])
def test_cs338_flags_per_day_for_counted_units_on_a_301(eenheid: str) -> None:
    root = msg301(toegewezen(eind="2025-12-31", omvang_xml=omvang(eenheid, "1")))
    (finding,) = of(run(root), "CS338")
    assert_finding(finding, TP + "/Omvang/Frequentie")


def test_cs338_flags_per_day_on_a_jw317_te_wijzigen_and_nieuw() -> None:
    root = msg317(
        wijzigen=(te_wijzigen(omvang_xml=omvang("14", "1")),),
        nieuwe=(nieuw(omvang_xml=omvang("83", "1")),),
        standard="ijw",
    )
    found = of(run(root), "CS338")
    assert [f.location for f in found] == [TWP + "/Omvang/Frequentie", NP + "/Omvang/Frequentie"]
    for finding in found:
        assert_finding(finding, finding.location)


@pytest.mark.parametrize(
    ("eenheid", "frequentie"), [("14", "2"), ("83", "4"), ("84", "6"), ("04", "1"), ("01", "1")]
)
def test_cs338_passes_fitting_frequencies(eenheid: str, frequentie: str) -> None:
    root = msg301(toegewezen(eind="2025-12-31", omvang_xml=omvang(eenheid, frequentie)))
    assert of(run(root), "CS338") == []


def test_cs338_passes_per_day_on_a_toewijzing_that_ended_in_2020() -> None:
    root = msg301(toegewezen(ingang="2020-01-01", eind="2020-12-31", omvang_xml=omvang("16", "1")))
    assert of(run(root), "CS338") == []


def test_cs343_flags_per_day_on_a_315_and_cs338_does_not_run_there() -> None:
    root = msg315(aangevraagd(omvang_xml=omvang("16", "1")))
    findings = run(root)
    (finding,) = of(findings, "CS343")
    assert_finding(finding, AP + "/Omvang/Frequentie")
    assert of(findings, "CS338") == []


def test_cs343_passes_a_jw315_line_that_ended_in_2020() -> None:
    root = msg315(
        aangevraagd(ingang="2020-06-01", eind="2020-12-31", omvang_xml=omvang("16", "1")),
        standard="ijw",
    )
    assert of(run(root), "CS343") == []
