"""Start/stop rules (305/307): StatusAanlevering 1 or 3 (CS058), Einddatum ≥ Begindatum (TR018),
no duplicate lines (TR101)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from lxml import etree

from hub.rules.base import Rule, RuleContext, fields, names, parse_date, parse_int, path_of, rule
from hub.xmlcodec import text_of

# The line class of each message: a 305 carries StartProducts, a 307 StopProducts.
_LINE: Final = {305: "StartProduct", 307: "StopProduct"}
_ALLOWED_STATUS: Final = frozenset({"1", "3"})  # 2 (gewijzigd) does not exist for start/stop


@rule("CS058", "StatusAanlevering mag alleen de waarde 1 of 3 bevatten", names(305, 307))
def CS058(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    line = _LINE[ctx.message.number]
    for status in ctx.under(line, "StatusAanlevering"):
        value = text_of(status)
        if value not in _ALLOWED_STATUS:
            yield path_of(status), f"StatusAanlevering of a {line} must be 1 or 3, got {value!r}"


@rule("TR018", "Einddatum moet groter dan of gelijk zijn aan Begindatum", names(307))
def TR018(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    begins = {el.getparent(): el for el in ctx.under("StopProduct", "Begindatum")}
    for end_el in ctx.under("StopProduct", "Einddatum"):
        begin = parse_date(text_of(begins.get(end_el.getparent())))
        end = parse_date(text_of(end_el))
        if begin is not None and end is not None and end < begin:
            yield path_of(end_el), f"Einddatum {end} is before Begindatum {begin}"


def _number(text: str | None) -> int | str | None:
    # ToewijzingNummer is an xs:integer: "012" and "12" are the same number.
    value = parse_int(text)
    return value if value is not None else text


def _key(line: etree._Element) -> tuple[object, ...]:
    """The logical key of a line apart from the Bsn (one client per message)."""
    f = fields(line)
    product = fields(f.get("Product"))
    return (
        _number(text_of(f.get("ToewijzingNummer"))),
        text_of(product.get("Categorie")),
        text_of(product.get("Code")),
        text_of(f.get("Begindatum")),
        text_of(f.get("RedenBeeindiging")),  # None on a StartProduct
        text_of(f.get("Einddatum")),
    )


@rule("TR101", "Een bericht mag geen dubbele regels bevatten", names(305, 307))
def TR101(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    line_name = _LINE[ctx.message.number]
    begins = ctx.under(line_name, "Begindatum")
    if len(begins) < 2:
        return
    # Begindatum is part of every key: only lines sharing one (and a parent) can be duplicates,
    # so the full key is built for those few only.
    groups: dict[tuple[etree._Element | None, str | None], list[etree._Element]] = {}
    for begin in begins:
        line = begin.getparent()
        if line is not None:
            groups.setdefault((line.getparent(), text_of(begin)), []).append(line)
    for lines in groups.values():
        if len(lines) < 2:
            continue
        seen: dict[tuple[object, ...], etree._Element] = {}
        for line in lines:
            first = seen.setdefault(_key(line), line)
            if first is not line:
                yield (
                    path_of(line),
                    f"{line_name} repeats the logical key of {path_of(first).rsplit('/', 1)[-1]}",
                )


# This family's rules, in the order their findings are reported.
RULES: Final[tuple[Rule, ...]] = (CS058, TR018, TR101)
