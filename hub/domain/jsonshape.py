"""The JSON view's shape check: every value of a JSON upload has the JSON type its element has
(an object for an element with children, a list exactly for an element that may repeat, a
number for an xs:integer, a string for any other value), said in sentences a person reads.

hub/domain/jsonview.py runs it before xmlschema encodes the object. xmlschema is lenient where
docs/json.md is not (it takes `"Bsn": ["…"]` for one Bsn, or one object for a repeating element)
and, where it does refuse a value of the wrong type, it says so in Python's words
("Date.__init__() missing 2 required positional arguments"). A sentence never repeats the value:
it may be a BSN or a birth date.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any, Final

from xmlschema.validators import XsdAtomicBuiltin, XsdElement

_XS: Final = "{http://www.w3.org/2001/XMLSchema}"
_INTEGERS: Final = frozenset(
    f"{_XS}{n}"
    for n in ("integer", "int", "long", "short", "byte", "nonNegativeInteger",
              "positiveInteger", "nonPositiveInteger", "negativeInteger", "unsignedLong",
              "unsignedInt", "unsignedShort", "unsignedByte")
)  # fmt: skip
# docs/json.md's one leniency: an integer may come as a JSON string of digits.
_DIGITS: Final = re.compile(r"-?[0-9]+")

# Per complex type (by id, the type kept beside it so an id is never reused while cached): its
# child elements by local name. One per JsonView.
Decls = dict[int, tuple[Any, dict[str, XsdElement]]]


def _children(cache: Decls, xsd_type: Any) -> dict[str, XsdElement]:
    hit = cache.get(id(xsd_type))
    if hit is not None and hit[0] is xsd_type:
        return hit[1]
    group = xsd_type.model_group
    found = {} if group is None else {
        e.local_name: e for e in group.iter_elements()
        if isinstance(e, XsdElement) and e.local_name
    }  # fmt: skip
    cache[id(xsd_type)] = (xsd_type, found)
    return found


def _builtin(xsd_type: Any) -> str:
    """The XSD built-in type a simple type restricts, e.g. `{…XMLSchema}date`."""
    while not isinstance(xsd_type, XsdAtomicBuiltin) and xsd_type.base_type is not None:
        xsd_type = xsd_type.base_type
    return str(xsd_type.name)


def is_integer(xsd_type: Any) -> bool:
    """Whether a simple type's values are xs:integer ones (a JSON number in the view)."""
    return _builtin(xsd_type) in _INTEGERS


# How a string value of these built-in types is written, as the sentences say it.
_WRITTEN: Final = {f"{_XS}date": 'a date, a JSON string such as "2025-01-31"',
                   f"{_XS}time": 'a time, a JSON string such as "13:45:00"'}  # fmt: skip


def _kind(value: Any) -> str:
    """The JSON type of a value as a person calls it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, Decimal | float):
        return "a decimal number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _value_problem(name: str, decl: XsdElement, value: Any) -> str | None:
    """Why one item (never a list) cannot be the value of `decl`, or None."""
    xsd_type: Any = decl.type
    if xsd_type.is_complex():
        if xsd_type.has_simple_content() or xsd_type.mixed:
            return None  # none in the packs; xmlschema judges such a value itself
        if isinstance(value, dict):
            return None
        return f"{name} holds elements, so its value is an object, not {_kind(value)}"
    if is_integer(xsd_type):
        if isinstance(value, int) and not isinstance(value, bool):
            return None
        if isinstance(value, str) and _DIGITS.fullmatch(value):
            return None
        return f"{name} is a whole number (a JSON number), not {_kind(value)}"
    if isinstance(value, str):
        return None
    written = _WRITTEN.get(_builtin(xsd_type), "text, a JSON string (also when it holds digits)")
    return f"{name} is {written}, not {_kind(value)}"


def problems(
    cache: Decls, decl: XsdElement, value: Mapping[str, Any], path: str
) -> Iterator[tuple[str, str]]:
    """(location, sentence) of every value in `value`, the content of `decl` at `path`, whose
    JSON type or list-ness is not its element's. Unknown keys are left to the encoder."""
    children = _children(cache, decl.type) if decl.type.is_complex() else {}
    for key, item in value.items():
        child = children.get(key)
        if child is None:
            continue
        where = f"{path}/{key}"
        single = child.is_single()
        if isinstance(item, list) and single:
            yield where, f"{key} occurs at most once, so its value is never a list"
            continue
        if not isinstance(item, list) and not single:
            yield where, f"{key} may repeat, so its value is always a list, also with one item"
            continue
        items = item if isinstance(item, list) else [item]
        for n, one in enumerate(items, 1):
            here = f"{where}[{n}]" if len(items) > 1 else where
            if isinstance(one, list):
                yield here, f"an item of {key} is one value, never a list"
                continue
            problem = _value_problem(key, child, one)
            if problem is not None:
                yield here, problem
            elif isinstance(one, dict):
                yield from problems(cache, child, one, here)
