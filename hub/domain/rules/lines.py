"""The product lines of 301, 315 and 317: their classes and where their period starts and ends."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Final

from lxml import etree

from hub.domain.rules.base import RuleContext, parse_date
from hub.domain.xmlcodec import text_of


@dataclass(frozen=True, slots=True)
class LineClass:
    """A product line class and the names of its start and end date elements."""

    name: str
    start: str
    end: str


TOEGEWEZEN: Final = LineClass("ToegewezenProduct", "Ingangsdatum", "Einddatum")
AANGEVRAAGD: Final = LineClass(
    "AangevraagdProduct", "ToewijzingIngangsdatum", "ToewijzingEinddatum"
)
TE_WIJZIGEN: Final = LineClass("TeWijzigenProduct", "GewensteIngangsdatum", "Einddatum")
NIEUW: Final = LineClass("NieuwProduct", "GewensteIngangsdatum", "Einddatum")

# Every line class of a message, by message number.
BY_MESSAGE: Final[Mapping[int, tuple[LineClass, ...]]] = {
    301: (TOEGEWEZEN,),
    315: (AANGEVRAAGD,),
    317: (TE_WIJZIGEN, NIEUW),
}

Line = tuple[LineClass, etree._Element, Mapping[str, etree._Element]]


def lines(ctx: RuleContext, classes: Mapping[int, tuple[LineClass, ...]]) -> Iterator[Line]:
    """Each line of the classes `classes` names for this message, with its children by name.

    Rules on lines read through this one cached list and the cached `fields` of each line, not
    through a tree walk per element name: a message has few lines, and every walk costs.
    """
    for cls in classes.get(ctx.message.number, ()):
        for el in ctx.each(cls.name):
            yield cls, el, ctx.fields(el)


def end_of(cls: LineClass, f: Mapping[str, etree._Element]) -> date | None:
    """The line's end date, or None when absent or not a date."""
    return parse_date(text_of(f.get(cls.end)))


def open_or_ends_after(cls: LineClass, f: Mapping[str, etree._Element], day: date) -> bool:
    """Whether the line has no end date or one after `day`.

    An end date that is present but not a date answers False: the XSD is the verdict for it,
    and a rule conditioned on the end date then says nothing.
    """
    el = f.get(cls.end)
    if el is None:
        return True
    end = parse_date(text_of(el))
    return end is not None and end > day
