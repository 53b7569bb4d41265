"""Versioned JSON domain events for integrators on the events topic (schema isd-hub.event/1).

Every event is one JSON object: a common envelope (which message, of which kind, between which
parties, through which node, when) and a `data` object whose shape depends on `type`. The
JSON Schema (`event_json_schema`, checked in as docs/events.schema.json) is the contract;
`schema` changes to "isd-hub.event/2" only for an incompatible change, new optional fields
and new event types are added within version 1.

No personal data, ever: no BSN, name, birth date or address, and no free-text sentences
(which could quote them). A person is identified only by `person`, the keyed hash of
`hub.privacy.person_key`; rejections carry retourcodes, rule ids and element paths. The
models enforce this with patterns on every string, and refuse unknown fields.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal, Protocol, TypeAlias, cast
from uuid import UUID, uuid4

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from hub.freeze import Phase
from hub.headers import H
from hub.messages import CATALOGUE, Node, Standard, node_of

if TYPE_CHECKING:
    from hub.outbox import OutboxMessage

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
_JSON: Final = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class EventType(StrEnum):
    ACCEPTED = "message.accepted"
    REJECTED = "message.rejected"
    DELIVERED = "message.delivered"
    DOWNLOADED = "message.downloaded"
    RETOUR_RECEIVED = "retour.received"
    RETOUR_OVERDUE = "retour.overdue"
    EB_NOTICE = "eigenbijdrage.notice"
    EB_NOTICE_REJECTED = "eigenbijdrage.notice-rejected"
    EB_LATE_START = "eigenbijdrage.late-start"
    SIGNAL_NO_START = "signal.toewijzing-without-start"
    SIGNAL_NO_STOP = "signal.toewijzing-without-stop"
    PARKED = "message.parked"
    RELEASED = "message.released"
    RETURNED = "message.returned"


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


UtcDatetime: TypeAlias = Annotated[AwareDatetime, AfterValidator(_utc)]

# The patterns, named once: the models use them, and so does the hot path (`to_outbox`).
_PARTY_PATTERN: Final = r"^([0-9]{4}|[0-9]{8})$"
_TYPE_NAME_PATTERN: Final = r"^(WMO|JW)[0-9]{3}$"
_RELEASE_PATTERN: Final = r"^[0-9]{1,2}\.[0-9]{1,2}$"
_RETOURCODE_PATTERN: Final = r"^[0-9A-Z]{4}$"
_RULE_ID_PATTERN: Final = r"^[A-Z][A-Za-z0-9]*(:[a-z0-9_]+)?$"
_CODE_PATTERN: Final = r"^[a-z][a-z0-9-]{0,39}$"
_LOCATION_PATTERN: Final = r"^(/|line [0-9]+|(/@?[A-Za-z_][A-Za-z0-9_.-]*(\[[0-9]+\])?)+)$"
_PERSON_PATTERN: Final = r"^[0-9a-f]{32}$"
_IDENTIFICATIE_PATTERN: Final = r"^[A-Za-z0-9]{1,12}$"
_CATEGORY_PATTERN: Final = r"^[0-9]{2}$"
_TOEWIJZING_NUMMER_PATTERN: Final = r"^[0-9]{1,9}$"

# 4-digit CBS gemeentecode or 8-digit AGB code (the CAK has one too): never 9 digits, so a
# BSN cannot pass for a party.
PartyCode: TypeAlias = Annotated[str, Field(pattern=_PARTY_PATTERN)]
MessageTypeName: TypeAlias = Annotated[str, Field(pattern=_TYPE_NAME_PATTERN)]
Release: TypeAlias = Annotated[str, Field(pattern=_RELEASE_PATTERN)]
Retourcode: TypeAlias = Annotated[str, Field(pattern=_RETOURCODE_PATTERN)]
RuleId: TypeAlias = Annotated[str, Field(pattern=_RULE_ID_PATTERN)]
Code: TypeAlias = Annotated[str, Field(pattern=_CODE_PATTERN)]
Location: TypeAlias = Annotated[str, Field(pattern=_LOCATION_PATTERN)]
PersonKey: TypeAlias = Annotated[str, Field(pattern=_PERSON_PATTERN)]
Identificatie: TypeAlias = Annotated[str, Field(pattern=_IDENTIFICATIE_PATTERN)]
CategoryCode: TypeAlias = Annotated[str, Field(pattern=_CATEGORY_PATTERN)]


def _sorted_set(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(set(values)))


Retourcodes: TypeAlias = Annotated[tuple[Retourcode, ...], AfterValidator(_sorted_set)]
RuleIds: TypeAlias = Annotated[tuple[RuleId, ...], AfterValidator(_sorted_set)]


class _Model(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        populate_by_name=True,
        json_schema_serialization_defaults_required=True,
    )


# --- data, per event type ----------------------------------------------------------------


class AcceptedData(_Model):
    """The hub accepted the message (valid, routed to its receiver)."""

    expects: MessageTypeName | None = Field(
        default=None, description="The answer this heenbericht expects (WMO306), if any."
    )
    deadline: UtcDatetime | None = Field(
        default=None,
        description="When that answer is due: end of the last werkdag (Europe/Amsterdam).",
    )


class FindingRef(_Model):
    """One reason for a rejection: the rule, its retourcode and where, never the text."""

    rule: RuleId = Field(description="Rule id (CS002, TR063) or a hub check (XSD, XML:…).")
    retourcode: Retourcode | None = Field(description="iStandaarden retourcode, if any.")
    level: int = Field(ge=1, le=4, description="Controleniveau: 1 XSD, 2 in-message, 3, 4.")
    location: Location = Field(description="Element path, e.g. /Bericht/Client/Bsn.")


class RejectedData(_Model):
    """The hub refused the message: answered with a retour, or dead-lettered."""

    retourcodes: Retourcodes = Field(
        default=(), description="Retourcodes of the retour the hub sent, sorted, unique."
    )
    rules: RuleIds = Field(default=(), description="Ids of the failed rules, sorted, unique.")
    findings: tuple[FindingRef, ...] = Field(default=(), description="Per failed check.")
    retour_id: UUID | None = Field(
        default=None, description="Message id of the retour the hub sent to the sender."
    )
    stage: Code | None = Field(default=None, description="Where it failed (validation, …).")
    error: Code | None = Field(default=None, description="Machine-readable error code.")
    dead_lettered: bool = Field(
        default=False, description="True when no retour was possible: it went to the DLQ."
    )


class DeliveredData(_Model):
    """The message was put into the receiver's inbox at its node."""

    node: Node = Field(description="Node whose inbox received it.")
    inbox: PartyCode = Field(description="Party whose inbox it is.")


