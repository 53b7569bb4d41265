"""Maximal and minimal instances of every message, built from the schema model (for tests)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Final

from lxml import etree

from hub.domain.messages import MessageType
from hub.ops.packgen.basistypes import basis_types
from hub.ops.packgen.model import Complex, Field, Simple
from hub.ops.packgen.packspec import PackSpec, message_schema

_DIGITS: Final = "0123456789"
_LETTERS: Final = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ACCENTED: Final = "ÀÉëïöüçñ"  # inside À-ỳ, so allowed in Voorletters
# Strings without a maxLength (Commentaar, Versie, Gemeente's digits) get this many characters.
UNBOUNDED_LENGTH: Final = 500


class Kind(StrEnum):
    MAXIMAL = "maximal"
    MINIMAL = "minimal"


@dataclass(frozen=True, slots=True)
class Facets:
    """The effective restriction of one element: its simple type plus any local patterns."""

    name: str  # the simple type's name, or "<Complex>/<Field>" for a local restriction
    base: str  # "xs:string", "xs:integer", "xs:date", "xs:time"
    min_length: int | None
    max_length: int | None
    patterns: tuple[str, ...]
    min_inclusive: int | None
    max_inclusive: int | None
    enumeration: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Leaf:
    """A simple-valued element of an instance: its position in document order and its facets."""

    index: int  # position in `root.iter()` of the instance
    path: str  # /Bericht/Client/Bsn
    facets: Facets


def _resolve(simples: dict[str, Simple], name: str) -> Facets:
    s = simples[name]
    if s.base.startswith("xs:"):
        return Facets(
            s.name,
            s.base,
            s.min_length,
            s.max_length,
            s.patterns,
            s.min_inclusive,
            s.max_inclusive,
            tuple(c.value for c in s.codes),
        )
    parent = _resolve(simples, s.base)
    return replace(parent, name=s.name, patterns=parent.patterns + s.patterns)


def field_facets(simples: dict[str, Simple], owner: str, f: Field) -> Facets:
    if f.type.startswith("xs:"):
        base = Facets(f.type, f.type, None, None, (), None, None, ())
    else:
        base = _resolve(simples, f.type)
    if not f.patterns:
        return base
    return replace(base, name=f"{owner}/{f.name}", patterns=base.patterns + f.patterns)


# --- values ----------------------------------------------------------------------------------

# Per string pattern: the characters a value may be made of, and a fixed length if any.
_ALPHABETS: Final[dict[str, tuple[str, int | None]]] = {
    r".*[^\s].*": (_LETTERS, None),
    r"([.\s]*\S+[.\s]*)+": (_LETTERS, None),
    "[0-9]*": (_DIGITS, None),
    "[0-9]{4}": (_DIGITS, 4),
    "[0-9]{8}": (_DIGITS, 8),
    "[0-9]{9}": (_DIGITS, 9),
    "([a-zA-ZÀ-ỳ])+": (_LETTERS + _ACCENTED, None),
    "([a-zA-Z0-9])+": (_LETTERS + _DIGITS, None),
}
_VERSION: Final = r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
_UUID: Final = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
_LITERAL: Final = re.compile(r"[0-9A-Za-z]+")


def python_pattern(xsd_pattern: str) -> re.Pattern[str]:
    """An XSD pattern as a Python regex (the packs' patterns use nothing Python reads otherwise)."""
    return re.compile(xsd_pattern)


def _string(facets: Facets, kind: Kind) -> str:
    patterns = facets.patterns
    literal = [p for p in patterns if _LITERAL.fullmatch(p)]
    if literal:
        return literal[0]
    if _VERSION in patterns:
        return "1.0.0" if kind is Kind.MINIMAL else "1" + "0" * 20 + ".99.999"
    if _UUID in patterns:
        return "3f2b8c1e-7d4a-4e59-9b06-2c5d8e1f4a73"
    alphabet, fixed = _LETTERS, None
    for p in patterns:
        if p not in _ALPHABETS:
            raise ValueError(f"{facets.name}: no value generator for pattern {p!r}")
        chars, length = _ALPHABETS[p]
        alphabet = "".join(c for c in alphabet if c in chars) or chars
        fixed = length or fixed
    if fixed is not None:
        size = fixed
    elif kind is Kind.MINIMAL:
        size = facets.min_length or 1
    else:
        size = facets.max_length or UNBOUNDED_LENGTH
    return "".join(alphabet[(i * 7 + 3) % len(alphabet)] for i in range(size))


def value(facets: Facets, kind: Kind) -> str:
    """The longest (maximal) or shortest (minimal) value the facets allow."""
    if facets.enumeration:
        values = facets.enumeration
        if kind is Kind.MINIMAL:
            return min(values, key=len)
        return max(reversed(values), key=len)
    literal = [p for p in facets.patterns if _LITERAL.fullmatch(p)]
    if facets.base == "xs:integer":
        if literal:
            return literal[0]
        low = facets.min_inclusive if facets.min_inclusive is not None else 0
        high = facets.max_inclusive if facets.max_inclusive is not None else 10**18
        return str(high if kind is Kind.MAXIMAL else low)
    if facets.base == "xs:date":
        return "2025-12-31" if kind is Kind.MAXIMAL else "2025-01-01"
    if facets.base == "xs:time":
        return "23:59:59.999" if kind is Kind.MAXIMAL else "00:00:00"
    return _string(facets, kind)


# --- instances -------------------------------------------------------------------------------


class Model:
    """The types of one message of one pack, with the namespace each type's elements live in."""

    def __init__(self, spec: PackSpec, mt: MessageType) -> None:
        ms = message_schema(spec, mt)
        self.spec, self.message = spec, mt
        self.namespace = ms.namespace
        simples, complexes = basis_types(spec.standard)
        self.simples = {s.name: s for s in (*simples, *ms.body.simples)}
        self.complexes: dict[str, tuple[Complex, str]] = {
            c.name: (c, spec.basis_namespace) for c in complexes
        }
        self.complexes.update({c.name: (c, ms.namespace) for c in ms.complexes()})

    def is_complex(self, f: Field) -> bool:
        return f.type in self.complexes

    def fields(self) -> Iterator[tuple[str, Field]]:
        """Every (owner type, field) reachable from Root, each owner type once."""
        seen: set[str] = set()
        todo = ["Root"]
        while todo:
            name = todo.pop(0)
            if name in seen:
                continue
            seen.add(name)
            for f in self.complexes[name][0].fields:
                yield name, f
                if self.is_complex(f):
                    todo.append(f.type)


def build(model: Model, kind: Kind) -> tuple[etree._Element, list[Leaf]]:
    """The instance of `kind` and its simple-valued leaves (document order)."""
    nsmap: dict[Any, str] = {None: model.namespace, model.spec.prefix: model.spec.basis_namespace}
    root = etree.Element(f"{{{model.namespace}}}Bericht", nsmap=nsmap)
    pending: list[tuple[etree._Element, str, Facets]] = []

    def fill(parent: etree._Element, type_name: str, path: str) -> None:
        complex_, namespace = model.complexes[type_name]
        for f in complex_.fields:
            count = f.min if kind is Kind.MINIMAL else (2 if f.max != 1 else 1)
            for _ in range(count):
                child = etree.SubElement(parent, f"{{{namespace}}}{f.name}")
                here = f"{path}/{f.name}"
                if model.is_complex(f):
                    fill(child, f.type, here)
                else:
                    facets = field_facets(model.simples, type_name, f)
                    child.text = value(facets, kind)
                    pending.append((child, here, facets))

    fill(root, "Root", "/Bericht")
    positions = {id(e): i for i, e in enumerate(root.iter())}
    leaves = [Leaf(positions[id(e)], path, facets) for e, path, facets in pending]
    return root, leaves


def serialize(root: etree._Element) -> bytes:
    body: bytes = etree.tostring(root, encoding="UTF-8", xml_declaration=True)
    return body


def instance(spec: PackSpec, mt: MessageType, kind: Kind) -> bytes:
    """The maximal or minimal instance of `mt` in `spec`'s pack, as bytes."""
    return serialize(build(Model(spec, mt), kind)[0])


# --- mutations -------------------------------------------------------------------------------

# A value that breaks each string pattern while keeping a length the other facets allow.
_BREAKERS: Final[dict[str, str]] = {
    r".*[^\s].*": " ",
    r"([.\s]*\S+[.\s]*)+": " ",
    "[0-9]*": "12a",
    "[0-9]{4}": "12a4",
    "[0-9]{8}": "1234567a",
    "[0-9]{9}": "12345678a",
    "([a-zA-ZÀ-ỳ])+": "A1",
    "([a-zA-Z0-9])+": "AB-1",
    _VERSION: "1.0",
    _UUID: "3f2b8c1e-7d4a-3e59-9b06-2c5d8e1f4a73",
    "[^:Z]*": "2025-01-01Z",
    "[^Z+-]+": "10:00:00Z",
}


@dataclass(frozen=True, slots=True)
class Mutation:
    facet: str  # "maxLength", "enumeration", "pattern", …
    value: str


def mutations(facets: Facets) -> list[Mutation]:
    """One value per facet of `facets` that only just breaks that facet."""
    out: list[Mutation] = []
    ok = value(facets, Kind.MAXIMAL)
    if facets.max_length is not None:
        out.append(Mutation("maxLength", (ok * (facets.max_length + 1))[: facets.max_length + 1]))
    if facets.min_length:
        out.append(Mutation("minLength", ok[: facets.min_length - 1]))
    if facets.max_inclusive is not None:
        out.append(Mutation("maxInclusive", str(facets.max_inclusive + 1)))
    if facets.min_inclusive is not None:
        out.append(Mutation("minInclusive", str(facets.min_inclusive - 1)))
    if facets.enumeration:
        width = facets.max_length or max(len(v) for v in facets.enumeration)
        candidates = ("99", "98", "00", "ZZ", "X", "9", "0", "Q")
        outside = next(c for c in candidates if c not in facets.enumeration and len(c) <= width)
        out.append(Mutation("enumeration", outside))
    for p in facets.patterns:
        if _LITERAL.fullmatch(p):
            out.append(Mutation("pattern", str(int(p) + 1) if p.isdigit() else p + "X"))
        else:
            out.append(Mutation("pattern", _BREAKERS[p]))
    return out
