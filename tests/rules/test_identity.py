"""CS002: every Bsn passes the 11-proef."""

from __future__ import annotations

import pytest

from hub.domain.findings import Level
from hub.domain.rules.identity import passes_elfproef

from ._xml import OTHER_VALID_BSN, VALID_BSN, client, message, of, run, start


@pytest.mark.parametrize("bsn", [VALID_BSN, OTHER_VALID_BSN, "111222333", "123456782"])
def test_valid_bsns_pass(bsn: str) -> None:
    assert passes_elfproef(bsn)


@pytest.mark.parametrize(
    "bsn", ["123456789", "174285918", "12345678", "1234567890", "12345678a", "", None]
)
def test_invalid_bsns_fail(bsn: str | None) -> None:
    assert not passes_elfproef(bsn)


def test_cs002_flags_a_bad_bsn_in_a_305() -> None:
    root = message("wmo305", client(start(), bsn="123456789", container="StartProducten"))
    (finding,) = of(run(root, "WMO305"), "CS002")
    assert finding.retourcode == "0001"
    assert finding.level is Level.XSLT
    assert finding.location == "/Bericht/Client/Bsn"
    assert "123456789" not in finding.sentence  # personal data stays out of sentences


def test_cs002_passes_a_good_bsn() -> None:
    root = message("wmo305", client(start(), container="StartProducten"))
    assert of(run(root, "WMO305"), "CS002") == []


def _declaratie(*bsns: str) -> str:
    clients = "".join(f"<Client><Bsn>{bsn}</Bsn><Prestaties/></Client>" for bsn in bsns)
    return (
        "<Declaratie><TotaalIngediendBedrag><b:TotaalBedrag>0</b:TotaalBedrag>"
        f"<b:DebetCredit>D</b:DebetCredit></TotaalIngediendBedrag><Clienten>{clients}</Clienten>"
        "</Declaratie>"
    )


def test_cs002_checks_every_bsn_of_a_declaratie() -> None:
    root = message("jw323", _declaratie(VALID_BSN, "123456789", OTHER_VALID_BSN), standard="ijw")
    findings = of(run(root, "JW323"), "CS002")
    assert [f.location for f in findings] == ["/Bericht/Declaratie/Clienten/Client[2]/Bsn"]


def test_cs002_passes_a_declaratie_of_good_bsns() -> None:
    root = message("wmo323", _declaratie(VALID_BSN, OTHER_VALID_BSN))
    assert of(run(root, "WMO323"), "CS002") == []
