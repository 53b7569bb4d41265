"""The hot path of the events: an event's Kafka record (key, JSON, headers) without pydantic.

The core publishes an event or more per message, so `hub.domain.events.to_outbox` first asks
`fast_event` here, which checks plain values against the same patterns as the models
(hub.domain.events.data) and writes them byte for byte as the models would
(tests/test_events_fast.py holds it to that). Owns the converters, the per-type field
tables (`FAST`) and `fast_event`.

Each converter takes a value as `from_row` would hand it to the models and returns what
`model_dump(mode="json")` would give for it, or raises `Slow` when the value is not plainly
one the model takes as is: the models then decide (and refuse what they refuse). Only exact
types are taken (no subclasses, no strings parsed into dates), so the fast path never
accepts what the models would turn down or write differently.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Final, TypeAlias, cast
from uuid import UUID

from pydantic import BaseModel

from hub.domain.events.data import (
    BERICHT_CODE_PATTERN,
    BSN_SHAPE,
    CATEGORY_PATTERN,
    CODE_PATTERN,
    IDENTIFICATIE_PATTERN,
    LOCATION_PATTERN,
    PARTY_PATTERN,
    PERSON_PATTERN,
    REFERENTIE_PATTERN,
    RELEASE_PATTERN,
    RETOURCODE_PATTERN,
    RULE_ID_PATTERN,
    TOEWIJZING_NUMMER_PATTERN,
    TYPE_NAME_PATTERN,
    AcceptedData,
    DeliveredData,
    DownloadedData,
    EbLateStartData,
    EbNoticeData,
    EbNoticeRejectedData,
    EigenBijdrageEntry,
    FindingRef,
    ParkedData,
    RejectedData,
    ReleasedData,
    RequestOverdueData,
    RetourOverdueData,
    RetourReceivedData,
    ReturnedData,
    ToewijzingSignalData,
)
from hub.domain.events.models import JSON_ENCODER, SCHEMA, EventType, MessageRowLike, row_data
from hub.domain.freeze import Phase
from hub.domain.headers import H
from hub.domain.messages import Node, Standard


class Slow(Exception):
    """Not a plain value: left to the pydantic models."""


_Convert: TypeAlias = Callable[[object], object]


def _matching(pattern: str) -> _Convert:
    # fullmatch: like the models' (Rust) regex, `$` does not match before a final newline.
    test = re.compile(pattern).fullmatch

    def convert(value: object) -> object:
        if type(value) is str and test(value):
            return value
        raise Slow

    return convert


def _optional(inner: _Convert) -> _Convert:
    def convert(value: object) -> object:
        return None if value is None else inner(value)

    return convert


def _uuid(value: object) -> object:
    if type(value) is UUID:
        return str(value)
    if type(value) is str and _CANONICAL_UUID(value):
        return value
    raise Slow


_CANONICAL_UUID: Final = re.compile(
    "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
).fullmatch


def _utc_datetime(value: object) -> object:
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


def _date(value: object) -> object:
    if type(value) is date:
        return value.isoformat()
    raise Slow


def _bool(value: object) -> object:
    if type(value) is bool:
        return value
    raise Slow


def _int_between(low: int, high: int | None = None) -> _Convert:
    def convert(value: object) -> object:
        if type(value) is int and value >= low and (high is None or value <= high):
            return value
        raise Slow

    return convert


def _one_of(*values: str) -> _Convert:
    allowed = frozenset(values)

    def convert(value: object) -> object:
        if type(value) is str and value in allowed:
            return value
        raise Slow

    return convert


def _member(enum: type[StrEnum]) -> _Convert:
    values = frozenset(m.value for m in enum)

    def convert(value: object) -> object:
        if isinstance(value, enum):
            return value.value
        if type(value) is str and value in values:
            return value
        raise Slow

    return convert


def _each(inner: _Convert) -> _Convert:
    def convert(value: object) -> object:
        if type(value) is not list and type(value) is not tuple:
            raise Slow
        return [inner(v) for v in value]

    return convert


def _sorted_unique(inner: _Convert) -> _Convert:
    """Retourcodes, RuleIds: each checked, then sorted and unique, as the models do."""
    each = _each(inner)

    def convert(value: object) -> object:
        return sorted(set(each(value)))  # type: ignore[call-overload]

    return convert


_REQUIRED: Final = object()


class _Fields:
    """A model's fields as converters, with the JSON of their defaults."""

    def __init__(self, model: type[BaseModel], converters: Mapping[str, _Convert]) -> None:
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


