"""Client rules: TR002 (birth date at most 120 years back), CS139 (placeholders), CD007 (Taal)."""

from __future__ import annotations

from datetime import date

import pytest

from hub.domain.findings import Level
from hub.domain.rules.client import years_before

from ._m301 import bericht301, geboortedatum, relatie
from ._xml import client, message, of, run, start


def _body(birth: str, gebruik: str | None = None) -> str:
    body = client(start(), birth=birth, container="StartProducten")
    if gebruik:
        body = body.replace(
            "</Geboortedatum>", f"<b:DatumGebruik>{gebruik}</b:DatumGebruik></Geboortedatum>"
        )
    return body


def test_tr002_flags_a_birth_date_over_120_years_back() -> None:
    root = message("wmo305", _body("1905-04-04"), dagtekening="2025-04-05")
    (finding,) = of(run(root, "WMO305"), "TR002")
    assert finding.retourcode == "0001"
    assert finding.location == "/Bericht/Client/Geboortedatum/Datum"
    assert "1905" not in finding.sentence


def test_tr002_passes_exactly_120_years() -> None:
    root = message("wmo305", _body("1905-04-05"), dagtekening="2025-04-05")
    assert of(run(root, "WMO305"), "TR002") == []


def test_tr002_skips_an_unknown_birth_date() -> None:
    root = message("jw315", _body("1900-01-01", gebruik="3"), standard="ijw")
    assert of(run(root, "JW315"), "TR002") == []


def test_tr002_still_checks_a_partly_unknown_birth_date() -> None:
    root = message("wmo307", _body("1900-01-01", gebruik="1"))
    assert len(of(run(root, "WMO307"), "TR002")) == 1


def test_years_before_handles_leap_days() -> None:
    assert years_before(date(2024, 2, 29), 120) == date(1904, 2, 29)
    assert years_before(date(2024, 2, 29), 1) == date(2023, 2, 28)


def _no_birth_date_in(sentence: str, *dates: str) -> bool:
    return not any(d in sentence or d[:4] in sentence for d in dates)


def test_tr002_flags_a_relatie_birth_date_in_a_301() -> None:
    old = geboortedatum("1900-02-01")
    root = bericht301(relaties=(relatie(), relatie("2", birth=old)), dagtekening="2025-03-24")
    (finding,) = of(run(root, "WMO301"), "TR002")
    assert (finding.retourcode, finding.level) == ("0001", Level.XSLT)
    assert finding.location == "/Bericht/Client/Relaties/Relatie[2]/Geboortedatum/Datum"
    assert _no_birth_date_in(finding.sentence, "1900-02-01")


def test_tr002_skips_an_unknown_relatie_birth_date() -> None:
    unknown = geboortedatum("1900-01-01", "3")
    root = bericht301(relaties=(relatie(birth=unknown),), standard="ijw")
    assert of(run(root, "JW301"), "TR002") == []


@pytest.mark.parametrize(
    ("datum", "gebruik"),
    [("1950-03-14", "1"), ("1950-03-01", "2"), ("1950-01-01", "3"), ("1901-01-01", "3")],
)
def test_cs139_flags_a_date_without_the_announced_placeholder(datum: str, gebruik: str) -> None:
    root = message("wmo305", _body(datum, gebruik), dagtekening="2025-04-05")
    (finding,) = of(run(root, "WMO305"), "CS139")
    assert (finding.rule, finding.retourcode, finding.level) == ("CS139", "0001", Level.XSLT)
    assert finding.location == "/Bericht/Client/Geboortedatum/Datum"
    assert _no_birth_date_in(finding.sentence, datum)


@pytest.mark.parametrize(
    ("datum", "gebruik"),
    [("1950-03-01", "1"), ("1950-01-01", "2"), ("1900-01-01", "3"), ("1950-03-14", None)],
)
def test_cs139_passes_the_announced_placeholder(datum: str, gebruik: str | None) -> None:
    root = message("jw307", _body(datum, gebruik), standard="ijw")
    assert of(run(root, "JW307"), "CS139") == []


def test_cs139_checks_a_relatie_birth_date_in_a_301() -> None:
    root = bericht301(relaties=(relatie(birth=geboortedatum("1960-05-05", "2")),))
    (finding,) = of(run(root, "WMO301"), "CS139")
    assert finding.location == "/Bericht/Client/Relaties/Relatie/Geboortedatum/Datum"


def _communicatie(vorm: str, taal: str | None) -> str:
    extra = f"<b:Taal>{taal}</b:Taal>" if taal else ""
    return f"<Communicatie><b:Vorm>{vorm}</b:Vorm>{extra}</Communicatie>"


def test_cd007_flags_a_tolk_taal_without_taal() -> None:
    root = bericht301(communicatie=_communicatie("1", None))
    (finding,) = of(run(root, "WMO301"), "CD007")
    assert (finding.retourcode, finding.level) == ("0001", Level.XSLT)
    assert finding.location == "/Bericht/Client/Communicatie"


def test_cd007_flags_a_taal_with_another_vorm() -> None:
    root = bericht301(communicatie=_communicatie("2", "Pools"), standard="ijw")
    (finding,) = of(run(root, "JW301"), "CD007")
    assert finding.location == "/Bericht/Client/Communicatie"
    assert "Pools" not in finding.sentence


@pytest.mark.parametrize(("vorm", "taal"), [("1", "Pools"), ("2", None), ("3", None)])
def test_cd007_passes_a_matching_taal(vorm: str, taal: str | None) -> None:
    root = bericht301(communicatie=_communicatie(vorm, taal))
    assert of(run(root, "WMO301"), "CD007") == []
