"""Name rules of the 301: CS050 (NaamGebruik fits the Partnernaam), CS318 (no 6 for a client)."""

from __future__ import annotations

import pytest

from hub.domain.findings import Level

from ._m301 import bericht301, kind, naam, relatie
from ._xml import of, run


@pytest.mark.parametrize(
    ("gebruik", "partner"), [("5", True), ("6", True), ("2", False), ("5", False)]
)
def test_cs050_flags_a_naamgebruik_that_does_not_fit(gebruik: str, partner: bool) -> None:
    root = bericht301(naam_xml=naam(gebruik, partner=partner))
    (finding,) = of(run(root, "WMO301"), "CS050")
    assert (finding.rule, finding.retourcode, finding.level) == ("CS050", "0001", Level.XSLT)
    assert finding.location == "/Bericht/Client/Naam/NaamGebruik"
    assert "Berg" not in finding.sentence
    assert "Dijk" not in finding.sentence


@pytest.mark.parametrize(
    ("gebruik", "partner"),
    [("1", True), ("2", True), ("3", True), ("4", True), ("1", False), ("6", False)],
)
def test_cs050_passes_a_fitting_naamgebruik(gebruik: str, partner: bool) -> None:
    root = bericht301(relaties=(relatie(naam_xml=naam(gebruik, partner=partner)),))
    assert of(run(root, "WMO301"), "CS050") == []


def test_cs050_checks_a_relatie_name_in_ijw() -> None:
    root = bericht301(relaties=(relatie(naam_xml=naam("3")),), standard="ijw")
    (finding,) = of(run(root, kind("ijw")), "CS050")
    assert finding.location == "/Bericht/Client/Relaties/Relatie/Naam/NaamGebruik"


def test_cs318_flags_a_client_as_niet_natuurlijk_persoon() -> None:
    root = bericht301(naam_xml=naam("6"))
    (finding,) = of(run(root, "WMO301"), "CS318")
    assert (finding.retourcode, finding.level) == ("0001", Level.XSLT)
    assert finding.location == "/Bericht/Client/Naam/NaamGebruik"
    assert "Berg" not in finding.sentence


def test_cs318_allows_a_relatie_as_niet_natuurlijk_persoon() -> None:
    root = bericht301(relaties=(relatie(naam_xml=naam("6")),), standard="ijw")
    findings = run(root, kind("ijw"))
    assert of(findings, "CS318") == []
    assert of(findings, "CS050") == []