_PARTY_JSON: Final = _matching(PARTY_PATTERN)
_TYPE_NAME_JSON: Final = _matching(TYPE_NAME_PATTERN)
_RELEASE_JSON: Final = _matching(RELEASE_PATTERN)
_RETOURCODES_JSON: Final = _sorted_unique(_matching(RETOURCODE_PATTERN))
_CODE_JSON: Final = _optional(_matching(CODE_PATTERN))
_CATEGORY_JSON: Final = _optional(_matching(CATEGORY_PATTERN))
_NODE_JSON: Final = _member(Node)
_PLAIN_REFERENTIE: Final = _matching(REFERENTIE_PATTERN)


def _referentie(value: object) -> object:
    """Referentie: the pattern, and never the shape of a BSN (the models refuse that too)."""
    if BSN_SHAPE.search(cast(str, _PLAIN_REFERENTIE(value))):
        raise Slow
    return value


_FINDING: Final = _Fields(
    FindingRef,
    {
        "rule": _matching(RULE_ID_PATTERN),
        "retourcode": _optional(_matching(RETOURCODE_PATTERN)),
        "level": _int_between(1, 4),
        "location": _matching(LOCATION_PATTERN),
    },
)
_ENTRY: Final = _Fields(
    EigenBijdrageEntry,
    {
        "melding_id": _uuid,
        "status": _one_of("1", "2", "3"),
        "begindatum": _date,
        "einddatum": _optional(_date),
    },
)
_SIGNAL: Final = {
    "toewijzing_nummer": _matching(TOEWIJZING_NUMMER_PATTERN),
    "categorie": _CATEGORY_JSON,
    "ingangsdatum": _date,
    "einddatum": _optional(_date),
    "due": _date,
}
FAST: Final[Mapping[EventType, _Fields]] = {
    EventType.ACCEPTED: _Fields(
        AcceptedData,
        {"expects": _optional(_TYPE_NAME_JSON), "deadline": _optional(_utc_datetime)},
    ),
    EventType.REJECTED: _Fields(
        RejectedData,
        {
            "retourcodes": _RETOURCODES_JSON,
            "rules": _sorted_unique(_matching(RULE_ID_PATTERN)),
            "findings": _each(_FINDING.nested),
            "retour_id": _optional(_uuid),
            "stage": _CODE_JSON,
            "error": _CODE_JSON,
            "dead_lettered": _bool,
        },
    ),
    EventType.DELIVERED: _Fields(DeliveredData, {"node": _NODE_JSON, "inbox": _PARTY_JSON}),
    EventType.DOWNLOADED: _Fields(DownloadedData, {"node": _NODE_JSON, "by": _PARTY_JSON}),
    EventType.RETOUR_RECEIVED: _Fields(
        RetourReceivedData,
        {
            "heen_id": _uuid,
            "heen_message_type": _optional(_TYPE_NAME_JSON),
            "retourcodes": _RETOURCODES_JSON,
            "deadline": _optional(_utc_datetime),
            "late": _optional(_bool),
        },
    ),
    EventType.RETOUR_OVERDUE: _Fields(
        RetourOverdueData,
        {
            "expects": _optional(_TYPE_NAME_JSON),
            "deadline": _utc_datetime,
            "received_at": _optional(_utc_datetime),
        },
    ),
    EventType.REQUEST_OVERDUE: _Fields(
        RequestOverdueData,
        {
            "bericht_code": _matching(BERICHT_CODE_PATTERN),
            "referentie": _optional(_referentie),
            "clock": _one_of("answer", "final"),
            "deadline": _utc_datetime,
            "received_at": _optional(_utc_datetime),
        },
    ),
    EventType.EB_NOTICE: _Fields(
        EbNoticeData,
        {
            "source_id": _uuid,
            "identificatie": _matching(IDENTIFICATIE_PATTERN),
            "entries": _each(_ENTRY.nested),
        },
    ),
    EventType.EB_NOTICE_REJECTED: _Fields(
        EbNoticeRejectedData,
        {"heen_id": _uuid, "retourcodes": _RETOURCODES_JSON, "melding_ids": _each(_uuid)},
    ),
    EventType.EB_LATE_START: _Fields(
        EbLateStartData,
        {
            "begindatum": _date,
            "werkdagen": _int_between(0),
            "allowed": _int_between(0),
            "route": _one_of("405", "407"),
            "categorie": _CATEGORY_JSON,
            "location": _matching(LOCATION_PATTERN),
        },
    ),
    EventType.SIGNAL_NO_START: _Fields(ToewijzingSignalData, _SIGNAL),
    EventType.SIGNAL_NO_STOP: _Fields(ToewijzingSignalData, _SIGNAL),
    EventType.PARKED: _Fields(
        ParkedData,
        {
            "kind": _one_of("new-release", "old-release"),
            "phase": _member(Phase),
            "from_release": _RELEASE_JSON,
            "to_release": _RELEASE_JSON,
            "until": _utc_datetime,
        },
    ),
    EventType.RELEASED: _Fields(
        ReleasedData,
        {"released_as": _optional(_uuid), "to_release": _RELEASE_JSON, "cutover": _utc_datetime},
    ),
    EventType.RETURNED: _Fields(
        ReturnedData,
        {
            "node": _NODE_JSON,
            "inbox": _PARTY_JSON,
            "to_release": _RELEASE_JSON,
            "cutover": _utc_datetime,
        },
    ),
}


