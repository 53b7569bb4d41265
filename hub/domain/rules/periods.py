"""Period rules: an end date, when filled, is not before its start date (CS003 on 301, 315, 317)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from lxml import etree

from hub.domain.rules.base import Rule, RuleContext, names, parse_date, path_of, rule
from hub.domain.rules.lines import BY_MESSAGE, lines
from hub.domain.xmlcodec import text_of


@rule(
    "CS003",
    "Een einddatum moet groter dan of gelijk zijn aan de begindatum",
    names(301, 315, 317),
)
def CS003(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    for cls, _line, f in lines(ctx, BY_MESSAGE):
        end_el = f.get(cls.end)
        if end_el is None:
            continue
        begin = parse_date(text_of(f.get(cls.start)))
        end = parse_date(text_of(end_el))
        if begin is not None and end is not None and end < begin:
            yield path_of(end_el), f"{cls.end} {end} is before {cls.start} {begin}"
    if ctx.message.number != 301:
        return
    for periode in ctx.under("Contact", "Periode"):
        f = ctx.fields(periode)
        end_el = f.get("Einddatum")
        begin = parse_date(text_of(f.get("Begindatum")))
        end = parse_date(text_of(end_el))
        if end_el is not None and begin is not None and end is not None and end < begin:
            # When a person lived at an address is personal data: name the elements only.
            yield path_of(end_el), "Contact/Periode/Einddatum is before its Begindatum"


# This family's rules, in the order their findings are reported.
RULES: Final[tuple[Rule, ...]] = (CS003,)
