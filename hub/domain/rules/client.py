"""Client rules: birth dates (TR002 age, CS139 placeholders) and the interpreter (CD007)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from functools import lru_cache
from typing import Final

from lxml import etree

from hub.domain.rules.base import (
    Rule,
    RuleContext,
    is_named,
    names,
    parent_is,
    parse_date,
    path_of,
    rule,
)
from hub.domain.xmlcodec import child, text_of

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


@lru_cache(maxsize=64)
def _oldest_birth_day(dagtekening: str) -> str | None:
    """The oldest allowed Geboortedatum for a Dagtekening, as YYYY-MM-DD text (one per day)."""
    day = parse_date(dagtekening)
    if day is None or day.year <= _MAX_AGE_YEARS:
        return None
    return years_before(day, _MAX_AGE_YEARS).isoformat()


@rule(
    "TR002",
    "Geboortedatum mag niet meer dan 120 jaar voor de Dagtekening liggen, tenzij onbekend",
    names(301, 305, 307, 315),
)
def TR002(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    dagtekening = ctx.dagtekening_text
    if dagtekening is None:
        return
    oldest = _oldest_birth_day(dagtekening)
    if oldest is None:
        return
    texts = ctx.texts("Datum")
    if not texts or min(texts) >= oldest:
        return  # the usual message: every date is recent enough, settled in one C call
    # Every Geboortedatum: the Client's, and in a 301 each Relatie's (rules.md §6 reading 4).
    for i, datum in enumerate(ctx.each("Datum")):
        text = texts[i]
        # YYYY-MM-DD texts order as their dates do: a birth date at or after the oldest
        # allowed day is settled without parsing; only an older one is parsed and placed.
        if text >= oldest:
            continue
        if parse_date(text) is None or not parent_is(datum, "Geboortedatum"):
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
    # Reuses TR002's cached Datum list: DatumGebruik, when present, is Datum's next sibling
    # (CDT_Geboortedatum is a sequence), so a message without one costs a sibling step.
    for datum in ctx.each("Datum"):
        gebruik = datum.getnext()
        if (
            gebruik is None
            or not is_named(gebruik, "DatumGebruik")
            or not parent_is(datum, "Geboortedatum")
        ):
            continue
        value = text_of(gebruik) or ""
        wanted = _PLACEHOLDERS.get(value)
        text = text_of(datum)
        if wanted is None or parse_date(text) is None:
            continue  # no placeholder announced, or a malformed date the XSD refuses
        start, placeholder = wanted
        if text is not None and text[start:] != placeholder:
            # The date itself is personal data: name the expected form instead.
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
    # Communicatie is a child of the Client only: two cached child lookups, no tree walk.
    communicatie = ctx.fields(ctx.fields(root).get("Client")).get("Communicatie")
    if communicatie is None:
        return
    f = ctx.fields(communicatie)
    vorm = f.get("Vorm")
    is_tolk_taal = text_of(vorm) == _TOLK_TAAL
    if is_tolk_taal and "Taal" not in f:
        yield path_of(communicatie), "Communicatie/Taal must be filled when Communicatie/Vorm is 1"
    elif "Taal" in f and not is_tolk_taal:
        yield (
            path_of(communicatie),
            f"Communicatie/Taal must be absent when Communicatie/Vorm is {text_of(vorm)!r}",
        )


# This family's rules, in the order their findings are reported.
RULES: Final[tuple[Rule, ...]] = (TR002, CS139, CD007)
