"""The events themselves (schema isd-hub.event/1): their types, the envelope, one model per type.

Owns `EventType`, the envelope every event shares (`EventBase`: message, kind, parties, node,
time), the per-type event models and their registry (`MODELS`, `DATA_MODELS`), reading an
event back (`parse_event`), the JSON Schema (`event_json_schema`, checked in as
docs/events.schema.json and used by the AsyncAPI document), and what a recorded message gives
the `data` of its events (`MessageRowLike`, `row_data`), which both builders of an event's
JSON share: the models (hub.domain.events) and the hot path (hub.domain.events.wire).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Final, Literal, Protocol, TypeAlias
from uuid import UUID, uuid4

from pydantic import BaseModel, Field, TypeAdapter

from hub.domain.events.data import (
    AcceptedData,
    AdvisoryFindingData,
    DeliveredData,
    DownloadedData,
    EbHeldData,
    EbLateStartData,
    EbNoticeData,
    EbNoticeRejectedData,
    EventModel,
    MessageTypeName,
    ParkedData,
    PartyCode,
    PersonKey,
    ProductperiodeConflictData,
    PushFailedData,
    RejectedData,
    Release,
    ReleasedData,
    RequestOverdueData,
    RetourOverdueData,
    RetourReceivedData,
    ReturnedData,
    ToewijzingSignalData,
    UtcDatetime,
)
from hub.domain.headers import H
from hub.domain.messages import CATALOGUE, Node, Standard

SCHEMA: Final = "isd-hub.event/1"
SCHEMA_ID: Final = "urn:isd-hub:schema:event:1"
# Headers every event record carries on the events topic (the key is the message id).
EVENT_HEADERS: Final = (H.MESSAGE_ID, H.MESSAGE_TYPE)


_DESCRIPTION: Final = (
    "One domain event of the isd-hub events topic: a common envelope (message, kind, parties, "
    "node, time) and a `data` object whose shape depends on `type`. `schema` changes only for "
    "an incompatible change. No personal data: a person appears only as `person`, a keyed "
    "hash; rejections carry retourcodes, rule ids and element paths, never sentences."
)


# Compact, sorted keys, UTF-8 as is: json.dumps with these settings, made once.
JSON_ENCODER: Final = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class EventType(StrEnum):
    ACCEPTED = "message.accepted"
    REJECTED = "message.rejected"
    DELIVERED = "message.delivered"
    DOWNLOADED = "message.downloaded"
    RETOUR_RECEIVED = "retour.received"
    RETOUR_OVERDUE = "retour.overdue"
    REQUEST_OVERDUE = "request.overdue"
    EB_NOTICE = "eigenbijdrage.notice"
    EB_NOTICE_REJECTED = "eigenbijdrage.notice-rejected"
    EB_LATE_START = "eigenbijdrage.late-start"
    EB_HELD = "eigenbijdrage.held"
    SIGNAL_NO_START = "signal.toewijzing-without-start"
    SIGNAL_NO_STOP = "signal.toewijzing-without-stop"
    SIGNAL_PRODUCTPERIODE = "signal.productperiode-conflict"
    PARKED = "message.parked"
    RELEASED = "message.released"
    RETURNED = "message.returned"
    ADVISORY_FINDING = "message.advisory-finding"
    PUSH_FAILED = "delivery.push-failed"


# --- the envelope ---------------------------------------------------------------------------


class EventBase(EventModel):
    schema_id: Literal["isd-hub.event/1"] = Field(
        default=SCHEMA, alias="schema", description="Event schema and major version."
    )
    id: UUID = Field(default_factory=uuid4, description="Unique id of this event.")
    occurred_at: UtcDatetime = Field(
        default_factory=lambda: datetime.now(UTC), description="When it happened (UTC)."
    )
    message_id: UUID = Field(description="The hub's id of the message this event is about.")
    message_type: MessageTypeName | None = Field(
        default=None, description="e.g. WMO305; null when the message was not recognised."
    )
    standard: Standard | None = Field(default=None, description="iwmo, ijw or ieb.")
    release: Release | None = Field(default=None, description="Release, e.g. 3.2.")
    sender: PartyCode | None = Field(default=None, description="Party that sent the message.")
    receiver: PartyCode | None = Field(default=None, description="Party it is for.")
    node: Node | None = Field(default=None, description="Node the message entered through.")
    person: PersonKey | None = Field(
        default=None, description="Keyed hash of the client's BSN (never the BSN itself)."
    )

    def to_json(self) -> bytes:
        """Compact UTF-8 JSON with sorted keys: equal events give equal bytes."""
        return JSON_ENCODER.encode(self.model_dump(mode="json", by_alias=True)).encode()

    def kafka_key(self) -> bytes:
        return str(self.message_id).encode()

    def kafka_headers(self) -> dict[str, str]:
        headers = {H.MESSAGE_ID.value: str(self.message_id)}
        if self.message_type:
            headers[H.MESSAGE_TYPE.value] = self.message_type
        return headers


class MessageAccepted(EventBase):
    """message.accepted: valid and routed to its receiver."""

    type: Literal["message.accepted"] = "message.accepted"
    data: AcceptedData = AcceptedData()


class MessageRejected(EventBase):
    """message.rejected: refused with a retour to the sender, or dead-lettered."""

    type: Literal["message.rejected"] = "message.rejected"
    data: RejectedData = RejectedData()


class MessageDelivered(EventBase):
    """message.delivered: in the receiver's inbox."""

    type: Literal["message.delivered"] = "message.delivered"
    data: DeliveredData


