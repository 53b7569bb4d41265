"""Builds small 301 toewijzing messages (Client, Relaties, Contactgegevens, ToegewezenProducten)."""

from __future__ import annotations

from lxml import etree

from ._xml import VALID_BSN, message


def geboortedatum(datum: str = "1950-03-14", gebruik: str | None = None) -> str:
    extra = f"<b:DatumGebruik>{gebruik}</b:DatumGebruik>" if gebruik else ""
    return f"<Geboortedatum><b:Datum>{datum}</b:Datum>{extra}</Geboortedatum>"


def naam(gebruik: str = "1", *, partner: bool = False) -> str:
    partnernaam = (
        "<b:Partnernaam><b:Achternaam>Dijk</b:Achternaam></b:Partnernaam>" if partner else ""
    )
    return (
        "<Naam><b:Geslachtsnaam><b:Achternaam>Berg</b:Achternaam></b:Geslachtsnaam>"
        f"{partnernaam}<b:Voorletters>AM</b:Voorletters>"
        f"<b:NaamGebruik>{gebruik}</b:NaamGebruik></Naam>"
    )


def adres(
    *,
    huis: bool = True,
    postcode: str | None = "1017GA",
    land: str | None = "NL",
) -> str:
    return (
        "<Adres>"
        + ("<b:Huis><b:Huisnummer>12</b:Huisnummer></b:Huis>" if huis else "")
        + (f"<b:Postcode>{postcode}</b:Postcode>" if postcode else "")
        + "<b:Plaatsnaam>Amsterdam</b:Plaatsnaam>"
        + (f"<b:LandCode>{land}</b:LandCode>" if land else "")
        + "</Adres>"
    )


TELEFOON = (
    "<Telefoon><b:Telefoon01><b:Telefoonnummer>0612345678</b:Telefoonnummer>"
    "<b:Landnummer>0031</b:Landnummer></b:Telefoon01></Telefoon>"
)


def contact(
    soort: str = "01",
    adres_xml: str | None = None,
    *,
    telefoon: bool = False,
    periode: str | None = None,
) -> str:
    """A Contact; with no `adres_xml` and no `telefoon`, a full Dutch address."""
    if adres_xml is None and not telefoon:
        adres_xml = adres()
    return (
        f"<Contact><Soort>{soort}</Soort>{adres_xml or ''}"
        + (TELEFOON if telefoon else "")
        + (f"<Periode><b:Begindatum>{periode}</b:Begindatum></Periode>" if periode else "")
        + "</Contact>"
    )


def relatie(
    nummer: str = "1",
    *,
    birth: str | None = None,
    naam_xml: str | None = None,
    contact_xml: str | None = None,
) -> str:
    return (
        f"<Relatie><Nummer>{nummer}</Nummer><Soort>03</Soort>"
        + (birth or "")
        + (naam_xml or naam())
        + (contact_xml or contact("02", telefoon=True))
        + "</Relatie>"
    )


def toegewezen(
    nummer: str = "300201",
    begin: str = "2025-04-01",
    end: str | None = "2025-12-31",
    *,
    categorie: str | None = "02",
    code: str | None = "02A04",
    reden: str | None = None,
    toewijzingsdatum: str = "2025-03-24",
) -> str:
    product = ""
    if categorie is not None:
        product = f"<Product><b:Categorie>{categorie}</b:Categorie>" + (
            f"<b:Code>{code}</b:Code></Product>" if code else "</Product>"
        )
    return (
        f"<ToegewezenProduct><ToewijzingNummer>{nummer}</ToewijzingNummer>{product}"
        f"<Toewijzingsdatum>{toewijzingsdatum}</Toewijzingsdatum>"
        f"<Toewijzingstijd>10:15:00</Toewijzingstijd><Ingangsdatum>{begin}</Ingangsdatum>"
        + (f"<Einddatum>{end}</Einddatum>" if end else "")
        + (f"<RedenWijziging>{reden}</RedenWijziging>" if reden else "")
        + "<Omvang><b:Volume>4</b:Volume><b:Eenheid>04</b:Eenheid>"
        "<b:Frequentie>2</b:Frequentie></Omvang></ToegewezenProduct>"
    )


def bericht301(
    *,
    products: tuple[str, ...] = (),
    contacts: tuple[str, ...] = (),
    relaties: tuple[str, ...] = (),
    birth: str | None = None,
    naam_xml: str | None = None,
    communicatie: str = "",
    standard: str = "iwmo",
    dagtekening: str = "2025-03-24",
) -> etree._Element:
    """A 301 with one valid default for each part left out."""
    segment = "wmo301" if standard == "iwmo" else "jw301"
    body = (
        f"<Client><Bsn>{VALID_BSN}</Bsn>{birth or geboortedatum()}<Geslacht>2</Geslacht>"
        f"{naam_xml or naam()}{communicatie}"
        + (f"<Relaties>{''.join(relaties)}</Relaties>" if relaties else "")
        + f"<Contactgegevens>{''.join(contacts or (contact(),))}</Contactgegevens>"
        f"<ToegewezenProducten>{''.join(products or (toegewezen(),))}</ToegewezenProducten>"
        "</Client>"
    )
    return message(segment, body, standard=standard, dagtekening=dagtekening)


def kind(standard: str = "iwmo") -> str:
    return "WMO301" if standard == "iwmo" else "JW301"
