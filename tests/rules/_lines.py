"""Builds the product lines of 301, 315 and 317 (and whole messages around them) for rule tests."""

from __future__ import annotations

from lxml import etree

from hub.domain.findings import Finding, Level

from ._xml import VALID_BSN, message

BIRTH = "1950-01-01"
SURNAME = "Berg"
# The default product of each standard: iWmo category 02 (begeleiding), iJw 45 (jeugdhulp).
PRODUCT = {"iwmo": ("02", "02A04"), "ijw": ("45", "45A48")}


def product(categorie: str = "02", code: str | None = "02A04") -> str:
    return f"<Product><b:Categorie>{categorie}</b:Categorie>" + (
        f"<b:Code>{code}</b:Code></Product>" if code else "</Product>"
    )


def omvang(eenheid: str = "04", frequentie: str = "4", volume: str = "8") -> str:
    return (
        f"<Omvang><b:Volume>{volume}</b:Volume><b:Eenheid>{eenheid}</b:Eenheid>"
        f"<b:Frequentie>{frequentie}</b:Frequentie></Omvang>"
    )


def _opt(name: str, value: str | None) -> str:
    return f"<{name}>{value}</{name}>" if value is not None else ""


def toegewezen(
    nummer: str = "1",
    *,
    product_xml: str | None = None,
    ingang: str = "2025-04-01",
    eind: str | None = None,
    reden: str | None = None,
    omvang_xml: str | None = None,
    budget: str | None = None,
) -> str:
    """A ToegewezenProduct; `product_xml`/`omvang_xml` default to a product with a volume."""
    return (
        f"<ToegewezenProduct><ToewijzingNummer>{nummer}</ToewijzingNummer>"
        + (product() if product_xml is None else product_xml)
        + "<Toewijzingsdatum>2025-04-01</Toewijzingsdatum>"
        + "<Toewijzingstijd>10:00:00</Toewijzingstijd>"
        + f"<Ingangsdatum>{ingang}</Ingangsdatum>"
        + _opt("Einddatum", eind)
        + _opt("RedenWijziging", reden)
        + (omvang() if omvang_xml is None else omvang_xml)
        + _opt("Budget", budget)
        + "</ToegewezenProduct>"
    )


def verwijzer(
    soort: str = "01", *, naam: str | None = None, zorgverlener: str | None = None
) -> str:
    return (
        f"<Verwijzer><b:Type>{soort}</b:Type>"
        + (f"<b:Naam>{naam}</b:Naam>" if naam is not None else "")
        + (f"<b:ZorgverlenerCode>{zorgverlener}</b:ZorgverlenerCode>" if zorgverlener else "")
        + "</Verwijzer>"
    )


def aangevraagd(
    referentie: str = "REF-1",
    *,
    beschikking: str | None = None,
    beschikking_ingang: str | None = None,
    product_xml: str | None = None,
    ingang: str = "2025-05-01",
    eind: str | None = None,
    omvang_xml: str | None = None,
    budget: str | None = None,
    verwijzer_xml: str | None = None,
) -> str:
    """An AangevraagdProduct; `product_xml`/`omvang_xml` default to a product with a volume."""
    return (
        f"<AangevraagdProduct><ReferentieAanbieder>{referentie}</ReferentieAanbieder>"
        + _opt("BeschikkingNummer", beschikking)
        + (product() if product_xml is None else product_xml)
        + _opt("BeschikkingIngangsdatum", beschikking_ingang)
        + f"<ToewijzingIngangsdatum>{ingang}</ToewijzingIngangsdatum>"
        + _opt("ToewijzingEinddatum", eind)
        + (omvang() if omvang_xml is None else omvang_xml)
        + _opt("Budget", budget)
        + (verwijzer() if verwijzer_xml is None else verwijzer_xml)
        + "</AangevraagdProduct>"
    )


def te_wijzigen(
    nummer: str = "1",
    *,
    ingang: str = "2025-05-01",
    eind: str | None = None,
    omvang_xml: str | None = None,
    budget: str | None = None,
) -> str:
    """A TeWijzigenProduct; `omvang_xml` defaults to a volume ("" = none)."""
    return (
        f"<TeWijzigenProduct><ToewijzingNummer>{nummer}</ToewijzingNummer>"
        f"<GewensteIngangsdatum>{ingang}</GewensteIngangsdatum>"
        + _opt("Einddatum", eind)
        + (omvang() if omvang_xml is None else omvang_xml)
        + _opt("Budget", budget)
        + "</TeWijzigenProduct>"
    )