class MessageDownloaded(EventBase):
    """message.downloaded: fetched by the receiver."""

    type: Literal["message.downloaded"] = "message.downloaded"
    data: DownloadedData


class PushFailed(EventBase):
    """delivery.push-failed: push delivery gave up; the message stays in the pull inbox."""

    type: Literal["delivery.push-failed"] = "delivery.push-failed"
    data: PushFailedData


class RetourReceived(EventBase):
    """retour.received: an answer arrived and was linked to its heenbericht."""

    type: Literal["retour.received"] = "retour.received"
    data: RetourReceivedData


class RetourOverdue(EventBase):
    """retour.overdue: a heenbericht's answer is past its deadline."""

    type: Literal["retour.overdue"] = "retour.overdue"
    data: RetourOverdueData


class RequestOverdue(EventBase):
    """request.overdue: the gemeente's 301 / 319 to a verzoek (315 / 317) is past its deadline."""

    type: Literal["request.overdue"] = "request.overdue"
    data: RequestOverdueData


class EbNotice(EventBase):
    """eigenbijdrage.notice: the hub sent a WMO405 / WMO407 to the CAK."""

    type: Literal["eigenbijdrage.notice"] = "eigenbijdrage.notice"
    data: EbNoticeData


class EbNoticeRejected(EventBase):
    """eigenbijdrage.notice-rejected: the CAK refused (part of) a hub-built notice."""

    type: Literal["eigenbijdrage.notice-rejected"] = "eigenbijdrage.notice-rejected"
    data: EbNoticeRejectedData


class ToewijzingWithoutStart(EventBase):
    """signal.toewijzing-without-start: no 305 within 5 werkdagen of the Ingangsdatum."""

    type: Literal["signal.toewijzing-without-start"] = "signal.toewijzing-without-start"
    data: ToewijzingSignalData


class ToewijzingWithoutStop(EventBase):
    """signal.toewijzing-without-stop: the Einddatum passed, the start has no 307."""

    type: Literal["signal.toewijzing-without-stop"] = "signal.toewijzing-without-stop"
    data: ToewijzingSignalData


class ProductperiodeConflict(EventBase):
    """signal.productperiode-conflict: a 301 shortened a toewijzing below a pending 323."""

    type: Literal["signal.productperiode-conflict"] = "signal.productperiode-conflict"
    data: ProductperiodeConflictData


class EbLateStart(EventBase):
    """eigenbijdrage.late-start: a start that counts arrived late (retroactive bill risk)."""

    type: Literal["eigenbijdrage.late-start"] = "eigenbijdrage.late-start"
    data: EbLateStartData


class EbHeld(EventBase):
    """eigenbijdrage.held: a notice entry beyond an iEb limit, left to the gemeente."""

    type: Literal["eigenbijdrage.held"] = "eigenbijdrage.held"
    data: EbHeldData


class MessageParked(EventBase):
    """message.parked: held by a release freeze, released or returned at the cutover."""

    type: Literal["message.parked"] = "message.parked"
    data: ParkedData


class MessageReleased(EventBase):
    """message.released: a parked new-release message went on its way at the cutover."""

    type: Literal["message.released"] = "message.released"
    data: ReleasedData


class MessageReturned(EventBase):
    """message.returned: a parked old-release message went back to its sender."""

    type: Literal["message.returned"] = "message.returned"
    data: ReturnedData


