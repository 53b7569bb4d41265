"""Declaratie facts: what the history rules need from a 323 or a 325, without the BSN.

A Prestatie keeps its key, toewijzing, product, period, volume and a fingerprint of all its
values (TR367); the person is only `person_key`. Reads messages that passed levels 1 and 2.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Final

from lxml import etree

from hub.domain.history.reading import HistoryInputError, required_date, toewijzing_nummer
from hub.domain.messages import MessageType
from hub.domain.privacy import person_key
from hub.domain.rules.base import fields, parse_date, parse_int
from hub.domain.xmlcodec import child, local_name, text_of

__all__ = [
    "DeclaratieAntwoordFacts",
    "DeclaratieFacts",
    "PrestatieLine",
    "extract_antwoord",
    "extract_declaratie",
]

CREDIT: Final = "C"
# Header codes of a 325 that do not refuse the declaratie as a whole: 0200 (some Prestaties
# rejected) and 8001 (fully granted).
_NOT_REFUSED: Final = frozenset({"0200", "8001"})


@dataclass(frozen=True, slots=True)
class PrestatieLine:
    """One Prestatie of a 323 (or one returned in a 325)."""

    location: str
    person: str  # person_key of the Client's Bsn
    referentie: str
    vorig: str  # VorigReferentieNummer, "" when absent
    credit: bool
    toewijzing: str
    categorie: str
    code: str
    begin: date
    eind: date
    volume: int
    eenheid: str
    fingerprint: str  # hash of every value of the Prestatie except its RetourCodes (TR367)


@dataclass(frozen=True, slots=True)
class DeclaratieFacts:
    """A 323: the declaratie header and its Prestaties in document order."""

    domain: str  # "iwmo" / "ijw": iWmo and iJw are separate domains
    gemeente: str
    aanbieder: str
    identificatie: str
    dagtekening: date
    xsd_versie: str  # "BasisschemaXsdVersie|BerichtXsdVersie"
    nummer: str
    nummer_location: str
    periode_begin: date
    periode_eind: date
    periode_location: str
    prestaties: tuple[PrestatieLine, ...]


@dataclass(frozen=True, slots=True)
class DeclaratieAntwoordFacts:
    """A 325 from the gemeente: which 323 it answers and which Prestaties it rejects."""

    domain: str
    gemeente: str
    aanbieder: str
    declaratie_identificatie: str
    declaratie_dagtekening: date | None
    xsd_versie_declaratie: str
    nummer: str | None  # DeclaratieAntwoord/DeclaratieNummer; None when the body is absent
    nummer_location: str
    refused: bool  # the declaratie as a whole is rejected
    prestaties: tuple[PrestatieLine, ...]  # the returned (rejected) Prestaties


def _xsd_versie(el: etree._Element | None) -> str:
    f = fields(el)
    return (
        f"{text_of(f.get('BasisschemaXsdVersie')) or ''}|{text_of(f.get('BerichtXsdVersie')) or ''}"
    )


# The Prestatie's xs:integer leaves: "012" and "12" are one value, and TR367 compares values, so a
# gemeente's software that writes a number without its leading zeros does not change the Prestatie.
_INTEGER_LEAVES: Final = frozenset(
    {"ToewijzingNummer", "GeleverdVolume", "ProductTarief", "Bedrag"}
)


def _integer_value(text: str) -> str:
    number = parse_int(text)
    return text if number is None else str(number)


def _fingerprint(prestatie: etree._Element) -> str:
    """Every leaf of the Prestatie by local path, RetourCodes left out: equal in the 323 and
    in the 325 that returns it when no value was changed (namespaces differ, names do not)."""
    parts: list[str] = []

    def walk(el: etree._Element, prefix: str) -> None:
        for c in el.iterchildren("*"):  # elements only: comments carry no value
            name = local_name(c)
            if name == "RetourCodes":
                continue
            kids = list(c.iterchildren("*"))
            if kids:
                walk(c, f"{prefix}/{name}")
            else:
                value = (c.text or "").strip()
                if name in _INTEGER_LEAVES:
                    value = _integer_value(value)
                parts.append(f"{prefix}/{name}={value}")

    walk(prestatie, "")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def _step(name: str, index: int, count: int) -> str:
    """A path step as path_of writes it: a position only where there are several."""
    return f"{name}[{index}]" if count > 1 else name


def _prestaties(clienten: etree._Element | None, secret: bytes, base: str) -> list[PrestatieLine]:
    """The Prestaties under Clienten in document order, each with its location (written from
    the list positions: walking the tree per line would be quadratic in a large 323)."""
    lines: list[PrestatieLine] = []
    if clienten is None:
        return lines
    clients = list(clienten.iterchildren("{*}Client"))
    for i, client in enumerate(clients, start=1):
        bsn = text_of(child(client, "Bsn"))
        if not bsn:
            raise HistoryInputError(f"{base}/Clienten/Client/Bsn is missing")
        person = person_key(bsn, secret)
        prestaties = child(client, "Prestaties")
        if prestaties is None:
            continue
        found = list(prestaties.iterchildren("{*}Prestatie"))
        where = f"{base}/Clienten/{_step('Client', i, len(clients))}/Prestaties"
        for j, el in enumerate(found, start=1):
            lines.append(_prestatie(el, person, f"{where}/{_step('Prestatie', j, len(found))}"))
    return lines


def _prestatie(el: etree._Element, person: str, where: str) -> PrestatieLine:
    f = fields(el)
    ref = fields(f.get("ProductReferentie"))
    periode = fields(f.get("ProductPeriode"))
    bedrag = fields(f.get("IngediendBedrag"))
    referentie = text_of(ref.get("ReferentieNummer"))
    if not referentie:
        raise HistoryInputError(f"{where}/ProductReferentie/ReferentieNummer is missing")
    volume = parse_int(text_of(f.get("GeleverdVolume")))
    if volume is None:
        raise HistoryInputError(f"{where}/GeleverdVolume is missing or not a number")
    return PrestatieLine(
        location=where,
        person=person,
        referentie=referentie,
        vorig=text_of(ref.get("VorigReferentieNummer")) or "",
        credit=text_of(bedrag.get("DebetCredit")) == CREDIT,
        toewijzing=toewijzing_nummer(text_of(f.get("ToewijzingNummer"))),
        categorie=text_of(f.get("ProductCategorie")) or "",
        code=text_of(f.get("ProductCode")) or "",
        begin=required_date(periode.get("Begindatum"), f"{where}/ProductPeriode/Begindatum"),
        eind=required_date(periode.get("Einddatum"), f"{where}/ProductPeriode/Einddatum"),
        volume=volume,
        eenheid=text_of(f.get("Eenheid")) or "",
        fingerprint=_fingerprint(el),
    )


def extract_declaratie(root: etree._Element, mt: MessageType, secret: bytes) -> DeclaratieFacts:
    """The facts of a 323 (iWmo or iJw)."""
    header = fields(child(root, "Header"))
    ident = fields(header.get("BerichtIdentificatie"))
    declaratie = child(root, "Declaratie")
    d = fields(declaratie)
    periode = fields(d.get("DeclaratiePeriode"))
    nummer = text_of(d.get("DeclaratieNummer"))
    identificatie = text_of(ident.get("Identificatie"))
    if not nummer or not identificatie or declaratie is None:
        raise HistoryInputError("/Bericht/Declaratie/DeclaratieNummer is missing")
    base = "/Bericht/Declaratie"
    return DeclaratieFacts(
        domain=mt.standard.value,
        gemeente=text_of(header.get("Ontvanger")) or "",
        aanbieder=text_of(header.get("Afzender")) or "",
        identificatie=identificatie,
        dagtekening=required_date(ident.get("Dagtekening"), "/Bericht/Header/BerichtIdentificatie"),
        xsd_versie=_xsd_versie(header.get("XsdVersie")),
        nummer=nummer,
        nummer_location=f"{base}/DeclaratieNummer",
        periode_begin=required_date(
            periode.get("Begindatum"), f"{base}/DeclaratiePeriode/Begindatum"
        ),
        periode_eind=required_date(periode.get("Einddatum"), f"{base}/DeclaratiePeriode/Einddatum"),
        periode_location=f"{base}/DeclaratiePeriode",
        prestaties=tuple(_prestaties(d.get("Clienten"), secret, base)),
    )


def _codes(el: etree._Element | None) -> list[str]:
    wrapper = child(el, "RetourCodes")
    if wrapper is None:
        return []
    return [t for c in wrapper.iterchildren("*") if (t := text_of(c))]


def extract_antwoord(
    root: etree._Element, mt: MessageType, secret: bytes
) -> DeclaratieAntwoordFacts:
    """The facts of a 325 (iWmo or iJw) the gemeente sends back for a 323."""
    header_el = child(root, "Header")
    header = fields(header_el)
    ident = fields(header.get("DeclaratieIdentificatie"))
    identificatie = text_of(ident.get("Identificatie"))
    if not identificatie:
        raise HistoryInputError("/Bericht/Header/DeclaratieIdentificatie is missing")
    body = child(root, "DeclaratieAntwoord")
    header_codes = _codes(header_el)
    # 8001 (fully granted) comes without a body; any other header code refuses the whole.
    refused = any(c not in _NOT_REFUSED for c in header_codes)
    # TR342: a rejected DeclaratieAntwoord class returns no Prestaties and grants nothing.
    refused = refused or any(c != "0200" for c in _codes(body))
    b = fields(body)
    return DeclaratieAntwoordFacts(
        domain=mt.standard.value,
        gemeente=text_of(header.get("Afzender")) or "",
        aanbieder=text_of(header.get("Ontvanger")) or "",
        declaratie_identificatie=identificatie,
        declaratie_dagtekening=parse_date(text_of(ident.get("Dagtekening"))),
        xsd_versie_declaratie=_xsd_versie(header.get("XsdVersieDeclaratie")),
        nummer=text_of(b.get("DeclaratieNummer")),
        nummer_location="/Bericht/DeclaratieAntwoord/DeclaratieNummer",
        refused=refused,
        prestaties=tuple(_prestaties(b.get("Clienten"), secret, "/Bericht/DeclaratieAntwoord")),
    )
