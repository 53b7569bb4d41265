"""Toewijzing rules of the 301: TR302 (no overlapping same products), CS335 and CS336."""

from __future__ import annotations

import pytest

from hub.domain.findings import Finding, Level

from ._m301 import bericht301, kind, toegewezen
from ._xml import VALID_BSN, of, run


def _run(*products: str, standard: str = "iwmo") -> tuple[Finding, ...]:
    return run(bericht301(products=products, standard=standard), kind(standard))


def _one(findings: tuple[Finding, ...], rule: str) -> Finding:
    (finding,) = of(findings, rule)
    assert (finding.rule, finding.retourcode, finding.level) == (rule, "0001", Level.XSLT)
    assert VALID_BSN not in finding.sentence
    assert "1950" not in finding.sentence  # the client's birth year
    return finding


def test_tr302_flags_the_same_product_in_overlapping_periods() -> None:
    findings = _run(
        toegewezen("1", "2025-01-01", "2025-06-30"),
        toegewezen("2", "2025-06-30", None),
    )
    finding = _one(findings, "TR302")
    assert finding.location == "/Bericht/Client/ToegewezenProducten/ToegewezenProduct[2]"
    assert "ToegewezenProduct[1]" in finding.sentence


def test_tr302_passes_consecutive_periods() -> None:
    findings = _run(
        toegewezen("1", "2025-01-01", "2025-06-30"),
        toegewezen("2", "2025-07-01", None),
    )
    assert of(findings, "TR302") == []


def test_tr302_passes_other_products() -> None:
    findings = _run(toegewezen("1", code="02A04"), toegewezen("2", code="02A05"))
    assert of(findings, "TR302") == []


def test_tr302_compares_on_categorie_when_a_code_is_missing() -> None:
    findings = _run(toegewezen("1", code=None), toegewezen("2", code="02A05"))
    assert len(of(findings, "TR302")) == 1


def test_tr302_a_generic_toewijzing_clashes_with_every_product() -> None:
    findings = _run(toegewezen("1", categorie="05", code="05A01"), toegewezen("2", categorie=None))
    assert len(of(findings, "TR302")) == 1


def test_tr302_leaves_a_deleted_toewijzing_out() -> None:
    deleted = toegewezen("1", "2025-04-01", "2025-04-01", reden="13")
    findings = _run(deleted, toegewezen("2", "2025-04-01", None))
    assert of(findings, "TR302") == []


def test_tr302_exempts_iwmo_hulpmiddelen_even_against_a_generic_line() -> None:
    findings = _run(
        toegewezen("1", categorie="12", code="12A01"),
        toegewezen("2", categorie="12", code="12A01"),
        toegewezen("3", categorie=None),
    )
    assert of(findings, "TR302") == []


def test_tr302_has_no_exemption_in_ijw() -> None:
    findings = _run(
        toegewezen("1", categorie="12", code="12A01"),
        toegewezen("2", categorie="12", code="12A01"),
        standard="ijw",
    )
    assert _one(findings, "TR302").location.endswith("ToegewezenProduct[2]")


def test_cs335_flags_verwijderd_with_another_einddatum() -> None:
    finding = _one(_run(toegewezen(end="2025-12-31", reden="13")), "CS335")
    assert finding.location == (
        "/Bericht/Client/ToegewezenProducten/ToegewezenProduct/RedenWijziging"
    )


def test_cs335_flags_verwijderd_without_einddatum() -> None:
    assert len(of(_run(toegewezen(end=None, reden="13"), standard="ijw"), "CS335")) == 1


def test_cs335_passes_verwijderd_with_einddatum_on_ingangsdatum() -> None:
    assert of(_run(toegewezen("1", "2025-04-01", "2025-04-01", reden="13")), "CS335") == []


@pytest.mark.parametrize("standard", ["iwmo", "ijw"])
def test_cs336_flags_reden_01_on_a_current_toewijzing(standard: str) -> None:
    finding = _one(_run(toegewezen(reden="01"), standard=standard), "CS336")
    assert finding.location.endswith("/ToegewezenProduct/RedenWijziging")


def test_cs336_passes_reden_01_on_a_toewijzing_from_before_release_3() -> None:
    old = toegewezen("1", "2020-01-01", None, reden="01", toewijzingsdatum="2020-12-31")
    assert of(_run(old), "CS336") == []


def test_cs336_passes_other_reasons() -> None:
    assert of(_run(toegewezen(reden="14")), "CS336") == []
