"""Toewijzing rules of the 301: no overlaps (TR302), RedenWijziging 13 and 01 (CS335, CS336)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Final

from lxml import etree

from hub.domain.rules.base import Rule, RuleContext, names, parse_date, path_of, rule
from hub.domain.rules.overlap import Line, clashes, is_deleted
from hub.domain.xmlcodec import text_of

_MESSAGES: Final = names(301)
_VERWIJDERD: Final = "13"
_VERVALLEN: Final = "01"  # administratieve correctie (vervallen)
# iWmo/iJw 3.0 took effect on 2021-01-01 (the date CS100, CD080 and CS338 also turn on); code 01
# is vervallen from then on. A toewijzing given or last changed before it may still carry 01 and
# is re-sent as it was in every later 301 (OP087), so only a Toewijzingsdatum on or after that day
# is refused: the reading that cannot refuse a valid re-send.
_RELEASE_3: Final = date(2021, 1, 1)


def _step(el: etree._Element) -> str:
    return path_of(el).rsplit("/", 1)[-1]


@rule(
    "TR302",
    "Hetzelfde product mag alleen in meerdere ToegewezenProducten voorkomen als de periodes "
    "niet overlappen",
    _MESSAGES,
)
def TR302(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    products = ctx.each("ToegewezenProduct")
    if len(products) < 2:
        return
    lines: list[Line] = []
    for tp in products:
        f = ctx.fields(tp)
        begin = parse_date(text_of(f.get("Ingangsdatum")))
        end_el = f.get("Einddatum")
        end = parse_date(text_of(end_el))
        if begin is None or (end_el is not None and (end is None or end < begin)):
            continue  # unreadable or reversed period: the XSD or CS003 speaks, not this rule
        if is_deleted(begin, end, text_of(f.get("RedenWijziging"))):
            continue
        product = ctx.fields(f.get("Product"))
        categorie = text_of(product.get("Categorie")) if product else None
        lines.append(Line(categorie, text_of(product.get("Code")), begin, end, tp))
    for first, line in clashes(lines, ctx.message.standard):
        if not isinstance(line.ref, etree._Element) or not isinstance(first.ref, etree._Element):
            continue  # never: every Line here carries its element
        until = line.end.isoformat() if line.end else "open end"
        yield (
            path_of(line.ref),
            f"ToegewezenProduct ({line.begin} to {until}) overlaps {_step(first.ref)} "
            "for the same product",
        )


@rule(
    "CS335",
    "RedenWijziging 13 (verwijderd) alleen als Einddatum gelijk is aan Ingangsdatum",
    _MESSAGES,
)
def CS335(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    for tp in ctx.each("ToegewezenProduct"):
        f = ctx.fields(tp)
        reden = f.get("RedenWijziging")
        if reden is None or text_of(reden) != _VERWIJDERD:
            continue
        begin = parse_date(text_of(f.get("Ingangsdatum")))
        end = parse_date(text_of(f.get("Einddatum")))
        if begin is not None and end != begin:
            yield (
                path_of(reden),
                f"RedenWijziging 13 (verwijderd) needs Einddatum equal to Ingangsdatum {begin}",
            )


@rule(
    "CS336",
    "RedenWijziging 01 (administratieve correctie, vervallen) mag niet meer worden gebruikt",
    _MESSAGES,
)
def CS336(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    for tp in ctx.each("ToegewezenProduct"):
        f = ctx.fields(tp)
        reden = f.get("RedenWijziging")
        if reden is None or text_of(reden) != _VERVALLEN:
            continue
        given = parse_date(text_of(f.get("Toewijzingsdatum")))
        if given is not None and given >= _RELEASE_3:
            yield (
                path_of(reden),
                f"RedenWijziging 01 is vervallen and may not be used on a toewijzing dated {given}",
            )


# This family's rules, in the order their findings are reported.
RULES: Final[tuple[Rule, ...]] = (TR302, CS335, CS336)