_FITS_CACHED: Final = 256  # envelope values repeat (types, releases, parties): remember some


def _fitting(convert: _Convert) -> _Convert:
    """`_fits` for the hot path: a string that does not fit is null; another type is Slow."""
    seen: dict[str, object] = {}

    def fits(value: object) -> object:
        if value is None:
            return None
        if type(value) is not str:
            raise Slow
        if value in seen:
            return seen[value]
        try:
            fitting = convert(value)
        except Slow:
            fitting = None
        if len(seen) < _FITS_CACHED:
            seen[value] = fitting
        return fitting

    return fits


_FITS_TYPE_NAME: Final = _fitting(_TYPE_NAME_JSON)
_FITS_STANDARD: Final = _fitting(_member(Standard))
_FITS_RELEASE: Final = _fitting(_RELEASE_JSON)
_FITS_PARTY: Final = _fitting(_PARTY_JSON)
_FITS_NODE: Final = _fitting(_NODE_JSON)
_FITS_PERSON: Final = _fitting(_matching(PERSON_PATTERN))


def fast_event(
    type_: EventType,
    row: MessageRowLike,
    data: Mapping[str, object] | None,
    occurred_at: datetime,
    event_id: UUID,
) -> tuple[bytes, bytes, dict[str, str]]:
    """Key, JSON and headers of the event `from_row` would build; Slow when unsure."""
    message_id = str(_uuid(row.id))
    message_type = cast("str | None", _FITS_TYPE_NAME(row.message_type))
    body = {
        "schema": SCHEMA,
        "id": _uuid(event_id),
        "occurred_at": _utc_datetime(occurred_at),
        "message_id": message_id,
        "message_type": message_type,
        "standard": _FITS_STANDARD(row.standard),
        "release": _FITS_RELEASE(row.release),
        "sender": _FITS_PARTY(row.sender),
        "receiver": _FITS_PARTY(row.receiver),
        "node": _FITS_NODE(row.source_node or None),
        "person": _FITS_PERSON(row.person_key),
        "type": type_.value,
        "data": FAST[type_].dump(row_data(type_, row, data)),
    }
    headers = {_MESSAGE_ID_HEADER: message_id}
    if message_type:
        headers[_MESSAGE_TYPE_HEADER] = message_type
    return message_id.encode(), JSON_ENCODER.encode(body).encode(), headers


_MESSAGE_ID_HEADER: Final = H.MESSAGE_ID.value
_MESSAGE_TYPE_HEADER: Final = H.MESSAGE_TYPE.value
