"""Omvang rules: when an Einddatum is mandatory (CD075, CD076) and which Frequentie fits an
Eenheid (CS338)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from lxml import etree

from hub.rules.base import Rule, RuleContext, names, path_of, rule
from hub.xmlcodec import text_of

# CD076's trigger as domain.md §4.3 states it (Frequentie 2, per week).
_FREQUENTIE_NEEDS_EINDDATUM: Final = "2"
# Etmaal, dagdeel, euro's and stuks (inspanning) are counted per week, per month or in total.
_COUNTED_UNITS: Final = frozenset({"14", "16", "83", "84"})
_COUNTED_FREQUENCIES: Final = frozenset({"2", "4", "6"})


@rule("CD075", "Einddatum is verplicht als Budget gevuld is", names(301))
def CD075(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    for product in ctx.each("ToegewezenProduct"):
        f = ctx.fields(product)
        if text_of(f.get("Budget")) and not text_of(f.get("Einddatum")):
            yield path_of(product) + "/Einddatum", "Einddatum is mandatory when Budget is filled"


@rule("CD076", "Einddatum is verplicht als Frequentie 2 (per week) is", names(301))
def CD076(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    for product in ctx.each("ToegewezenProduct"):
        f = ctx.fields(product)
        frequentie = text_of(ctx.fields(f.get("Omvang")).get("Frequentie"))
        if frequentie == _FREQUENTIE_NEEDS_EINDDATUM and not text_of(f.get("Einddatum")):
            yield (
                path_of(product) + "/Einddatum",
                "Einddatum is mandatory when Omvang/Frequentie is 2 (per week)",
            )


@rule(
    "CS338",
    "Bij Eenheid 14, 16, 83 of 84 mag Frequentie alleen 2, 4 of 6 zijn",
    names(301, 315, 317),
)
def CS338(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    for omvang in ctx.each("Omvang"):
        f = ctx.fields(omvang)
        eenheid = text_of(f.get("Eenheid"))
        frequentie = f.get("Frequentie")
        if eenheid not in _COUNTED_UNITS or frequentie is None:
            continue
        value = text_of(frequentie)
        if value not in _COUNTED_FREQUENCIES:
            yield (
                path_of(frequentie),
                f"Frequentie must be 2, 4 or 6 when Eenheid is {eenheid}, got {value!r}",
            )


# This family's rules, in the order their findings are reported.
RULES: Final[tuple[Rule, ...]] = (CD075, CD076, CS338)
