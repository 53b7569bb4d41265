"""Client rules: birth dates (TR002 age, CS139 placeholders) and the interpreter (CD007)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Final

from lxml import etree

from hub.rules.base import Rule, RuleContext, names, parse_date, path_of, rule
from hub.xmlcodec import child, text_of

_MAX_AGE_YEARS: Final = 120
_UNKNOWN: Final = "3"  # DatumGebruik 3: birth date entirely unknown, Datum is a placeholder
# DatumGebruik → (where in YYYY-MM-DD the placeholder starts, the placeholder) (IV009).
_PLACEHOLDERS: Final[dict[str, tuple[int, str]]] = {
    "1": (8, "01"),  # day unknown
    "2": (5, "01-01"),  # day and month unknown
    "3": (0, "1900-01-01"),  # all unknown
}
_TOLK_TAAL: Final = "1"  # Communicatie/Vorm 1: an interpreter for a spoken language


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
    # Every Geboortedatum: the Client's, and in a 301 each Relatie's (rules.md §6 reading 4).
    for datum in ctx.under("Geboortedatum", "Datum"):
        day = parse_date(text_of(datum))
        if day is None or day >= oldest:
            continue
        if text_of(child(datum.getparent(), "DatumGebruik")) != _UNKNOWN:
            yield (
                path_of(datum),
                f"Geboortedatum lies more than {_MAX_AGE_YEARS} years before the Dagtekening",
            )


@rule(
    "CS139",
    "Als DatumGebruik gevuld is, moet Datum de bijbehorende standaardwaarden bevatten",
    names(301, 305, 307, 315),
)
def CS139(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    # Most birth dates carry no DatumGebruik: this list is usually empty.
    for gebruik in ctx.under("Geboortedatum", "DatumGebruik"):
        value = text_of(gebruik) or ""
        wanted = _PLACEHOLDERS.get(value)
        datum = child(gebruik.getparent(), "Datum")
        text = text_of(datum)
        if wanted is None or datum is None or parse_date(text) is None:
            continue  # no placeholder announced, or a malformed date the XSD refuses
        start, placeholder = wanted
        if text is not None and text[start:] != placeholder:
            # The date itself is personal data: name the expected placeholder instead.
            yield (
                path_of(datum),
                f"Geboortedatum/Datum must have the form {'YYYY-MM-DD'[:start] + placeholder} "
                f"when DatumGebruik is {value}",
            )


@rule(
    "CD007",
    "Communicatie/Taal moet gevuld zijn als Communicatie/Vorm 1 is, en anders leeg",
    names(301),
)
def CD007(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    for vorm in ctx.under("Communicatie", "Vorm"):
        communicatie = vorm.getparent()
        has_taal = child(communicatie, "Taal") is not None
        is_tolk_taal = text_of(vorm) == _TOLK_TAAL
        if is_tolk_taal and not has_taal:
            yield path_of(vorm), "Communicatie/Taal must be filled when Communicatie/Vorm is 1"
        elif has_taal and not is_tolk_taal and communicatie is not None:
            yield (
                path_of(communicatie),
                f"Communicatie/Taal must be absent when Communicatie/Vorm is {text_of(vorm)!r}",
            )


# This family's rules, in the order their findings are reported.
RULES: Final[tuple[Rule, ...]] = (TR002, CS139, CD007)
