"""Prestatie rules: what each declared line must hold on its own (323, and CD060 also on 325)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Final

from lxml import etree

from hub.domain.rules.base import Rule, RuleContext, names, parse_date, path_of, rule
from hub.domain.rules.prestatielines import lines
from hub.domain.xmlcodec import child, text_of

_EURO: Final = "83"  # Eenheid 83: the volume is an amount in cents
_MAX_AGE_YEARS: Final = 5


def _years_before(day: date, years: int) -> date:
    """`day` less `years` years; 29 February falls back to 28 February."""
    # TR335 refuses an Einddatum *before* this day, so the earlier of the two candidates
    # (28 February rather than 1 March) is the reading that never refuses a valid line.
    if day.year <= years:
        return date.min  # nothing lies before year 1
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


@rule(
    "TR335",
    "Een prestatie mag niet ouder zijn dan 5 jaar: ProductPeriode/Einddatum ligt niet vóór "
    "DeclaratieDagtekening min 5 jaar",
    names(323),
)
def TR335(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    # READING (rules.md §6.2): the Einddatum is ProductPeriode/Einddatum, measured from
    # Declaratie/DeclaratieDagtekening (not the Header's Dagtekening).
    dagtekening = parse_date(text_of(child(child(root, "Declaratie"), "DeclaratieDagtekening")))
    if dagtekening is None:
        return
    oldest = _years_before(dagtekening, _MAX_AGE_YEARS)
    for line in lines(ctx):
        if line.end_el is not None and line.end is not None and line.end < oldest:
            yield (
                path_of(line.end_el),
                f"ProductPeriode/Einddatum {line.end} is more than {_MAX_AGE_YEARS} years before "
                f"the DeclaratieDagtekening {dagtekening} (the oldest allowed is {oldest})",
            )


@rule(
    "CS337",
    "ProductPeriode/Einddatum ligt in dezelfde kalendermaand en hetzelfde jaar als de Begindatum",
    names(323),
)
def CS337(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    for line in lines(ctx):
        begin, end = line.begin, line.end
        if line.end_el is None or begin is None or end is None:
            continue
        if (begin.year, begin.month) != (end.year, end.month):
            yield (
                path_of(line.end_el),
                f"ProductPeriode/Einddatum {end} is not in the calendar month of its "
                f"Begindatum {begin}",
            )


@rule(
    "CS339",
    "Als Eenheid 83 (euro) is, dan is IngediendBedrag/Bedrag gelijk aan GeleverdVolume",
    names(323),
)
def CS339(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    for line in lines(ctx):
        if line.eenheid != _EURO or line.bedrag_el is None:
            continue
        if line.bedrag is not None and line.volume is not None and line.bedrag != line.volume:
            yield (
                path_of(line.bedrag_el),
                f"IngediendBedrag/Bedrag is {line.bedrag} but GeleverdVolume is {line.volume}; "
                "with Eenheid 83 (euro) both are the same amount in cents",
            )


@rule(
    "CD060",
    "VorigReferentieNummer is gevuld dan en slechts dan als IngediendBedrag/DebetCredit C is",
    names(323, 325),
)
def CD060(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    for line in lines(ctx):
        if line.referentie is None:
            continue  # a malformed line is the XSD's verdict
        if line.dc == "C" and line.vorig_el is None:
            yield (
                path_of(line.referentie),
                "ProductReferentie has no VorigReferentieNummer, but the Prestatie is a credit "
                "(DebetCredit C) and must name the Prestatie it credits",
            )
        elif line.dc == "D" and line.vorig_el is not None:
            yield (
                path_of(line.vorig_el),
                "VorigReferentieNummer is filled, but the Prestatie is a debet (DebetCredit D); "
                "only a credit names an earlier Prestatie",
            )


@rule(
    "CD087",
    "Als Eenheid niet 83 is, dan ProductTarief vullen; als Eenheid 83 is, dan ProductTarief leeg",
    names(323),
)
def CD087(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    for line in lines(ctx):
        if not line.eenheid:
            continue
        if line.eenheid == _EURO and line.tarief_el is not None:
            yield (
                path_of(line.tarief_el),
                "ProductTarief is filled, but Eenheid is 83 (euro), which carries no tariff",
            )
        elif line.eenheid != _EURO and line.tarief_el is None:
            yield (
                path_of(line.el),
                f"ProductTarief is missing; Eenheid {line.eenheid} needs a ProductTarief",
            )


# This family's rules, in the order their findings are reported.
RULES: Final[tuple[Rule, ...]] = (TR335, CS337, CS339, CD060, CD087)
