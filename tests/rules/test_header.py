"""CS025 / CS015: fixed BerichtVersie and BerichtSubversie; TR135: Dagtekening ≤ system date."""

from __future__ import annotations

from datetime import date

from hub.domain.findings import Level

from ._xml import client, message, of, run, start

BODY = client(start(), container="StartProducten")


def test_cs025_flags_a_wrong_berichtversie() -> None:
    (finding,) = of(run(message("wmo305", BODY, versie="2")), "CS025")
    assert (finding.retourcode, finding.level) == ("0001", Level.XSLT)
    assert finding.location == "/Bericht/Header/BerichtVersie"
    assert "must be 3" in finding.sentence


def test_cs015_flags_a_wrong_berichtsubversie() -> None:
    (finding,) = of(run(message("jw305", BODY, standard="ijw", subversie="1")), "CS015")
    assert finding.retourcode == "0001"
    assert finding.location == "/Bericht/Header/BerichtSubversie"


def test_versions_that_fit_the_release_pass() -> None:
    findings = run(message("wmo305", BODY))
    assert of(findings, "CS025") == of(findings, "CS015") == []


def test_integer_lexical_forms_count_as_the_same_number() -> None:
    findings = run(message("wmo305", BODY, versie="03", subversie=" 2 "))
    assert of(findings, "CS025") == of(findings, "CS015") == []


def test_expected_versions_follow_the_release_in_the_namespace() -> None:
    root = message("wmo305", BODY, release="3_1", subversie="1")
    assert of(run(root, "WMO305"), "CS015") == []
    root = message("wmo305", BODY, release="3_1", subversie="2")
    assert len(of(run(root, "WMO305"), "CS015")) == 1


def test_tr135_flags_a_dagtekening_after_today() -> None:
    root = message("wmo305", BODY, dagtekening="2025-05-02")
    (finding,) = of(run(root, "WMO305", today=date(2025, 5, 1)), "TR135")
    assert finding.retourcode == "8848"
    assert finding.level is Level.EXTERNAL
    assert finding.location == "/Bericht/Header/BerichtIdentificatie/Dagtekening"


def test_tr135_passes_a_dagtekening_of_today() -> None:
    root = message("wmo305", BODY, dagtekening="2025-05-01")
    assert of(run(root, "WMO305", today=date(2025, 5, 1)), "TR135") == []


def test_tr135_checks_the_dagtekening_retour_of_a_retour() -> None:
    extra = (
        "<IdentificatieRetour>R1</IdentificatieRetour>"
        "<DagtekeningRetour>2025-06-01</DagtekeningRetour>"
    )
    root = message("wmo306", "", header_extra=extra)
    (finding,) = of(run(root, "WMO306", today=date(2025, 5, 1)), "TR135")
    assert finding.location == "/Bericht/Header/DagtekeningRetour"
    assert finding.retourcode == "8848"


def test_tr135_applies_to_ieb_as_well() -> None:
    root = message("wmo405", "", standard="ieb", release="4_0", dagtekening="2026-01-01")
    assert len(of(run(root, "WMO405"), "TR135")) == 1
