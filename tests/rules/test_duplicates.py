"""TR101 on the messages beyond 305/307: duplicate lines by the logical keys of rules.md §0."""

from __future__ import annotations

import pytest

from hub.domain.findings import Finding, Level

from ._m301 import bericht301, contact, kind, relatie, toegewezen
from ._xml import OTHER_VALID_BSN, VALID_BSN, message, of, run


def _one(findings: tuple[Finding, ...]) -> Finding:
    (finding,) = of(findings, "TR101")
    assert (finding.rule, finding.retourcode, finding.level) == ("TR101", "0001", Level.XSLT)
    assert VALID_BSN not in finding.sentence
    return finding


def test_tr101_flags_two_relaties_with_one_nummer() -> None:
    root = bericht301(relaties=(relatie("7"), relatie("8"), relatie("7")))
    finding = _one(run(root, "WMO301"))
    assert finding.location == "/Bericht/Client/Relaties/Relatie[3]"
    assert "Relatie[1]" in finding.sentence


def test_tr101_flags_two_client_contacts_of_one_soort() -> None:
    root = bericht301(contacts=(contact("01"), contact("01", telefoon=True)), standard="ijw")
    finding = _one(run(root, kind("ijw")))
    assert finding.location == "/Bericht/Client/Contactgegevens/Contact[2]"


def test_tr101_passes_relatie_contacts_of_the_clients_soort() -> None:
    # Each Relatie has its own single Contact: the parent is part of the key.
    relaties = (relatie("1", contact_xml=contact("01")), relatie("2", contact_xml=contact("01")))
    root = bericht301(contacts=(contact("01"),), relaties=relaties)
    assert of(run(root, "WMO301"), "TR101") == []


def test_tr101_compares_toegewezen_toewijzingnummers_as_numbers() -> None:
    products = (toegewezen("300201"), toegewezen("0300201", "2026-01-01", None))
    finding = _one(run(bericht301(products=products), "WMO301"))
    assert finding.location == "/Bericht/Client/ToegewezenProducten/ToegewezenProduct[2]"


def test_tr101_passes_distinct_toewijzingnummers() -> None:
    products = (toegewezen("1"), toegewezen("2", "2026-01-01", None))
    assert of(run(bericht301(products=products), "WMO301"), "TR101") == []


def _aangevraagd(referentie: str) -> str:
    return (
        f"<AangevraagdProduct><ReferentieAanbieder>{referentie}</ReferentieAanbieder>"
        "<ToewijzingIngangsdatum>2025-05-01</ToewijzingIngangsdatum></AangevraagdProduct>"
    )


def _315(*lines: str, standard: str = "iwmo") -> tuple[Finding, ...]:
    body = (
        f"<Client><Bsn>{VALID_BSN}</Bsn>"
        f"<AangevraagdeProducten>{''.join(lines)}</AangevraagdeProducten></Client>"
    )
    segment = "wmo315" if standard == "iwmo" else "jw315"
    return run(message(segment, body, standard=standard))


def test_tr101_flags_a_repeated_referentieaanbieder_in_a_315() -> None:
    finding = _one(_315(_aangevraagd("R1"), _aangevraagd("R1"), standard="ijw"))
    assert finding.location == "/Bericht/Client/AangevraagdeProducten/AangevraagdProduct[2]"


def test_tr101_passes_distinct_referenties_in_a_315() -> None:
    assert of(_315(_aangevraagd("R1"), _aangevraagd("R2")), "TR101") == []