class MessageAdvisoryFinding(EventBase):
    """message.advisory-finding: routed despite history findings (the gemeente's advisory mode)."""

    type: Literal["message.advisory-finding"] = "message.advisory-finding"
    data: AdvisoryFindingData


Event: TypeAlias = Annotated[
    MessageAccepted
    | MessageRejected
    | MessageDelivered
    | MessageDownloaded
    | RetourReceived
    | RetourOverdue
    | RequestOverdue
    | EbNotice
    | EbNoticeRejected
    | EbLateStart
    | EbHeld
    | ToewijzingWithoutStart
    | ToewijzingWithoutStop
    | ProductperiodeConflict
    | MessageParked
    | MessageReleased
    | MessageReturned
    | MessageAdvisoryFinding
    | PushFailed,
    Field(discriminator="type"),
]
MODELS: Final[Mapping[EventType, type[EventBase]]] = {
    EventType.ACCEPTED: MessageAccepted,
    EventType.REJECTED: MessageRejected,
    EventType.DELIVERED: MessageDelivered,
    EventType.DOWNLOADED: MessageDownloaded,
    EventType.RETOUR_RECEIVED: RetourReceived,
    EventType.RETOUR_OVERDUE: RetourOverdue,
    EventType.REQUEST_OVERDUE: RequestOverdue,
    EventType.EB_NOTICE: EbNotice,
    EventType.EB_NOTICE_REJECTED: EbNoticeRejected,
    EventType.EB_LATE_START: EbLateStart,
    EventType.EB_HELD: EbHeld,
    EventType.SIGNAL_NO_START: ToewijzingWithoutStart,
    EventType.SIGNAL_NO_STOP: ToewijzingWithoutStop,
    EventType.SIGNAL_PRODUCTPERIODE: ProductperiodeConflict,
    EventType.PARKED: MessageParked,
    EventType.RELEASED: MessageReleased,
    EventType.RETURNED: MessageReturned,
    EventType.ADVISORY_FINDING: MessageAdvisoryFinding,
    EventType.PUSH_FAILED: PushFailed,
}


def _data_model(model: type[EventBase]) -> type[BaseModel]:
    annotation = model.model_fields["data"].annotation
    if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
        raise TypeError(f"{model.__name__}.data is not a model")
    return annotation


DATA_MODELS: Final[Mapping[str, type[BaseModel]]] = {t: _data_model(m) for t, m in MODELS.items()}
_DECLARED: Final[Mapping[str, frozenset[str]]] = {
    t: frozenset(m.model_fields) for t, m in DATA_MODELS.items()
}
_ADAPTER: Final[TypeAdapter[Event]] = TypeAdapter(Event)


def parse_event(raw: bytes | str) -> Event:
    """Read one event back (integrators' side, tests); ValidationError when it does not fit."""
    return _ADAPTER.validate_json(raw)


def event_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of every event, as docs/events.schema.json holds it."""
    generated = _ADAPTER.json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "isd-hub domain event",
        "description": _DESCRIPTION,
        **generated,
    }


# --- what a recorded message gives its events --------------------------------------------


class MessageRowLike(Protocol):
    """What an event needs from a recorded message (hub.domain.records.MessageRow has it)."""

    @property
    def id(self) -> UUID: ...
    @property
    def message_type(self) -> str | None: ...
    @property
    def standard(self) -> str | None: ...
    @property
    def release(self) -> str | None: ...
    @property
    def sender(self) -> str | None: ...
    @property
    def receiver(self) -> str | None: ...
    @property
    def source_node(self) -> str: ...
    @property
    def person_key(self) -> str | None: ...
    @property
    def retourcodes(self) -> tuple[str, ...]: ...
    @property
    def retour_due(self) -> datetime | None: ...


def row_data(
    type_: EventType, row: MessageRowLike, data: Mapping[str, object] | None
) -> dict[str, object]:
    """The data an event of `type_` publishes: what the row says (retourcodes, the answer's
    deadline), with `data` merged over it, less anything the data model does not declare."""
    model = MODELS[type_]
    mt = CATALOGUE.get(row.message_type or "")
    derived: dict[str, object] = {}
    if model is MessageAccepted:
        derived = {"expects": mt.answer if mt else None, "deadline": row.retour_due}
    elif model is MessageRejected or model is RetourReceived:
        derived = {"retourcodes": row.retourcodes}
        if model is RetourReceived and mt is not None:
            derived["heen_message_type"] = mt.answers
    declared = _DECLARED[type_]
    return {k: v for k, v in {**derived, **(data or {})}.items() if k in declared}
