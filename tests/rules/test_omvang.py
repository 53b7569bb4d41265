"""CD075 / CD076 (when Einddatum is mandatory) and CS338 (which Frequentie fits an Eenheid)."""

from __future__ import annotations

import pytest

from ._xml import message, of, run


def _product(*, einddatum: bool = False, budget: str | None = None, omvang: str = "") -> str:
    return (
        "<ToegewezenProduct><ToewijzingNummer>1</ToewijzingNummer>"
        "<Toewijzingsdatum>2025-04-01</Toewijzingsdatum><Ingangsdatum>2025-04-01</Ingangsdatum>"
        + ("<Einddatum>2025-12-31</Einddatum>" if einddatum else "")
        + omvang
        + (f"<Budget>{budget}</Budget>" if budget else "")
        + "</ToegewezenProduct>"
    )


def _omvang(eenheid: str, frequentie: str) -> str:
    return (
        f"<Omvang><b:Volume>4</b:Volume><b:Eenheid>{eenheid}</b:Eenheid>"
        f"<b:Frequentie>{frequentie}</b:Frequentie></Omvang>"
    )


def _301(*products: str) -> str:
    return f"<Client><ToegewezenProducten>{''.join(products)}</ToegewezenProducten></Client>"


def test_cd075_flags_a_budget_without_einddatum() -> None:
    root = message("wmo301", _301(_product(einddatum=True), _product(budget="150000")))
    (finding,) = of(run(root, "WMO301"), "CD075")
    assert finding.retourcode == "0001"
    assert finding.location == (
        "/Bericht/Client/ToegewezenProducten/ToegewezenProduct[2]/Einddatum"
    )


def test_cd075_passes_a_budget_with_einddatum() -> None:
    root = message("wmo301", _301(_product(einddatum=True, budget="150000")))
    assert of(run(root, "WMO301"), "CD075") == []


def test_cd076_flags_per_week_without_einddatum() -> None:
    root = message("jw301", _301(_product(omvang=_omvang("04", "2"))), standard="ijw")
    (finding,) = of(run(root, "JW301"), "CD076")
    assert finding.location == "/Bericht/Client/ToegewezenProducten/ToegewezenProduct/Einddatum"


@pytest.mark.parametrize(("frequentie", "einddatum"), [("2", True), ("4", False), ("1", False)])
def test_cd076_passes_otherwise(frequentie: str, einddatum: bool) -> None:
    root = message("wmo301", _301(_product(einddatum=einddatum, omvang=_omvang("04", frequentie))))
    assert of(run(root, "WMO301"), "CD076") == []


@pytest.mark.parametrize("eenheid", ["14", "16", "83", "84"])
def test_cs338_flags_per_day_for_counted_units(eenheid: str) -> None:
    root = message("wmo301", _301(_product(einddatum=True, omvang=_omvang(eenheid, "1"))))
    (finding,) = of(run(root, "WMO301"), "CS338")
    assert finding.retourcode == "0001"
    assert finding.location == (
        "/Bericht/Client/ToegewezenProducten/ToegewezenProduct/Omvang/Frequentie"
    )


@pytest.mark.parametrize(
    ("eenheid", "frequentie"), [("14", "2"), ("83", "4"), ("84", "6"), ("04", "1"), ("01", "1")]
)
def test_cs338_passes_fitting_frequencies(eenheid: str, frequentie: str) -> None:
    root = message("wmo301", _301(_product(einddatum=True, omvang=_omvang(eenheid, frequentie))))
    assert of(run(root, "WMO301"), "CS338") == []


def test_cs338_reads_the_omvang_of_a_315() -> None:
    body = (
        "<Client><AangevraagdeProducten><AangevraagdProduct>"
        f"{_omvang('16', '1')}</AangevraagdProduct></AangevraagdeProducten></Client>"
    )
    (finding,) = of(run(message("wmo315", body), "WMO315"), "CS338")
    assert finding.location == (
        "/Bericht/Client/AangevraagdeProducten/AangevraagdProduct/Omvang/Frequentie"
    )