def _317(ongewijzigd: tuple[str, ...] = (), tewijzigen: tuple[str, ...] = (),
         nieuw: int = 0) -> tuple[Finding, ...]:  # fmt: skip
    def nummers(line: str, items: tuple[str, ...], extra: str = "") -> str:
        return "".join(
            f"<{line}><ToewijzingNummer>{n}</ToewijzingNummer>{extra}</{line}>" for n in items
        )

    nieuwe = "<NieuwProduct><Product><b:Categorie>02</b:Categorie></Product>"
    nieuwe += "<GewensteIngangsdatum>2025-06-01</GewensteIngangsdatum></NieuwProduct>"
    body = (
        f"<Client><Bsn>{VALID_BSN}</Bsn><Verzoek><ReferentieAanbieder>V1</ReferentieAanbieder>"
        "<RedenVerzoek>1</RedenVerzoek>"
        + (
            f"<OngewijzigdeProducten>{nummers('OngewijzigdProduct', ongewijzigd)}"
            "</OngewijzigdeProducten>"
            if ongewijzigd
            else ""
        )
        + (
            "<TeWijzigenProducten>"
            + nummers(
                "TeWijzigenProduct",
                tewijzigen,
                "<GewensteIngangsdatum>2025-06-01</GewensteIngangsdatum>",
            )
            + "</TeWijzigenProducten>"
            if tewijzigen
            else ""
        )
        + (f"<NieuweProducten>{nieuwe * nieuw}</NieuweProducten>" if nieuw else "")
        + "</Verzoek></Client>"
    )
    return run(message("wmo317", body, dagtekening="2025-05-01"))


def test_tr101_flags_a_repeated_ongewijzigdproduct_as_a_number() -> None:
    finding = _one(_317(ongewijzigd=("12", "012")))
    assert finding.location == (
        "/Bericht/Client/Verzoek/OngewijzigdeProducten/OngewijzigdProduct[2]"
    )


def test_tr101_flags_a_repeated_tewijzigenproduct() -> None:
    finding = _one(_317(tewijzigen=("12", "13", "12")))
    assert finding.location.endswith("/TeWijzigenProducten/TeWijzigenProduct[3]")


def test_tr101_passes_one_number_in_two_different_classes() -> None:
    # Different parents: TR101 compares instances under the same parent only.
    assert of(_317(ongewijzigd=("12",), tewijzigen=("12",)), "TR101") == []


def test_tr101_does_not_compare_nieuwproducten() -> None:
    # Reading: NieuwProduct has no published key; two identical ones may be meant (rules.md §0).
    assert of(_317(ongewijzigd=("12",), nieuw=2), "TR101") == []


def _prestatie(referentie: str) -> str:
    return (
        "<Prestatie><ProductReferentie>"
        f"<b:ReferentieNummer>{referentie}</b:ReferentieNummer></ProductReferentie>"
        "<ToewijzingNummer>1</ToewijzingNummer></Prestatie>"
    )


def _client(bsn: str, *referenties: str) -> str:
    prestaties = "".join(_prestatie(r) for r in referenties)
    return f"<Client><Bsn>{bsn}</Bsn><Prestaties>{prestaties}</Prestaties></Client>"


@pytest.mark.parametrize(
    ("segment", "root_class", "kind_name"),
    [("wmo323", "Declaratie", "WMO323"), ("jw325", "DeclaratieAntwoord", "JW325")],
)
def test_tr101_flags_a_repeated_client_bsn(segment: str, root_class: str, kind_name: str) -> None:
    clients = _client(VALID_BSN, "P1") + _client(OTHER_VALID_BSN, "P2") + _client(VALID_BSN, "P3")
    body = f"<{root_class}><Clienten>{clients}</Clienten></{root_class}>"
    standard = "iwmo" if segment.startswith("wmo") else "ijw"
    finding = _one(run(message(segment, body, standard=standard), kind_name))
    assert finding.location == f"/Bericht/{root_class}/Clienten/Client[3]"
    assert OTHER_VALID_BSN not in finding.sentence


def test_tr101_flags_a_repeated_referentienummer_under_one_client() -> None:
    body = f"<Declaratie><Clienten>{_client(VALID_BSN, 'P1', 'P2', 'P1')}</Clienten></Declaratie>"
    finding = _one(run(message("wmo323", body), "WMO323"))
    assert finding.location == "/Bericht/Declaratie/Clienten/Client/Prestaties/Prestatie[3]"
    assert "Prestatie[1]" in finding.sentence


def test_tr101_passes_one_referentienummer_under_two_clients() -> None:
    # Across clients it is TR314's (history) concern: the parent is part of TR101's key.
    clients = _client(VALID_BSN, "P1") + _client(OTHER_VALID_BSN, "P1")
    body = f"<Declaratie><Clienten>{clients}</Clienten></Declaratie>"
    assert of(run(message("jw323", body, standard="ijw"), "JW323"), "TR101") == []
