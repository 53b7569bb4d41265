"""TR134: dates of the past may not lie after the message's Dagtekening."""

from __future__ import annotations

from hub.domain.findings import Level

from ._m301 import bericht301, geboortedatum, relatie
from ._xml import client, message, of, run, start, stop


def test_tr134_flags_a_future_begindatum_in_a_305() -> None:
    body = client(start("2025-04-01"), start("2025-04-06"), container="StartProducten")
    (finding,) = of(run(message("wmo305", body, dagtekening="2025-04-05"), "WMO305"), "TR134")
    assert finding.retourcode == "0001"
    assert finding.location == "/Bericht/Client/StartProducten/StartProduct[2]/Begindatum"


def test_tr134_passes_a_begindatum_on_the_dagtekening() -> None:
    body = client(start("2025-04-05"), container="StartProducten")
    assert of(run(message("wmo305", body, dagtekening="2025-04-05"), "WMO305"), "TR134") == []


def test_tr134_flags_a_future_einddatum_in_a_307() -> None:
    body = client(stop("2025-01-01", "2025-04-06"), container="StopProducten")
    (finding,) = of(run(message("jw307", body, standard="ijw"), "JW307"), "TR134")
    assert finding.location == "/Bericht/Client/StopProducten/StopProduct/Einddatum"


def test_tr134_flags_a_future_birth_date_without_quoting_it() -> None:
    body = client(start(), birth="2025-04-06", container="StartProducten")
    (finding,) = of(run(message("wmo305", body), "WMO305"), "TR134")
    assert finding.location == "/Bericht/Client/Geboortedatum/Datum"
    assert "2025-04-06" not in finding.sentence


def test_tr134_flags_a_future_toewijzingsdatum_in_a_301() -> None:
    product = (
        "<ToegewezenProduct><ToewijzingNummer>1</ToewijzingNummer>"
        "<Toewijzingsdatum>2025-04-09</Toewijzingsdatum><Toewijzingstijd>10:00:00</Toewijzingstijd>"
        "<Ingangsdatum>2025-05-01</Ingangsdatum></ToegewezenProduct>"
    )
    body = (
        f"<Client><Bsn>174285917</Bsn><ToegewezenProducten>{product}</ToegewezenProducten></Client>"
    )
    (finding,) = of(run(message("wmo301", body), "WMO301"), "TR134")
    assert finding.location == (
        "/Bericht/Client/ToegewezenProducten/ToegewezenProduct/Toewijzingsdatum"
    )


def test_tr134_ignores_a_future_ingangsdatum_in_a_301() -> None:
    product = (
        "<ToegewezenProduct><Toewijzingsdatum>2025-04-01</Toewijzingsdatum>"
        "<Ingangsdatum>2025-09-01</Ingangsdatum></ToegewezenProduct>"
    )
    body = f"<Client><ToegewezenProducten>{product}</ToegewezenProducten></Client>"
    assert of(run(message("wmo301", body), "WMO301"), "TR134") == []


def test_tr134_checks_the_declaratieperiode_begindatum_in_a_323() -> None:
    body = (
        "<Declaratie><DeclaratiePeriode><b:Begindatum>2025-05-01</b:Begindatum>"
        "<b:Einddatum>2025-05-31</b:Einddatum></DeclaratiePeriode></Declaratie>"
    )
    (finding,) = of(run(message("wmo323", body, dagtekening="2025-04-30"), "WMO323"), "TR134")
    assert finding.location == "/Bericht/Declaratie/DeclaratiePeriode/Begindatum"
    ok = message("wmo323", body, dagtekening="2025-05-01")
    assert of(run(ok, "WMO323"), "TR134") == []


def _prestatie(begin: str, end: str) -> str:
    return (
        "<Prestatie><ProductReferentie><b:ReferentieNummer>P1</b:ReferentieNummer>"
        "</ProductReferentie><ProductPeriode>"
        f"<b:Begindatum>{begin}</b:Begindatum><b:Einddatum>{end}</b:Einddatum>"
        "</ProductPeriode></Prestatie>"
    )


def _declaratie(*prestaties: str, root: str = "Declaratie") -> str:
    return (
        f"<{root}><Clienten><Client><Bsn>174285917</Bsn>"
        f"<Prestaties>{''.join(prestaties)}</Prestaties></Client></Clienten></{root}>"
    )


def test_tr134_flags_a_future_productperiode_begindatum_in_a_323() -> None:
    body = _declaratie(
        _prestatie("2025-04-01", "2025-04-30"), _prestatie("2025-05-02", "2025-05-31")
    )
    root = message("jw323", body, standard="ijw", dagtekening="2025-05-01")
    (finding,) = of(run(root, "JW323"), "TR134")
    assert (finding.retourcode, finding.level) == ("0001", Level.XSLT)
    assert finding.location == (
        "/Bericht/Declaratie/Clienten/Client/Prestaties/Prestatie[2]/ProductPeriode/Begindatum"
    )
    assert "2025-05-02" in finding.sentence  # a date of care, not personal data


def test_tr134_flags_a_future_productperiode_begindatum_in_a_325() -> None:
    body = _declaratie(_prestatie("2025-06-01", "2025-06-30"), root="DeclaratieAntwoord")
    root = message("wmo325", body, dagtekening="2025-05-16")
    (finding,) = of(run(root, "WMO325"), "TR134")
    assert finding.location.endswith("/Prestatie/ProductPeriode/Begindatum")


def test_tr134_passes_a_productperiode_begindatum_on_the_dagtekening_in_a_325() -> None:
    body = _declaratie(_prestatie("2025-05-16", "2025-05-31"), root="DeclaratieAntwoord")
    root = message("jw325", body, standard="ijw", dagtekening="2025-05-16")
    assert of(run(root, "JW325"), "TR134") == []


def test_tr134_flags_a_future_relatie_birth_date_in_a_301() -> None:
    root = bericht301(relaties=(relatie(birth=geboortedatum("2025-03-25")),))
    (finding,) = of(run(root, "WMO301"), "TR134")
    assert finding.location == "/Bericht/Client/Relaties/Relatie/Geboortedatum/Datum"
    assert "2025-03-25" not in finding.sentence