def nieuw(
    *,
    product_xml: str | None = None,
    ingang: str = "2025-05-01",
    eind: str | None = None,
    omvang_xml: str | None = None,
    budget: str | None = None,
) -> str:
    """A NieuwProduct; `product_xml`/`omvang_xml` default to a product with a volume."""
    return (
        "<NieuwProduct>"
        + (product() if product_xml is None else product_xml)
        + f"<GewensteIngangsdatum>{ingang}</GewensteIngangsdatum>"
        + _opt("Einddatum", eind)
        + (omvang() if omvang_xml is None else omvang_xml)
        + _opt("Budget", budget)
        + "</NieuwProduct>"
    )


def _person(naam: str) -> str:
    return (
        f"<Bsn>{VALID_BSN}</Bsn><Geboortedatum><b:Datum>{BIRTH}</b:Datum></Geboortedatum>"
        f"<Geslacht>2</Geslacht><Naam>{naam}</Naam>"
    )


def contact(soort: str = "01", *, periode: str = "") -> str:
    return (
        f"<Contact><Soort>{soort}</Soort><Adres><b:Huis><b:Huisnummer>12</b:Huisnummer></b:Huis>"
        "<b:Postcode>1234AB</b:Postcode><b:Plaatsnaam>Utrecht</b:Plaatsnaam>"
        f"<b:LandCode>NL</b:LandCode></Adres>{periode}</Contact>"
    )


def msg301(*lines: str, standard: str = "iwmo", contacts: str = "") -> etree._Element:
    naam = (
        f"<b:Geslachtsnaam><b:Achternaam>{SURNAME}</b:Achternaam></b:Geslachtsnaam>"
        "<b:Voorletters>A</b:Voorletters><b:NaamGebruik>1</b:NaamGebruik>"
    )
    body = (
        f"<Client>{_person(naam)}"
        f"<Contactgegevens>{contacts or contact()}</Contactgegevens>"
        f"<ToegewezenProducten>{''.join(lines)}</ToegewezenProducten></Client>"
    )
    return message(_segment(301, standard), body, standard=standard)


def msg315(*lines: str, standard: str = "iwmo") -> etree._Element:
    naam = f"<b:Geslachtsnaam><b:Achternaam>{SURNAME}</b:Achternaam></b:Geslachtsnaam>"
    body = (
        f"<Client>{_person(naam)}"
        f"<AangevraagdeProducten>{''.join(lines)}</AangevraagdeProducten></Client>"
    )
    return message(_segment(315, standard), body, standard=standard)


def msg317(
    *,
    ongewijzigd: tuple[str, ...] = (),
    wijzigen: tuple[str, ...] = (),
    nieuwe: tuple[str, ...] = (),
    standard: str = "iwmo",
) -> etree._Element:
    """A 317 whose Verzoek holds OngewijzigdProducts (by ToewijzingNummer) and the given lines."""
    parts = "<ReferentieAanbieder>VOW-1</ReferentieAanbieder><RedenVerzoek>1</RedenVerzoek>"
    if ongewijzigd:
        parts += (
            "<OngewijzigdeProducten>"
            + "".join(
                f"<OngewijzigdProduct><ToewijzingNummer>{n}</ToewijzingNummer></OngewijzigdProduct>"
                for n in ongewijzigd
            )
            + "</OngewijzigdeProducten>"
        )
    if wijzigen:
        parts += f"<TeWijzigenProducten>{''.join(wijzigen)}</TeWijzigenProducten>"
    if nieuwe:
        parts += f"<NieuweProducten>{''.join(nieuwe)}</NieuweProducten>"
    body = f"<Client><Bsn>{VALID_BSN}</Bsn><Verzoek>{parts}</Verzoek></Client>"
    return message(_segment(317, standard), body, standard=standard)


def _segment(number: int, standard: str) -> str:
    return ("wmo" if standard == "iwmo" else "jw") + str(number)


def assert_finding(finding: Finding, location: str) -> None:
    """A 0001 in-message finding at `location` whose sentence quotes no personal data."""
    assert finding.retourcode == "0001"
    assert finding.level is Level.XSLT
    assert finding.location == location
    for personal in (VALID_BSN, BIRTH, SURNAME):
        assert personal not in finding.sentence