class DownloadedData(_Model):
    """The receiver fetched the message from its inbox."""

    node: Node = Field(description="Node it was fetched from.")
    by: PartyCode = Field(description="Party that fetched it.")


class RetourReceivedData(_Model):
    """A retour (or 325) arrived and was linked to its heenbericht."""

    heen_id: UUID = Field(description="Message id of the heenbericht it answers.")
    heen_message_type: MessageTypeName | None = Field(default=None, description="e.g. WMO305.")
    retourcodes: Retourcodes = Field(default=(), description="Its retourcodes, sorted, unique.")
    deadline: UtcDatetime | None = Field(default=None, description="When it was due.")
    late: bool | None = Field(default=None, description="True when it came after the deadline.")


class RetourOverdueData(_Model):
    """The heenbericht's answer did not arrive in time (OP090: the sender must learn this).

    The envelope's message_id, message_type, sender and receiver are the heenbericht's.
    """

    expects: MessageTypeName | None = Field(default=None, description="The missing answer.")
    deadline: UtcDatetime = Field(description="When the answer was due.")
    received_at: UtcDatetime | None = Field(default=None, description="When the heen arrived.")


class EigenBijdrageEntry(_Model):
    """One EigenBijdrage of a notice: what happens to one eigen-bijdrageperiode."""

    melding_id: UUID = Field(description="MeldingID: the period's key at the CAK.")
    status: Literal["1", "2", "3"] = Field(
        description="StatusAanlevering: 1 new period, 2 changed (a stop, a reopening or a "
        "moved date: the full new content), 3 retracted."
    )
    begindatum: date = Field(description="Begin of the period (for 3: the retracted one's).")
    einddatum: date | None = Field(default=None, description="End of the period, if closed.")


class EbNoticeData(_Model):
    """The hub sent a WMO405 / WMO407 to the CAK on the gemeente's behalf.

    The envelope is the notice's: message_type WMO405 / WMO407, sender the gemeente, receiver
    the CAK, person the client's keyed hash.
    """

    source_id: UUID = Field(description="Message id of the 305 / 307 that caused it.")
    identificatie: Identificatie = Field(description="Header Identificatie of the notice.")
    entries: tuple[EigenBijdrageEntry, ...] = Field(description="Its EigenBijdragen, in order.")


