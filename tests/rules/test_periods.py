"""CS003: an end date, when filled, is not before its start date (301, 315, 317)."""

from __future__ import annotations

from hub.domain.rules import periods as family
from hub.domain.rules.base import names

from ._lines import (
    aangevraagd,
    assert_finding,
    contact,
    msg301,
    msg315,
    msg317,
    nieuw,
    te_wijzigen,
    toegewezen,
)
from ._xml import of, run

TP = "/Bericht/Client/ToegewezenProducten/ToegewezenProduct"


def _periode(begin: str | None, end: str | None) -> str:
    return (
        "<Periode>"
        + (f"<b:Begindatum>{begin}</b:Begindatum>" if begin else "")
        + (f"<b:Einddatum>{end}</b:Einddatum>" if end else "")
        + "</Periode>"
    )


def test_cs003_runs_on_301_315_and_317() -> None:
    assert family.CS003.messages == names(301, 315, 317)


def test_cs003_flags_a_301_einddatum_before_ingangsdatum() -> None:
    root = msg301(toegewezen("1"), toegewezen("2", ingang="2025-04-01", eind="2025-03-31"))
    (finding,) = of(run(root), "CS003")
    assert_finding(finding, TP + "[2]/Einddatum")
    assert "2025-03-31" in finding.sentence
    assert "Ingangsdatum 2025-04-01" in finding.sentence


def test_cs003_passes_a_301_one_day_toewijzing() -> None:
    root = msg301(toegewezen(ingang="2025-04-01", eind="2025-04-01"), standard="ijw")
    assert of(run(root), "CS003") == []


def test_cs003_flags_a_jw301_contact_periode_ending_before_it_begins() -> None:
    periode = _periode("2025-03-01", "2025-02-01")
    root = msg301(
        toegewezen(), standard="ijw", contacts=contact("01") + contact("04", periode=periode)
    )
    (finding,) = of(run(root), "CS003")
    assert_finding(finding, "/Bericht/Client/Contactgegevens/Contact[2]/Periode/Einddatum")
    # When someone lived somewhere is personal: the sentence names elements, not dates.
    assert "2025" not in finding.sentence


def test_cs003_passes_a_contact_periode_without_begindatum_or_in_order() -> None:
    contacts = (
        contact("01")
        + contact("04", periode=_periode(None, "2025-02-01"))
        + contact("04", periode=_periode("2025-01-01", "2025-02-01"))
    )
    assert of(run(msg301(toegewezen(), contacts=contacts)), "CS003") == []


def test_cs003_flags_a_315_toewijzing_einddatum_before_its_ingangsdatum() -> None:
    root = msg315(aangevraagd(ingang="2025-05-01", eind="2025-04-30"))
    (finding,) = of(run(root), "CS003")
    assert_finding(
        finding, "/Bericht/Client/AangevraagdeProducten/AangevraagdProduct/ToewijzingEinddatum"
    )


def test_cs003_passes_a_jw315_open_and_an_ordered_line() -> None:
    root = msg315(
        aangevraagd("A"), aangevraagd("B", ingang="2025-05-01", eind="2025-06-01"), standard="ijw"
    )
    assert of(run(root), "CS003") == []


def test_cs003_flags_317_te_wijzigen_and_nieuw_ending_before_gewenste_ingangsdatum() -> None:
    root = msg317(
        wijzigen=(te_wijzigen(ingang="2025-06-01", eind="2025-05-31"),),
        nieuwe=(nieuw(ingang="2025-06-01", eind="2025-05-01"),),
        standard="ijw",
    )
    found = of(run(root), "CS003")
    assert [f.location for f in found] == [
        "/Bericht/Client/Verzoek/TeWijzigenProducten/TeWijzigenProduct/Einddatum",
        "/Bericht/Client/Verzoek/NieuweProducten/NieuwProduct/Einddatum",
    ]
    for finding in found:
        assert_finding(finding, finding.location)


def test_cs003_passes_a_317_with_ordered_periods() -> None:
    root = msg317(
        wijzigen=(te_wijzigen(ingang="2025-06-01", eind="2025-06-01"),),
        nieuwe=(nieuw(ingang="2025-06-01", eind="2025-12-31"),),
    )
    assert of(run(root), "CS003") == []
