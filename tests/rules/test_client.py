"""TR002: a known birth date lies at most 120 years before the Dagtekening."""

from __future__ import annotations

from datetime import date

from hub.rules.client import years_before

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
