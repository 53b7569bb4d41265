"""History facts of the request flows (315, 317, 319) and the omvang/budget of a product line.

Read from a message that passed levels 1 and 2; like `hub.domain.history.facts`, only keys, dates
and codes are kept, never a BSN.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from lxml import etree

from hub.domain.rules.base import fields, parse_date, parse_int
from hub.domain.xmlcodec import child, text_of

__all__ = [
    "AanvraagLine",
    "AntwoordFacts",
    "NieuwLine",
    "Omvang",
    "OngewijzigdLine",
    "TeWijzigenLine",
    "VerzoekFacts",
    "aanvragen_of",
    "antwoord_of",
    "budget_of",
    "located_lines",
    "omvang_of",
    "verzoek_of",
]


@dataclass(frozen=True, slots=True)
class Omvang:
    """CDT_Omvang: Volume per Eenheid per Frequentie."""

    volume: int
    eenheid: str
    frequentie: str


@dataclass(frozen=True, slots=True)
class AanvraagLine:
    """One AangevraagdProduct of a 315: its ReferentieAanbieder is the request's handle."""

    location: str
    referentie: str


@dataclass(frozen=True, slots=True)
class OngewijzigdLine:
    location: str
    nummer: str  # ToewijzingNummer, integer semantics ("012" is "12")


@dataclass(frozen=True, slots=True)
class TeWijzigenLine:
    location: str
    nummer: str
    gewenste_ingang: date
    einddatum: date | None
    omvang: Omvang | None
    budget: int | None


@dataclass(frozen=True, slots=True)
class NieuwLine:
    location: str
    categorie: str  # "" when the line has no Product
    code: str  # "" when Product/Code is absent
    gewenste_ingang: date
    einddatum: date | None


@dataclass(frozen=True, slots=True)
class VerzoekFacts:
    """The Verzoek of a 317 (verzoek om wijziging)."""

    location: str  # /Bericht/Client/Verzoek
    referentie: str
    ongewijzigd: tuple[OngewijzigdLine, ...] = ()
    te_wijzigen: tuple[TeWijzigenLine, ...] = ()
    nieuw: tuple[NieuwLine, ...] = ()

    @property
    def nummers(self) -> tuple[str, ...]:
        return tuple(x.nummer for x in self.ongewijzigd) + tuple(x.nummer for x in self.te_wijzigen)


@dataclass(frozen=True, slots=True)
class AntwoordFacts:
    """The Antwoord of a 319."""

    location: str  # /Bericht/Antwoord
    referentie: str
    verzoek_antwoord: str  # "1" afgewezen, "2" in onderzoek


def located_lines(
    parent: etree._Element | None, line: str, base: str
) -> list[tuple[etree._Element, str]]:
    """The `line` children of `parent` with their locations (a position only when there are
    several), `base` being the location of `parent`."""
    if parent is None:
        return []
    lines = list(parent.iterchildren("{*}" + line))
    if len(lines) == 1:
        return [(lines[0], f"{base}/{line}")]
    return [(el, f"{base}/{line}[{i}]") for i, el in enumerate(lines, start=1)]


def omvang_of(el: etree._Element | None) -> Omvang | None:
    """The Omvang element's value, or None when absent or unreadable."""
    if el is None:
        return None
    f = fields(el)
    volume = parse_int(text_of(f.get("Volume")))
    eenheid = text_of(f.get("Eenheid"))
    frequentie = text_of(f.get("Frequentie"))
    if volume is None or not eenheid or not frequentie:
        return None
    return Omvang(volume, eenheid, frequentie)


def budget_of(el: etree._Element | None) -> int | None:
    return parse_int(text_of(el)) if el is not None else None


def _nummer(text: str | None) -> str:
    value = parse_int(text or "")
    return str(value) if value is not None else (text or "")


def aanvragen_of(client: etree._Element | None) -> tuple[AanvraagLine, ...]:
    """The AangevraagdProducten of a 315 Client, each with its ReferentieAanbieder."""
    base = "/Bericht/Client/AangevraagdeProducten"
    found = located_lines(child(client, "AangevraagdeProducten"), "AangevraagdProduct", base)
    return tuple(
        AanvraagLine(where, ref)
        for el, where in found
        if (ref := text_of(child(el, "ReferentieAanbieder")))
    )


def verzoek_of(client: etree._Element | None) -> VerzoekFacts | None:
    """The Verzoek of a 317 Client; None when it lacks its ReferentieAanbieder."""
    verzoek = child(client, "Verzoek")
    ref = text_of(child(verzoek, "ReferentieAanbieder"))
    if verzoek is None or not ref:
        return None
    base = "/Bericht/Client/Verzoek"
    ongewijzigd = tuple(
        OngewijzigdLine(where, _nummer(text_of(child(el, "ToewijzingNummer"))))
        for el, where in located_lines(
            child(verzoek, "OngewijzigdeProducten"),
            "OngewijzigdProduct",
            f"{base}/OngewijzigdeProducten",
        )
    )
    te_wijzigen: list[TeWijzigenLine] = []
    for el, where in located_lines(
        child(verzoek, "TeWijzigenProducten"), "TeWijzigenProduct", f"{base}/TeWijzigenProducten"
    ):
        f = fields(el)
        begin = parse_date(text_of(f.get("GewensteIngangsdatum")))
        if begin is None:
            continue  # the XSD requires it; a rule that cannot read it says nothing
        te_wijzigen.append(
            TeWijzigenLine(
                where,
                _nummer(text_of(f.get("ToewijzingNummer"))),
                begin,
                parse_date(text_of(f.get("Einddatum"))),
                omvang_of(f.get("Omvang")),
                budget_of(f.get("Budget")),
            )
        )
    nieuw: list[NieuwLine] = []
    for el, where in located_lines(
        child(verzoek, "NieuweProducten"), "NieuwProduct", f"{base}/NieuweProducten"
    ):
        f = fields(el)
        begin = parse_date(text_of(f.get("GewensteIngangsdatum")))
        if begin is None:
            continue
        product = fields(f.get("Product"))
        nieuw.append(
            NieuwLine(
                where,
                text_of(product.get("Categorie")) or "",
                text_of(product.get("Code")) or "",
                begin,
                parse_date(text_of(f.get("Einddatum"))),
            )
        )
    return VerzoekFacts(base, ref, ongewijzigd, tuple(te_wijzigen), tuple(nieuw))


def antwoord_of(root: etree._Element) -> AntwoordFacts | None:
    """The Antwoord of a 319; None when it lacks its ReferentieAanbieder or VerzoekAntwoord."""
    antwoord = child(root, "Antwoord")
    ref = text_of(child(antwoord, "ReferentieAanbieder"))
    answer = text_of(child(antwoord, "VerzoekAntwoord"))
    if not ref or not answer:
        return None
    return AntwoordFacts("/Bericht/Antwoord", ref, answer)