class EbNoticeRejectedData(_Model):
    """The CAK answered a hub-built notice with retourcodes other than 0200.

    The envelope is the 406 / 408's. The hub does not send again on its own: the period stays
    as the hub told it until the gemeente or an operator resolves it (`hub eb show`).
    """

    heen_id: UUID = Field(description="Message id of the notice it answers.")
    retourcodes: Retourcodes = Field(description="Its retourcodes other than 0200.")
    melding_ids: tuple[UUID, ...] = Field(default=(), description="MeldingIDs in the notice.")


class EbLateStartData(_Model):
    """A counting start arrived more werkdagen after its Begindatum than allowed: the CAK
    will bill retroactively (stapelfacturen risk). The envelope is the 305's."""

    begindatum: date = Field(description="Begindatum of the StartProduct.")
    werkdagen: int = Field(ge=0, description="Werkdagen between Begindatum and arrival.")
    allowed: int = Field(ge=0, description="Werkdagen allowed (the gemeente's policy).")
    route: Literal["405", "407"] = Field(description="The notice it counts for.")
    categorie: CategoryCode | None = Field(default=None, description="Product category.")
    location: Location = Field(description="Element path of the StartProduct.")


class ToewijzingSignalData(_Model):
    """A toewijzing whose start (or stop) message is overdue: the provider sent no 305 within
    5 werkdagen of its Ingangsdatum, or no 307 after its Einddatum passed. Raised once per
    toewijzing. The envelope's sender is the aanbieder that owes the message, its receiver
    the gemeente; message_id is the 301 that carried the toewijzing."""

    toewijzing_nummer: str = Field(
        pattern=_TOEWIJZING_NUMMER_PATTERN, description="ToewijzingNummer."
    )
    categorie: CategoryCode | None = Field(default=None, description="Product category.")
    ingangsdatum: date = Field(description="Ingangsdatum of the toewijzing.")
    einddatum: date | None = Field(default=None, description="Einddatum of the toewijzing.")
    due: date = Field(description="The last day the start or stop was expected.")


class ParkedData(_Model):
    """A release freeze holds the message: recorded with status parked and queued to the
    parked topic, neither validated against history nor routed. The envelope is the
    message's own."""

    kind: Literal["new-release", "old-release"] = Field(
        description="new-release: sent before its cutover, released into intake at the "
        "cutover; old-release: frozen (or retired), returned to its sender at the cutover."
    )
    phase: Phase = Field(description="The standard's freeze phase when the message arrived.")
    from_release: Release = Field(description="The release being left.")
    to_release: Release = Field(description="The release in force from the cutover.")
    until: UtcDatetime = Field(description="The cutover, when it is released or returned.")


class ReleasedData(_Model):
    """At the cutover a parked new-release message went on its way: through intake again as
    a new message (`released_as`), or, for a notice the hub built itself, straight to its
    receiver under its own id. The envelope is the parked message's."""

    released_as: UUID | None = Field(
        default=None,
        description="Message id it goes through intake as; null when sent on unchanged.",
    )
    to_release: Release = Field(description="The release now in force.")
    cutover: UtcDatetime = Field(description="The cutover that released it.")


class ReturnedData(_Model):
    """At the cutover a parked old-release message went back, unchanged, into the inbox of
    the party that uploaded it: it must be sent again in `to_release`. The envelope is the
    parked message's."""

    node: Node = Field(description="Node whose inbox received it back.")
    inbox: PartyCode = Field(description="The party that uploaded it.")
    to_release: Release = Field(description="The release to send it again in.")
    cutover: UtcDatetime = Field(description="The cutover after which it cannot flow.")


# --- the envelope ---------------------------------------------------------------------------


class EventBase(_Model):
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
        return _JSON.encode(self.model_dump(mode="json", by_alias=True)).encode()

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


class RetourReceived(EventBase):
    """retour.received: an answer arrived and was linked to its heenbericht."""

    type: Literal["retour.received"] = "retour.received"
    data: RetourReceivedData


class RetourOverdue(EventBase):
    """retour.overdue: a heenbericht's answer is past its deadline."""

    type: Literal["retour.overdue"] = "retour.overdue"
    data: RetourOverdueData


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


class EbLateStart(EventBase):
    """eigenbijdrage.late-start: a start that counts arrived late (retroactive bill risk)."""

    type: Literal["eigenbijdrage.late-start"] = "eigenbijdrage.late-start"
    data: EbLateStartData


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


