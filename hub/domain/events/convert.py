"""The converters of the events' hot path: a plain value to the models' JSON of it, or Slow.

Each converter takes a value as `from_row` would hand it to the models and returns what
`model_dump(mode="json")` would give for it, or raises `Slow` when the value is not plainly
one the model takes as is: the models then decide (and refuse what they refuse). Only exact
types are taken (no subclasses, no strings parsed into dates), so the fast path
(hub.domain.events.wire) never accepts what the models would turn down or write differently.
`Fields` holds one model's fields as converters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Final, TypeAlias
from uuid import UUID

from pydantic import BaseModel


class Slow(Exception):
    """Not a plain value: left to the pydantic models."""


Convert: TypeAlias = Callable[[object], object]


def matching(pattern: str) -> Convert:
    # fullmatch: like the models' (Rust) regex, `$` does not match before a final newline.
    test = re.compile(pattern).fullmatch

    def convert(value: object) -> object:
        if type(value) is str and test(value):
            return value
        raise Slow

    return convert


def optional(inner: Convert) -> Convert:
    def convert(value: object) -> object:
        return None if value is None else inner(value)

    return convert


def uuid_text(value: object) -> object:
    if type(value) is UUID:
        return str(value)
    if type(value) is str and _CANONICAL_UUID(value):
        return value
    raise Slow


_CANONICAL_UUID: Final = re.compile(
    "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
).fullmatch


def utc_datetime(value: object) -> object:
    """UtcDatetime: aware, turned to UTC, written with a Z."""
    if type(value) is not datetime or value.utcoffset() is None:
        raise Slow
    try:
        text = value.astimezone(UTC).isoformat()
    except (OverflowError, ValueError):
        raise Slow from None
    if not text.endswith("+00:00"):
        raise Slow
    return text[:-6] + "Z"


def iso_date(value: object) -> object:
    if type(value) is date:
        return value.isoformat()
    raise Slow


def boolean(value: object) -> object:
    if type(value) is bool:
        return value
    raise Slow


def int_between(low: int, high: int | None = None) -> Convert:
    def convert(value: object) -> object:
        if type(value) is int and value >= low and (high is None or value <= high):
            return value
        raise Slow

    return convert


def one_of(*values: str) -> Convert:
    allowed = frozenset(values)

    def convert(value: object) -> object:
        if type(value) is str and value in allowed:
            return value
        raise Slow

    return convert


def member(enum: type[StrEnum]) -> Convert:
    values = frozenset(m.value for m in enum)

    def convert(value: object) -> object:
        if isinstance(value, enum):
            return value.value
        if type(value) is str and value in values:
            return value
        raise Slow

    return convert


def each(inner: Convert) -> Convert:
    def convert(value: object) -> object:
        if type(value) is not list and type(value) is not tuple:
            raise Slow
        return [inner(v) for v in value]

    return convert


def sorted_unique(inner: Convert) -> Convert:
    """Retourcodes, RuleIds: each checked, then sorted and unique, as the models do."""
    every = each(inner)

    def convert(value: object) -> object:
        return sorted(set(every(value)))  # type: ignore[call-overload]

    return convert


_REQUIRED: Final = object()


class Fields:
    """A model's fields as converters, with the JSON of their defaults."""

    def __init__(self, model: type[BaseModel], converters: Mapping[str, Convert]) -> None:
        declared = model.model_fields
        if set(converters) != set(declared):
            raise RuntimeError(
                f"hub.domain.events.wire: the fast path of {model.__name__} lists "
                f"{sorted(converters)}, "
                f"the model declares {sorted(declared)}: keep them the same"
            )
        self.converters = dict(converters)
        self.defaults: dict[str, object] = {
            name: _REQUIRED
            if info.is_required()
            else converters[name](info.get_default(call_default_factory=True))
            for name, info in declared.items()
        }

    def dump(self, given: Mapping[str, object]) -> dict[str, object]:
        out: dict[str, object] = {}
        for name, convert in self.converters.items():
            if name in given:
                out[name] = convert(given[name])
            else:
                default = self.defaults[name]
                if default is _REQUIRED:
                    raise Slow
                out[name] = default
        return out

    def nested(self, value: object) -> object:
        """A nested model given as a plain dict (extra keys are refused, as the models do)."""
        if type(value) is not dict or not value.keys() <= self.converters.keys():
            raise Slow
        return self.dump(value)
