"""One read of every Prestatie of a 323/325, shared by the declaratie and prestatie rules."""

from __future__ import annotations

from datetime import date
from typing import Final, NamedTuple

from lxml import etree

from hub.domain.rules.base import RuleContext, parse_date, parse_int
from hub.domain.xmlcodec import children_by_name, text_of

SIGN: Final = {"D": 1, "C": -1}  # DebetCredit as the sign of an amount


class Line(NamedTuple):
    """A Prestatie's values, parsed once; None where an element is absent or malformed."""

    el: etree._Element
    referentie: etree._Element | None  # ProductReferentie
    ref: str | None  # ReferentieNummer
    vorig_el: etree._Element | None  # VorigReferentieNummer
    vorig: str | None
    nummer: int | None  # ToewijzingNummer, an integer (012 is 12)
    categorie: str | None
    code: str | None
    begin_el: etree._Element | None  # ProductPeriode/Begindatum
    begin: date | None
    end_el: etree._Element | None  # ProductPeriode/Einddatum
    end: date | None
    volume: int | None  # GeleverdVolume
    eenheid: str | None
    tarief_el: etree._Element | None  # ProductTarief
    bedrag_el: etree._Element | None  # IngediendBedrag/Bedrag
    bedrag: int | None
    dc: str | None  # IngediendBedrag/DebetCredit
    signed: int | None  # bedrag with D as + and C as −


def _read(ctx: RuleContext) -> tuple[Line, ...]:
    read: list[Line] = []
    for el in ctx.under("Prestaties", "Prestatie"):
        found = ctx.fields(el)  # shared: other families read the Prestatie too
        referentie = found.get("ProductReferentie")
        ref = ctx.fields(referentie)  # shared: TR101 keys a Prestatie by its ReferentieNummer
        periode = children_by_name(found.get("ProductPeriode"))
        ingediend = children_by_name(found.get("IngediendBedrag"))
        vorig_el = ref.get("VorigReferentieNummer")
        begin_el = periode.get("Begindatum")
        end_el = periode.get("Einddatum")
        bedrag_el = ingediend.get("Bedrag")
        bedrag = parse_int(text_of(bedrag_el))
        dc = text_of(ingediend.get("DebetCredit"))
        sign = SIGN.get(dc or "")
        read.append(
            Line(
                el,
                referentie,
                text_of(ref.get("ReferentieNummer")),
                vorig_el,
                text_of(vorig_el),
                parse_int(text_of(found.get("ToewijzingNummer"))),
                text_of(found.get("ProductCategorie")),
                text_of(found.get("ProductCode")),
                begin_el,
                parse_date(text_of(begin_el)),
                end_el,
                parse_date(text_of(end_el)),
                parse_int(text_of(found.get("GeleverdVolume"))),
                text_of(found.get("Eenheid")),
                found.get("ProductTarief"),
                bedrag_el,
                bedrag,
                dc,
                None if bedrag is None or sign is None else sign * bedrag,
            )
        )
    return tuple(read)


def lines(ctx: RuleContext) -> tuple[Line, ...]:
    """Every Prestatie of the message in document order, read once for all rules."""
    return ctx.memo(_read)