Event: TypeAlias = Annotated[
    MessageAccepted
    | MessageRejected
    | MessageDelivered
    | MessageDownloaded
    | RetourReceived
    | RetourOverdue
    | EbNotice
    | EbNoticeRejected
    | EbLateStart
    | ToewijzingWithoutStart
    | ToewijzingWithoutStop
    | MessageParked
    | MessageReleased
    | MessageReturned,
    Field(discriminator="type"),
]
MODELS: Final[Mapping[EventType, type[EventBase]]] = {
    EventType.ACCEPTED: MessageAccepted,
    EventType.REJECTED: MessageRejected,
    EventType.DELIVERED: MessageDelivered,
    EventType.DOWNLOADED: MessageDownloaded,
    EventType.RETOUR_RECEIVED: RetourReceived,
    EventType.RETOUR_OVERDUE: RetourOverdue,
    EventType.EB_NOTICE: EbNotice,
    EventType.EB_NOTICE_REJECTED: EbNoticeRejected,
    EventType.EB_LATE_START: EbLateStart,
    EventType.SIGNAL_NO_START: ToewijzingWithoutStart,
    EventType.SIGNAL_NO_STOP: ToewijzingWithoutStop,
    EventType.PARKED: MessageParked,
    EventType.RELEASED: MessageReleased,
    EventType.RETURNED: MessageReturned,
}


def _data_model(model: type[EventBase]) -> type[BaseModel]:
    annotation = model.model_fields["data"].annotation
    if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
        raise TypeError(f"{model.__name__}.data is not a model")
    return annotation


