"""Client rules: a known birth date lies at most 120 years before the Dagtekening (TR002)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Final

from lxml import etree

from hub.rules.base import Rule, RuleContext, is_named, names, parse_date, path_of, rule
from hub.xmlcodec import child, text_of

_MAX_AGE_YEARS: Final = 120
_UNKNOWN: Final = "3"  # DatumGebruik 3: birth date entirely unknown, Datum is a placeholder


def years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier; 29 February falls back to the 28th."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


@rule(
    "TR002",
    "Geboortedatum mag niet meer dan 120 jaar voor de Dagtekening liggen, tenzij onbekend",
    names(301, 305, 307, 315),
)
def TR002(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    dagtekening = ctx.dagtekening
    if dagtekening is None or dagtekening.year <= _MAX_AGE_YEARS:
        return
    oldest = years_before(dagtekening, _MAX_AGE_YEARS)
    for datum in ctx.under("Geboortedatum", "Datum"):
        birth = datum.getparent()
        if birth is None or not is_named(birth.getparent(), "Client"):
            continue  # a Relatie's birth date is not what TR002 is about
        day = parse_date(text_of(datum))
        if day is None or day >= oldest:
            continue
        if text_of(child(birth, "DatumGebruik")) != _UNKNOWN:
            yield (
                path_of(datum),
                f"Geboortedatum lies more than {_MAX_AGE_YEARS} years before the Dagtekening",
            )


# This family's rules, in the order their findings are reported.
RULES: Final[tuple[Rule, ...]] = (TR002,)
