"""Reading a parsed message: elements by local name, their text, and the routing envelope.

Only for trees that came through the door (`hub.domain.xmlcodec.parse_message`); nothing here
parses or validates. `hub.domain.xmlcodec` re-exports every public name, so readers keep one
import for XML.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from lxml import etree

from hub.domain.messages import Standard

__all__ = [
    "Envelope",
    "child",
    "child_text",
    "children_by_name",
    "local_name",
    "read_envelope",
    "text_of",
]

# Elements are looked up by local name in any namespace: children of basisschema types (e.g.
# BerichtIdentificatie/Identificatie) may be qualified with the basisschema namespace rather
# than the message's, and XSD validation, not reading, is what polices namespaces.


def local_name(el: etree._Element) -> str:
    tag: object = el.tag
    if not isinstance(tag, str):  # comments and processing instructions
        return ""
    return tag[tag.find("}") + 1 :]


def child(el: etree._Element | None, name: str) -> etree._Element | None:
    """The first child element with local name `name`, or None."""
    if el is None:
        return None
    return next(el.iterchildren("{*}" + name), None)


# Local names of the tags seen, so most children cost one dict lookup instead of a find and
# a slice. The schemas' vocabulary is a few thousand tags; the bound keeps hostile input
# (read before XSD validation) from growing it without end.
_LOCAL_NAMES: Final[dict[str, str]] = {}
_LOCAL_NAMES_MAX: Final = 8192


def children_by_name(el: etree._Element | None) -> dict[str, etree._Element]:
    """The child elements of `el` by local name (the first of each name); {} for None.

    One pass over the children: cheaper than a wildcard lookup per wanted child once more
    than two or three children are read (the header, a product line).
    """
    found: dict[str, etree._Element] = {}
    if el is None:
        return found
    known = _LOCAL_NAMES
    for c in el:
        tag = c.tag
        name = known.get(tag) if type(tag) is str else ""
        if name is None:
            name = tag[tag.find("}") + 1 :]
            if len(known) < _LOCAL_NAMES_MAX:
                known[tag] = name
        # "": comments and processing instructions (their tags are not strings).
        if name and name not in found:
            found[name] = c
    return found


def text_of(el: etree._Element | None) -> str | None:
    """The stripped text of a simple element (ignoring comments inside it), or None."""
    if el is None:
        return None
    if len(el):
        return "".join(str(t) for t in el.itertext()).strip()
    return (el.text or "").strip()


def child_text(el: etree._Element | None, *path: str) -> str | None:
    """Text at a path of local names below `el`; None when any step is missing."""
    for name in path:
        el = child(el, name)
    return text_of(el)


@dataclass(frozen=True, slots=True)
class Envelope:
    """What routing needs from a message, read without schema validation."""

    namespace: str | None
    standard: Standard | None  # from the namespace; None when it does not fit the pattern
    release: str | None  # "3.2"
    segment: str | None  # "wmo305"
    bericht_code: str | None
    bericht_versie: str | None
    bericht_subversie: str | None
    afzender: str | None
    ontvanger: str | None
    identificatie: str | None
    dagtekening: str | None
    identificatie_retour: str | None  # retours only
    dagtekening_retour: str | None  # retours only
    declaratie_identificatie: str | None  # 325 only: the 323 it answers
    declaratie_dagtekening: str | None  # 325 only

    @property
    def message_name(self) -> str | None:
        """Catalogue-style name ("WMO305") derived from the namespace segment."""
        return self.segment.upper() if self.segment else None


_NAMESPACE: Final = re.compile(
    r"http://www\.istandaarden\.nl/([a-z]+)/([0-9]+)_([0-9]+)/([a-z]+[0-9]+)/schema"
)
_STANDARDS: Final = {s.value: s for s in Standard}


def read_envelope(
    root: etree._Element, header: Mapping[str, etree._Element] | None = None
) -> Envelope:
    """Read the routing envelope; every part that is missing comes back as None. `header` is
    `children_by_name` of the root's Header when the caller has read it already."""
    tag = root.tag if isinstance(root.tag, str) else ""
    namespace = tag[1 : tag.find("}")] if tag.startswith("{") else None
    standard = release = segment = None
    match = _NAMESPACE.fullmatch(namespace) if namespace else None
    if match and match.group(1) in _STANDARDS:
        standard = _STANDARDS[match.group(1)]
        release = f"{int(match.group(2))}.{int(match.group(3))}"
        segment = match.group(4)
    if header is None:
        header = children_by_name(child(root, "Header"))
    ident = children_by_name(header.get("BerichtIdentificatie"))
    declaratie = children_by_name(header.get("DeclaratieIdentificatie"))
    return Envelope(
        namespace=namespace,
        standard=standard,
        release=release,
        segment=segment,
        bericht_code=text_of(header.get("BerichtCode")),
        bericht_versie=text_of(header.get("BerichtVersie")),
        bericht_subversie=text_of(header.get("BerichtSubversie")),
        afzender=text_of(header.get("Afzender")),
        ontvanger=text_of(header.get("Ontvanger")),
        identificatie=text_of(ident.get("Identificatie")),
        dagtekening=text_of(ident.get("Dagtekening")),
        identificatie_retour=text_of(header.get("IdentificatieRetour")),
        dagtekening_retour=text_of(header.get("DagtekeningRetour")),
        declaratie_identificatie=text_of(declaratie.get("Identificatie")),
        declaratie_dagtekening=text_of(declaratie.get("Dagtekening")),
    )