_DATA: Final[Mapping[str, type[BaseModel]]] = {t: _data_model(m) for t, m in MODELS.items()}
_DECLARED: Final[Mapping[str, frozenset[str]]] = {
    t: frozenset(m.model_fields) for t, m in _DATA.items()
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


# --- from the ledger's rows to outbox records (the core's glue) -----------------------------


class MessageRowLike(Protocol):
    """What an event needs from a recorded message (hub.ledger.MessageRow has it)."""

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


class OverdueLike(Protocol):
    """What a retour.overdue needs from the ledger (hub.ledger.Overdue has it)."""

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


def _given(
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
        "data": _DATA[kind].model_validate(_given(kind, row, data)),
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


@functools.cache
def _outbox_message() -> type[OutboxMessage]:
    # Imported on first use (the outbox pulls in Kafka; events stay light), and only once: an
    # import statement in to_record cost more than building the event itself.
    from hub.outbox import OutboxMessage

    return OutboxMessage


def to_record(topic: str, event: EventBase) -> OutboxMessage:
    record = _outbox_message()
    return record(topic, event.kafka_key(), event.to_json(), event.kafka_headers())


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
    values are checked and written by `_fast_event`, byte for byte what the models would
    write (tests/test_events_fast.py holds it to that). Anything else (a value of another
    type, one the models would refuse) goes through `from_row`, which decides as before.
    """
    kind = EventType(type_)
    moment = occurred_at or datetime.now(UTC)
    try:
        key, value, headers = _fast_event(kind, row, data, moment, event_id or uuid4())
    except _Slow:
        return to_record(topic, from_row(kind, row, data, occurred_at=moment, event_id=event_id))
    return _outbox_message()(topic, key, value, headers)


def overdue_to_outbox(topic: str, overdue: OverdueLike, now: datetime) -> OutboxMessage:
    return to_record(topic, overdue_event(overdue, now))


# --- the hot path: event JSON without pydantic ----------------------------------------------
# Each converter takes a value as `from_row` would hand it to the models and returns what
# `model_dump(mode="json")` would give for it, or raises _Slow when the value is not plainly
# one the model takes as is: the models then decide (and refuse what they refuse). Only exact
# types are taken (no subclasses, no strings parsed into dates), so the fast path never
# accepts what the models would turn down or write differently.


class _Slow(Exception):
    """Not a plain value: left to the pydantic models."""


_Convert: TypeAlias = Callable[[object], object]


def _matching(pattern: str) -> _Convert:
    # fullmatch: like the models' (Rust) regex, `$` does not match before a final newline.
    test = re.compile(pattern).fullmatch

    def convert(value: object) -> object:
        if type(value) is str and test(value):
            return value
        raise _Slow

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
    raise _Slow


_CANONICAL_UUID: Final = re.compile(
    "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
).fullmatch


def _utc_datetime(value: object) -> object:
    """UtcDatetime: aware, turned to UTC, written with a Z."""
    if type(value) is not datetime or value.utcoffset() is None:
        raise _Slow
    try:
        text = value.astimezone(UTC).isoformat()
    except (OverflowError, ValueError):
        raise _Slow from None
    if not text.endswith("+00:00"):
        raise _Slow
    return text[:-6] + "Z"


def _date(value: object) -> object:
    if type(value) is date:
        return value.isoformat()
    raise _Slow


def _bool(value: object) -> object:
    if type(value) is bool:
        return value
    raise _Slow


def _int_between(low: int, high: int | None = None) -> _Convert:
    def convert(value: object) -> object:
        if type(value) is int and value >= low and (high is None or value <= high):
            return value
        raise _Slow

    return convert


def _one_of(*values: str) -> _Convert:
    allowed = frozenset(values)

    def convert(value: object) -> object:
        if type(value) is str and value in allowed:
            return value
        raise _Slow

    return convert


def _member(enum: type[StrEnum]) -> _Convert:
    values = frozenset(m.value for m in enum)

    def convert(value: object) -> object:
        if isinstance(value, enum):
            return value.value
        if type(value) is str and value in values:
            return value
        raise _Slow

    return convert


def _each(inner: _Convert) -> _Convert:
    def convert(value: object) -> object:
        if type(value) is not list and type(value) is not tuple:
            raise _Slow
        return [inner(v) for v in value]

    return convert


def _sorted_unique(inner: _Convert) -> _Convert:
    """Retourcodes, RuleIds: each checked, then sorted and unique (`_sorted_set`)."""
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
                f"hub.events: the fast path of {model.__name__} lists {sorted(converters)}, "
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
                    raise _Slow
                out[name] = default
        return out

    def nested(self, value: object) -> object:
        """A nested model given as a plain dict (extra keys are refused, as the models do)."""
        if type(value) is not dict or not value.keys() <= self.converters.keys():
            raise _Slow
        return self.dump(value)


_PARTY_JSON: Final = _matching(_PARTY_PATTERN)
_TYPE_NAME_JSON: Final = _matching(_TYPE_NAME_PATTERN)
_RELEASE_JSON: Final = _matching(_RELEASE_PATTERN)
_RETOURCODES_JSON: Final = _sorted_unique(_matching(_RETOURCODE_PATTERN))
_CODE_JSON: Final = _optional(_matching(_CODE_PATTERN))
_CATEGORY_JSON: Final = _optional(_matching(_CATEGORY_PATTERN))
_NODE_JSON: Final = _member(Node)

_FINDING: Final = _Fields(
    FindingRef,
    {
        "rule": _matching(_RULE_ID_PATTERN),
        "retourcode": _optional(_matching(_RETOURCODE_PATTERN)),
        "level": _int_between(1, 4),
        "location": _matching(_LOCATION_PATTERN),
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
    "toewijzing_nummer": _matching(_TOEWIJZING_NUMMER_PATTERN),
    "categorie": _CATEGORY_JSON,
    "ingangsdatum": _date,
    "einddatum": _optional(_date),
    "due": _date,
}
_FAST: Final[Mapping[EventType, _Fields]] = {
    EventType.ACCEPTED: _Fields(
        AcceptedData,
        {"expects": _optional(_TYPE_NAME_JSON), "deadline": _optional(_utc_datetime)},
    ),
    EventType.REJECTED: _Fields(
        RejectedData,
        {
            "retourcodes": _RETOURCODES_JSON,
            "rules": _sorted_unique(_matching(_RULE_ID_PATTERN)),
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
    EventType.EB_NOTICE: _Fields(
        EbNoticeData,
        {
            "source_id": _uuid,
            "identificatie": _matching(_IDENTIFICATIE_PATTERN),
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
            "location": _matching(_LOCATION_PATTERN),
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
    """`_fits` for the hot path: a string that does not fit is null; another type is _Slow."""
    seen: dict[str, object] = {}

    def fits(value: object) -> object:
        if value is None:
            return None
        if type(value) is not str:
            raise _Slow
        if value in seen:
            return seen[value]
        try:
            fitting = convert(value)
        except _Slow:
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
_FITS_PERSON: Final = _fitting(_matching(_PERSON_PATTERN))


def _fast_event(
    type_: EventType,
    row: MessageRowLike,
    data: Mapping[str, object] | None,
    occurred_at: datetime,
    event_id: UUID,
) -> tuple[bytes, bytes, dict[str, str]]:
    """Key, JSON and headers of the event `from_row` would build; _Slow when unsure."""
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
        "data": _FAST[type_].dump(_given(type_, row, data)),
    }
    headers = {_MESSAGE_ID_HEADER: message_id}
    if message_type:
        headers[_MESSAGE_TYPE_HEADER] = message_type
    return message_id.encode(), _JSON.encode(body).encode(), headers


_MESSAGE_ID_HEADER: Final = H.MESSAGE_ID.value
_MESSAGE_TYPE_HEADER: Final = H.MESSAGE_TYPE.value
