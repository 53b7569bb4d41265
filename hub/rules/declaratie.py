"""Declaratie rules: the total equals the signed sum of the lines (TR358), zero is debet (CS325)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from lxml import etree

from hub.rules.base import Rule, RuleContext, is_named, names, parse_int, path_of, rule
from hub.xmlcodec import child, text_of

_SIGN: Final = {"D": 1, "C": -1}
_AMOUNTS: Final = ("Bedrag", "TotaalBedrag")


def _amount(holder: etree._Element) -> tuple[etree._Element | None, etree._Element | None]:
    """(amount element, DebetCredit element) of a CDT_BedragMetDC-like holder."""
    amount = dc = None
    for c in holder:
        if is_named(c, "DebetCredit"):
            dc = c
        elif amount is None and any(is_named(c, name) for name in _AMOUNTS):
            amount = c
    return amount, dc


def _signed(holder: etree._Element | None) -> int | None:
    """The amount with D as + and C as −; None when either part is missing or malformed."""
    if holder is None:
        return None
    amount, dc = _amount(holder)
    value = parse_int(text_of(amount))
    sign = _SIGN.get(text_of(dc) or "")
    return None if value is None or sign is None else sign * value


def _show(value: int) -> str:
    return f"{abs(value)} {'C' if value < 0 else 'D'}"


@rule(
    "TR358",
    "TotaalIngediendBedrag moet gelijk zijn aan de som van de IngediendBedragen (met debet/credit)",
    names(323),
)
def TR358(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    total_el = child(child(root, "Declaratie"), "TotaalIngediendBedrag")
    total = _signed(total_el)
    if total_el is None or total is None:
        return
    lines = 0
    for bedrag in ctx.each("IngediendBedrag"):
        signed = _signed(bedrag)
        if signed is None:
            return  # a malformed line is the XSD's verdict, and no sum can be trusted
        lines += signed
    if lines != total:
        yield (
            path_of(total_el),
            f"TotaalIngediendBedrag is {_show(total)} but the IngediendBedragen add up to "
            f"{_show(lines)}",
        )


@rule("CS325", "Als het bedrag 0 is, dan DebetCredit vullen met D", names(323, 325))
def CS325(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    for dc in ctx.each("DebetCredit"):
        holder = dc.getparent()
        if holder is None or text_of(dc) == "D":
            continue
        amount, _ = _amount(holder)
        if parse_int(text_of(amount)) == 0:
            yield path_of(dc), "DebetCredit must be D when the amount is 0"


# This family's rules, in the order their findings are reported.
RULES: Final[tuple[Rule, ...]] = (TR358, CS325)
