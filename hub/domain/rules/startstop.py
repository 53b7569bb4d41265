"""Start/stop rules (305/307): StatusAanlevering 1 or 3 (CS058), Einddatum ≥ Begindatum (TR018).

No duplicate lines (TR101) is in `hub.domain.rules.duplicates`, with the other messages' keys."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from lxml import etree

from hub.domain.rules.base import Rule, RuleContext, names, parse_date, path_of, rule
from hub.domain.xmlcodec import text_of

# The line class of each message: a 305 carries StartProducts, a 307 StopProducts.
_LINE: Final = {305: "StartProduct", 307: "StopProduct"}
_ALLOWED_STATUS: Final = frozenset({"1", "3"})  # 2 (gewijzigd) does not exist for start/stop


@rule("CS058", "StatusAanlevering mag alleen de waarde 1 of 3 bevatten", names(305, 307))
def CS058(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    line = _LINE[ctx.message.number]
    if _ALLOWED_STATUS.issuperset(ctx.texts("StatusAanlevering")):
        return  # the usual message: no value to report, wherever it stands
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


# This family's rules, in the order their findings are reported.
RULES: Final[tuple[Rule, ...]] = (CS058, TR018)
