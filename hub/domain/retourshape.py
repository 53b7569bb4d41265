"""Where the berichtklassen are: read from a retour's own XSD, and finding locations resolved.

A berichtklasse is an element whose complex type, in the retour schema, has a `RetourCodes`
child (domain.md §2.2). Reading that from the pack's XSD (rather than from the generator's
model) keeps the retour builder right for any pack the loader accepts, official ones too.
Only named complex types declared in the message XSD itself are followed; types from the
basisschema never carry RetourCodes, so they are leaves here.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from lxml import etree

from hub.domain.packs import PackMessage
from hub.domain.xmlcodec import local_name, parse_message

__all__ = ["Shape", "locate", "shape_of"]

_XS: Final = "{http://www.w3.org/2001/XMLSchema}"
RETOUR_CODES: Final = "RetourCodes"
# One location step: an optional prefix, a local name, an optional 1-based position.
_STEP: Final = re.compile(r"(?:[\w.-]+:)?([\w.-]+)(?:\[([1-9][0-9]*)\])?")


@dataclass(frozen=True, slots=True)
class Shape:
    """The complex types of one message schema, by local name."""

    root: str  # type of the Bericht element
    fields: Mapping[str, Mapping[str, str]]  # type -> {child element: its message-local type}
    classes: frozenset[str]  # types with a RetourCodes child

    def child_type(self, type_name: str | None, element: str) -> str | None:
        """The message-local type of child `element` of a `type_name` element, if any."""
        if type_name is None:
            return None
        return self.fields.get(type_name, {}).get(element)

    def is_class(self, type_name: str | None) -> bool:
        return type_name in self.classes


@lru_cache(maxsize=64)
def shape_of(message: PackMessage) -> Shape:
    """The shape of `message`'s XSD (read once per loaded message)."""
    doc = parse_message(message.xsd.read_bytes())
    target = doc.get("targetNamespace")

    def local_type(decl: etree._Element) -> str | None:
        ref = decl.get("type")
        if not ref:
            return None
        prefix, _, name = ref.rpartition(":")
        return name if decl.nsmap.get(prefix or None) == target else None

    fields: dict[str, dict[str, str]] = {}
    classes: set[str] = set()
    for complex_type in doc.iterchildren(f"{_XS}complexType"):
        name = complex_type.get("name")
        if not name:
            continue
        own = fields[name] = {}
        for decl in complex_type.iter(f"{_XS}element"):
            element = decl.get("name")
            if not element or _owner(decl) is not complex_type:
                continue
            if element == RETOUR_CODES:
                classes.add(name)
            elif (type_name := local_type(decl)) is not None:
                own[element] = type_name
    root = next(
        (
            t
            for d in doc.iterchildren(f"{_XS}element")
            if d.get("name") == "Bericht" and (t := local_type(d))
        ),
        None,
    )
    if root is None or root not in fields:
        raise ValueError(f"{message.xsd}: no named root type for <Bericht>")
    return Shape(root, fields, frozenset(classes))


def _owner(decl: etree._Element) -> etree._Element | None:
    """The complexType an element declaration belongs to (skipping sequence/choice)."""
    node = decl.getparent()
    while node is not None and node.tag != f"{_XS}complexType":
        node = node.getparent()
    return node


def locate(root: etree._Element, location: str) -> list[etree._Element]:
    """The elements on `location` ("/Bericht/Client/StartProducten/StartProduct[2]/Begindatum"),
    root first, as far as the path resolves in `root`'s tree (local names, any namespace; a step
    without a position means the first). Empty when the first step is not the root; a step that
    is not an element (`@attr`, `text()`) or does not exist ends the walk."""
    steps = [s for s in location.split("/") if s]
    chain: list[etree._Element] = []
    for i, step in enumerate(steps):
        match = _STEP.fullmatch(step)
        if match is None:
            break
        name, nth = match.group(1), int(match.group(2) or 1)
        if i == 0:
            if local_name(root) != name or nth != 1:
                return []
            chain.append(root)
            continue
        same = chain[-1].iterchildren("{*}" + name)
        found = next(itertools.islice(same, nth - 1, None), None)
        if found is None:
            break
        chain.append(found)
    return chain
