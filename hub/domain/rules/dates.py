"""Date rules: past dates may not lie after the Dagtekening of the message (TR134)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from lxml import etree

from hub.domain.rules.base import Rule, RuleContext, names, parent_is, parse_date, path_of, rule

# Per message number: (parent element, date element) pairs that may not lie after the Dagtekening
# (rules.md §1.1 and §6 reading 3). Start dates of toewijzingen and requests may lie ahead.
_TARGETS: Final[dict[int, tuple[tuple[str, str], ...]]] = {
    301: (("Geboortedatum", "Datum"), ("ToegewezenProduct", "Toewijzingsdatum")),
    305: (("Geboortedatum", "Datum"), ("StartProduct", "Begindatum")),
    307: (("Geboortedatum", "Datum"), ("StopProduct", "Einddatum")),
    315: (("Geboortedatum", "Datum"),),
    323: (("DeclaratiePeriode", "Begindatum"), ("ProductPeriode", "Begindatum")),
    325: (("ProductPeriode", "Begindatum"),),
}


@rule(
    "TR134",
    "Datum moet een bestaande datum zijn die niet later ligt dan de Dagtekening van het bericht",
    names(*_TARGETS),
)
def TR134(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    latest = ctx.dagtekening_text
    if latest is None:
        return
    for parent, name in _TARGETS.get(ctx.message.number, ()):
        texts = ctx.texts(name)
        if not texts or max(texts) <= latest:
            continue  # the usual message: no date after the Dagtekening, in one C call
        for i, el in enumerate(ctx.each(name)):
            text = texts[i]
            # YYYY-MM-DD strings order as their dates do: most dates are settled without
            # parsing or reading their parent (the 305's hot path). Other lengths are not
            # LDT_Datum dates at all.
            if len(text) != 10 or text <= latest:
                continue
            day = parse_date(text)
            dagtekening = ctx.dagtekening
            if (
                day is not None
                and dagtekening is not None
                and day > dagtekening
                and parent_is(el, parent)
            ):
                # A birth date is personal data: name the element, not the value.
                shown = "" if parent == "Geboortedatum" else f" {day}"
                yield (
                    path_of(el),
                    f"{parent}/{name}{shown} is later than the Dagtekening {dagtekening}",
                )


# This family's rules, in the order their findings are reported.
RULES: Final[tuple[Rule, ...]] = (TR134,)
