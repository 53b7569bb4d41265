"""Versioned JSON domain events for integrators on the events topic (schema isd-hub.event/1).

Every event is one JSON object: a common envelope (which message, of which kind, between which
parties, through which node, when) and a `data` object whose shape depends on `type`. The
JSON Schema (`event_json_schema`, checked in as docs/events.schema.json) is the contract;
`schema` changes to "isd-hub.event/2" only for an incompatible change, new optional fields
and new event types are added within version 1.

No personal data, ever: no BSN, name, birth date or address, and no free-text sentences
(which could quote them). A person is identified only by `person`, the keyed hash of
`hub.domain.privacy.person_key`; rejections carry retourcodes, rule ids and element paths. The
models enforce this with patterns on every string, and refuse unknown fields.

This module is the events' public face, and owns turning the ledger's rows into events and
outbox records (`from_row`, `overdue_event`, `to_record`, `to_outbox`, `overdue_to_outbox`,
`request_overdue_event`, `request_overdue_to_outbox`).
It re-exports the models, so callers need only `hub.domain.events`. The rest lives in:
- hub.domain.events.data: the field patterns and types, and the `data` model of each event type;
- hub.domain.events.models: `EventType`, the envelope and event models, `parse_event`, the schema;
- hub.domain.events.wire: the hot path, an event's record without pydantic (`to_outbox` uses it);
- hub.domain.events.convert: the hot path's value converters, and `Slow` when one gives up.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final, Protocol
from uuid import UUID, uuid4

from pydantic import TypeAdapter

from hub.domain.events.convert import Slow
from hub.domain.events.data import (
    AcceptedData,
    AdvisoryFindingData,
    CategoryCode,
    Code,
    ConflictPrestatie,
    DeliveredData,
    DownloadedData,
    EbHeldData,
    EbLateStartData,
    EbNoticeData,
    EbNoticeRejectedData,
    EigenBijdrageEntry,
    FindingRef,
    Identificatie,
    Location,
    MessageTypeName,
    ParkedData,
    PartyCode,
    PersonKey,
    ProductperiodeConflictData,
    PushFailedData,
    Referentie,
    RejectedData,
    Release,
    ReleasedData,
    RequestOverdueData,
    Retourcode,
    Retourcodes,
    RetourOverdueData,
    RetourReceivedData,
    ReturnedData,
    RuleId,
    RuleIds,
    ToewijzingSignalData,
    UtcDatetime,
)
from hub.domain.events.models import (
    DATA_MODELS,
    EVENT_HEADERS,
    MODELS,
    SCHEMA,
    SCHEMA_ID,
    EbHeld,
    EbLateStart,
    EbNotice,
    EbNoticeRejected,
    Event,
    EventBase,
    EventType,
    MessageAccepted,
    MessageAdvisoryFinding,
    MessageDelivered,
    MessageDownloaded,
    MessageParked,
    MessageRejected,
    MessageReleased,
    MessageReturned,
    MessageRowLike,
    ProductperiodeConflict,
    PushFailed,
    RequestOverdue,
    RetourOverdue,
    RetourReceived,
    ToewijzingWithoutStart,
    ToewijzingWithoutStop,
    event_json_schema,
    parse_event,
    row_data,
)
from hub.domain.events.wire import fast_event
from hub.domain.messages import CATALOGUE, Node, Standard, node_of
from hub.domain.records import OutboxMessage

__all__ = [
    "EVENT_HEADERS",
    "MODELS",
    "SCHEMA",
    "SCHEMA_ID",
    "AcceptedData",
    "AdvisoryFindingData",
    "CategoryCode",
    "Code",
    "ConflictPrestatie",
    "DeliveredData",
    "DownloadedData",
    "EbHeld",
    "EbHeldData",
    "EbLateStart",
    "EbLateStartData",
    "EbNotice",
    "EbNoticeData",
    "EbNoticeRejected",
    "EbNoticeRejectedData",
    "EigenBijdrageEntry",
    "Event",
    "EventBase",
    "EventType",
    "FindingRef",
    "Identificatie",
    "Location",
    "MessageAccepted",
    "MessageAdvisoryFinding",
    "MessageDelivered",
    "MessageDownloaded",
    "MessageParked",
    "MessageRejected",
    "MessageReleased",
    "MessageReturned",
    "MessageRowLike",
    "MessageTypeName",
    "OverdueLike",
    "ParkedData",
    "PartyCode",
    "PersonKey",
    "ProductperiodeConflict",
    "ProductperiodeConflictData",
    "PushFailed",
    "PushFailedData",
    "RejectedData",
    "Release",
    "ReleasedData",
    "RequestOverdue",
    "RequestOverdueData",
    "RequestOverdueLike",
    "RetourOverdue",
    "RetourOverdueData",
    "RetourReceived",
    "RetourReceivedData",
    "Retourcode",
    "Retourcodes",
    "ReturnedData",
    "RuleId",
    "RuleIds",
    "ToewijzingSignalData",
    "ToewijzingWithoutStart",
    "ToewijzingWithoutStop",
    "UtcDatetime",
    "event_json_schema",
    "from_row",
    "overdue_event",
    "overdue_to_outbox",
    "parse_event",
    "request_overdue_event",
    "request_overdue_to_outbox",
    "to_outbox",
    "to_record",
]


class OverdueLike(Protocol):
    """What a retour.overdue needs from the ledger (hub.infra.store.ledger.Overdue has it)."""

    @property
    def id(self) -> UUID: ...
    @property
    def message_type(self) -> str | None: ...
    @property
    def sender(self) -> str | None: ...
    @property
    def receiver(self) -> str | None: ...
    @property
    def received_at(self) -> datetime: ...
    @property
    def retour_due(self) -> datetime: ...


class RequestOverdueLike(Protocol):
    """What a request.overdue needs (hub.infra.store.requests.OverdueRequest has it)."""

    @property
    def message_id(self) -> UUID: ...
    @property
    def message_type(self) -> str: ...
    @property
    def bericht_code(self) -> str: ...
    @property
    def referentie(self) -> str: ...
    @property
    def release(self) -> str | None: ...
    @property
    def aanbieder(self) -> str: ...
    @property
    def gemeente(self) -> str: ...
    @property
    def person_key(self) -> str | None: ...
    @property
    def received_at(self) -> datetime: ...
    @property
    def clock(self) -> str: ...
    @property
    def due(self) -> datetime: ...


def _fits(adapter: TypeAdapter[Any], value: object) -> Any:
    """The value if it passes the field's pattern, else None: bad input never leaks, nor fails
    the batch that publishes the event."""
    try:
        return adapter.validate_python(value)
    except ValueError:
        return None


_PARTY: Final[TypeAdapter[Any]] = TypeAdapter(PartyCode | None)
_TYPE_NAME: Final[TypeAdapter[Any]] = TypeAdapter(MessageTypeName | None)
_RELEASE: Final[TypeAdapter[Any]] = TypeAdapter(Release | None)
_PERSON: Final[TypeAdapter[Any]] = TypeAdapter(PersonKey | None)
_STANDARD: Final[TypeAdapter[Any]] = TypeAdapter(Standard | None)
_NODE: Final[TypeAdapter[Any]] = TypeAdapter(Node | None)


def from_row(
    type_: EventType | str,
    row: MessageRowLike,
    data: Mapping[str, object] | None = None,
    *,
    occurred_at: datetime | None = None,
    event_id: UUID | None = None,
) -> EventBase:
    """The event of `type_` about a recorded message.

    `data` is merged over what the row already says (retourcodes, the answer's deadline).
    Only the data model's declared fields are published: anything else (a dead-letter reason
    sentence, say) stays in the ledger. Envelope values that do not fit their pattern are
    published as null instead of failing the batch. `event_id` is for tests: a new one by
    default.
    """
    kind = EventType(type_)
    envelope: dict[str, object] = {
        "occurred_at": occurred_at or datetime.now(UTC),
        "message_id": row.id,
        "message_type": _fits(_TYPE_NAME, row.message_type),
        "standard": _fits(_STANDARD, row.standard),
        "release": _fits(_RELEASE, row.release),
        "sender": _fits(_PARTY, row.sender),
        "receiver": _fits(_PARTY, row.receiver),
        "node": _fits(_NODE, row.source_node or None),
        "person": _fits(_PERSON, row.person_key),
        "data": DATA_MODELS[kind].model_validate(row_data(kind, row, data)),
    }
    if event_id is not None:
        envelope["id"] = event_id
    return MODELS[kind].model_validate(envelope)


def overdue_event(overdue: OverdueLike, now: datetime) -> RetourOverdue:
    mt = CATALOGUE.get(overdue.message_type or "")
    return RetourOverdue(
        occurred_at=now,
        message_id=overdue.id,
        message_type=_fits(_TYPE_NAME, overdue.message_type),
        standard=mt.standard if mt else None,
        sender=_fits(_PARTY, overdue.sender),
        receiver=_fits(_PARTY, overdue.receiver),
        node=node_of(mt.sender) if mt else None,
        # Not in the OverdueLike contract yet; published when the ledger provides it.
        person=_fits(_PERSON, getattr(overdue, "person_key", None)),
        data=RetourOverdueData(
            expects=mt.answer if mt else None,
            deadline=overdue.retour_due,
            received_at=overdue.received_at,
        ),
    )


_REFERENTIE: Final[TypeAdapter[Any]] = TypeAdapter(Referentie | None)


def request_overdue_event(overdue: RequestOverdueLike, now: datetime) -> RequestOverdue:
    """The verzoek's event: its parties, reference and the deadline it missed. Values that do
    not fit their pattern (a free-text reference) are published as null."""
    mt = CATALOGUE.get(overdue.message_type)
    return RequestOverdue(
        occurred_at=now,
        message_id=overdue.message_id,
        message_type=_fits(_TYPE_NAME, overdue.message_type),
        standard=mt.standard if mt else None,
        release=_fits(_RELEASE, overdue.release),
        sender=_fits(_PARTY, overdue.aanbieder),
        receiver=_fits(_PARTY, overdue.gemeente),
        node=node_of(mt.sender) if mt else None,
        person=_fits(_PERSON, overdue.person_key),
        data=RequestOverdueData(
            bericht_code=overdue.bericht_code,
            referentie=_fits(_REFERENTIE, overdue.referentie),
            clock="final" if overdue.clock == "final" else "answer",
            deadline=overdue.due,
            received_at=overdue.received_at,
        ),
    )


def to_record(topic: str, event: EventBase) -> OutboxMessage:
    return OutboxMessage(topic, event.kafka_key(), event.to_json(), event.kafka_headers())


def to_outbox(
    topic: str,
    type_: EventType | str,
    row: MessageRowLike,
    data: Mapping[str, object] | None = None,
    *,
    occurred_at: datetime | None = None,
    event_id: UUID | None = None,
) -> OutboxMessage:
    """`from_row`, as a record for the transactional outbox.

    The core publishes an event or more per message, so the usual case skips pydantic: plain
    values are checked and written by `fast_event`, byte for byte what the models would
    write (tests/test_events_fast.py holds it to that). Anything else (a value of another
    type, one the models would refuse) goes through `from_row`, which decides as before.
    """
    kind = EventType(type_)
    moment = occurred_at or datetime.now(UTC)
    try:
        key, value, headers = fast_event(kind, row, data, moment, event_id or uuid4())
    except Slow:
        return to_record(topic, from_row(kind, row, data, occurred_at=moment, event_id=event_id))
    return OutboxMessage(topic, key, value, headers)


def overdue_to_outbox(topic: str, overdue: OverdueLike, now: datetime) -> OutboxMessage:
    return to_record(topic, overdue_event(overdue, now))


def request_overdue_to_outbox(
    topic: str, overdue: RequestOverdueLike, now: datetime
) -> OutboxMessage:
    return to_record(topic, request_overdue_event(overdue, now))
