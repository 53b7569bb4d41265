"""What every history fact reader shares: the input error, required values and line places.

The readers of hub.domain.history.facts and hub.domain.history.declaratie_facts both build on
these, so the dependency between the two goes one way (facts reads a 323/325 through
declaratie_facts). An error's text names the element and its location, never its value.
"""

from __future__ import annotations

from datetime import date

from lxml import etree

from hub.domain.rules.base import parse_date, parse_int
from hub.domain.xmlcodec import child, text_of

__all__ = [
    "HistoryInputError",
    "line_elements",
    "required",
    "required_date",
    "toewijzing_nummer",
]


class HistoryInputError(ValueError):
    """The message lacks something every valid message has; run history after levels 1-2.

    The text names the element and its location, never its value.
    """


def toewijzing_nummer(text: str | None) -> str:
    """ToewijzingNummer as stored and compared: an xs:integer, so "012" and "12" are one
    number; "" when absent."""
    if not text:
        return ""
    value = parse_int(text)
    return str(value) if value is not None else text


def required(value: str | None, location: str) -> str:
    """`value`, or HistoryInputError when it is missing or empty."""
    if not value:
        raise HistoryInputError(f"{location} is missing or empty")
    return value


def required_date(el: etree._Element | None, location: str) -> date:
    """The date in `el`, or HistoryInputError when it is missing or not a date."""
    value = parse_date(text_of(el))
    if value is None:
        raise HistoryInputError(f"{location} is missing or not a date")
    return value


def line_elements(
    client: etree._Element | None, container: str, line: str
) -> list[tuple[etree._Element, str]]:
    """The line elements with their locations, written as the rules write them (a position
    only where there are several). Client and its container occur once (the schema says so),
    so the path is known without walking the tree for every line."""
    parent = child(client, container)
    if parent is None:
        return []
    lines = list(parent.iterchildren("{*}" + line))
    base = f"/Bericht/Client/{container}/{line}"
    if len(lines) == 1:
        return [(lines[0], base)]
    return [(el, f"{base}[{i}]") for i, el in enumerate(lines, start=1)]
