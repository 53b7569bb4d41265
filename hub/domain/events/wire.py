"""The hot path of the events: an event's Kafka record (key, JSON, headers) without pydantic.

The core publishes an event or more per message, so `hub.domain.events.to_outbox` first asks
`fast_event` here, which checks plain values against the same patterns as the models
(hub.domain.events.data) and writes them byte for byte as the models would
(tests/test_events_fast.py holds it to that). Owns the per-type field tables (`FAST`) and
`fast_event`; the converters they are made of live in hub.domain.events.convert. `Slow`, what
`fast_event` raises when unsure, is re-exported here because it is part of this module's
contract: its callers catch it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Final, cast
from uuid import UUID

from hub.domain.events.convert import (
    Convert,
    Fields,
    Slow,
    boolean,
    each,
    int_between,
    iso_date,
    matching,
    member,
    one_of,
    optional,
    sorted_unique,
    utc_datetime,
    uuid_text,
)
from hub.domain.events.data import (
    BERICHT_CODE_PATTERN,
    BSN_SHAPE,
    CATEGORY_PATTERN,
    CODE_PATTERN,
    IDENTIFICATIE_PATTERN,
    LOCATION_PATTERN,
    PARTY_PATTERN,
    PERSON_PATTERN,
    PRODUCT_CODE_PATTERN,
    REFERENTIE_PATTERN,
    RELEASE_PATTERN,
    RETOURCODE_PATTERN,
    RULE_ID_PATTERN,
    TOEWIJZING_NUMMER_PATTERN,
    TYPE_NAME_PATTERN,
    AcceptedData,
    AdvisoryFindingData,
    ConflictPrestatie,
    DeliveredData,
    DownloadedData,
    EbHeldData,
    EbLateStartData,
    EbNoticeData,
    EbNoticeRejectedData,
    EigenBijdrageEntry,
    FindingRef,
    ParkedData,
    ProductperiodeConflictData,
    PushFailedData,
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
from hub.domain.push import REASONS as PUSH_REASONS

__all__ = ["FAST", "Slow", "fast_event"]


_PARTY_JSON: Final = matching(PARTY_PATTERN)
_TYPE_NAME_JSON: Final = matching(TYPE_NAME_PATTERN)
_RELEASE_JSON: Final = matching(RELEASE_PATTERN)
_RETOURCODES_JSON: Final = sorted_unique(matching(RETOURCODE_PATTERN))
_CODE_JSON: Final = optional(matching(CODE_PATTERN))
_CATEGORY_JSON: Final = optional(matching(CATEGORY_PATTERN))
_NODE_JSON: Final = member(Node)
_PLAIN_REFERENTIE: Final = matching(REFERENTIE_PATTERN)


def _referentie(value: object) -> object:
    """Referentie: the pattern, and never the shape of a BSN (the models refuse that too)."""
    if BSN_SHAPE.search(cast(str, _PLAIN_REFERENTIE(value))):
        raise Slow
    return value


_FINDING: Final = Fields(
    FindingRef,
    {
        "rule": matching(RULE_ID_PATTERN),
        "retourcode": optional(matching(RETOURCODE_PATTERN)),
        "level": int_between(1, 4),
        "location": matching(LOCATION_PATTERN),
    },
)
_ENTRY: Final = Fields(
    EigenBijdrageEntry,
    {
        "melding_id": uuid_text,
        "status": one_of("1", "2", "3"),
        "begindatum": iso_date,
        "einddatum": optional(iso_date),
    },
)
_SIGNAL: Final = {
    "toewijzing_nummer": matching(TOEWIJZING_NUMMER_PATTERN),
    "categorie": _CATEGORY_JSON,
    "ingangsdatum": iso_date,
    "einddatum": optional(iso_date),
    "due": iso_date,
}
_CONFLICT_PRESTATIE: Final = Fields(
    ConflictPrestatie,
    {
        "referentie_nummer": optional(_referentie),
        "begindatum": iso_date,
        "einddatum": iso_date,
        "categorie": _CATEGORY_JSON,
        "code": optional(matching(PRODUCT_CODE_PATTERN)),
        "relation": one_of("partly", "wholly"),
    },
)
FAST: Final[Mapping[EventType, Fields]] = {
    EventType.ACCEPTED: Fields(
        AcceptedData,
        {"expects": optional(_TYPE_NAME_JSON), "deadline": optional(utc_datetime)},
    ),
    EventType.REJECTED: Fields(
        RejectedData,
        {
            "retourcodes": _RETOURCODES_JSON,
            "rules": sorted_unique(matching(RULE_ID_PATTERN)),
            "findings": each(_FINDING.nested),
            "retour_id": optional(uuid_text),
            "stage": _CODE_JSON,
            "error": _CODE_JSON,
            "dead_lettered": boolean,
        },
    ),
    EventType.DELIVERED: Fields(DeliveredData, {"node": _NODE_JSON, "inbox": _PARTY_JSON}),
    EventType.DOWNLOADED: Fields(DownloadedData, {"node": _NODE_JSON, "by": _PARTY_JSON}),
    EventType.RETOUR_RECEIVED: Fields(
        RetourReceivedData,
        {
            "heen_id": uuid_text,
            "heen_message_type": optional(_TYPE_NAME_JSON),
            "retourcodes": _RETOURCODES_JSON,
            "deadline": optional(utc_datetime),
            "late": optional(boolean),
        },
    ),
    EventType.RETOUR_OVERDUE: Fields(
        RetourOverdueData,
        {
            "expects": optional(_TYPE_NAME_JSON),
            "deadline": utc_datetime,
            "received_at": optional(utc_datetime),
        },
    ),
    EventType.REQUEST_OVERDUE: Fields(
        RequestOverdueData,
        {
            "bericht_code": matching(BERICHT_CODE_PATTERN),
            "referentie": optional(_referentie),
            "clock": one_of("answer", "final"),
            "deadline": utc_datetime,
            "received_at": optional(utc_datetime),
        },
    ),
    EventType.EB_NOTICE: Fields(
        EbNoticeData,
        {
            "source_id": uuid_text,
            "identificatie": matching(IDENTIFICATIE_PATTERN),
            "entries": each(_ENTRY.nested),
        },
    ),
    EventType.EB_NOTICE_REJECTED: Fields(
        EbNoticeRejectedData,
        {"heen_id": uuid_text, "retourcodes": _RETOURCODES_JSON, "melding_ids": each(uuid_text)},
    ),
    EventType.EB_LATE_START: Fields(
        EbLateStartData,
        {
            "begindatum": iso_date,
            "werkdagen": int_between(0),
            "allowed": int_between(0),
            "route": one_of("405", "407"),
            "categorie": _CATEGORY_JSON,
            "location": matching(LOCATION_PATTERN),
        },
    ),
    EventType.EB_HELD: Fields(
        EbHeldData,
        {
            "route": one_of("405", "407"),
            "reason": one_of("start", "correction", "held-melding"),
            "melding_id": uuid_text,
            "status": one_of("1", "2", "3"),
            "begindatum": iso_date,
            "einddatum": optional(iso_date),
            "limit_months": int_between(0),
            "cutoff": optional(iso_date),
        },
    ),
    EventType.SIGNAL_NO_START: Fields(ToewijzingSignalData, _SIGNAL),
    EventType.SIGNAL_NO_STOP: Fields(ToewijzingSignalData, _SIGNAL),
    EventType.SIGNAL_PRODUCTPERIODE: Fields(
        ProductperiodeConflictData,
        {
            "toewijzing_nummer": matching(TOEWIJZING_NUMMER_PATTERN),
            "einddatum": iso_date,
            "previous_einddatum": optional(iso_date),
            "declaratie": matching(IDENTIFICATIE_PATTERN),
            "relation": one_of("partly", "wholly"),
            "prestaties": each(_CONFLICT_PRESTATIE.nested),
            "deleted": boolean,
        },
    ),
    EventType.PARKED: Fields(
        ParkedData,
        {
            "kind": one_of("new-release", "old-release"),
            "phase": member(Phase),
            "from_release": _RELEASE_JSON,
            "to_release": _RELEASE_JSON,
            "until": utc_datetime,
        },
    ),
    EventType.RELEASED: Fields(
        ReleasedData,
        {"released_as": optional(uuid_text), "to_release": _RELEASE_JSON, "cutover": utc_datetime},
    ),
    EventType.RETURNED: Fields(
        ReturnedData,
        {
            "node": _NODE_JSON,
            "inbox": _PARTY_JSON,
            "to_release": _RELEASE_JSON,
            "cutover": utc_datetime,
        },
    ),
    EventType.ADVISORY_FINDING: Fields(
        AdvisoryFindingData,
        {
            "gemeente": _PARTY_JSON,
            "rules": sorted_unique(matching(RULE_ID_PATTERN)),
            "retourcodes": _RETOURCODES_JSON,
            "findings": each(_FINDING.nested),
        },
    ),
    EventType.PUSH_FAILED: Fields(
        PushFailedData,
        {
            "node": _NODE_JSON,
            "inbox": _PARTY_JSON,
            "attempts": int_between(0),
            "reason": one_of(*PUSH_REASONS),
            "status": optional(int_between(100, 599)),
            "queued_at": utc_datetime,
        },
    ),
}


_FITS_CACHED: Final = 256  # envelope values repeat (types, releases, parties): remember some


def _fitting(convert: Convert) -> Convert:
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
_FITS_STANDARD: Final = _fitting(member(Standard))
_FITS_RELEASE: Final = _fitting(_RELEASE_JSON)
_FITS_PARTY: Final = _fitting(_PARTY_JSON)
_FITS_NODE: Final = _fitting(_NODE_JSON)
_FITS_PERSON: Final = _fitting(matching(PERSON_PATTERN))


def fast_event(
    type_: EventType,
    row: MessageRowLike,
    data: Mapping[str, object] | None,
    occurred_at: datetime,
    event_id: UUID,
) -> tuple[bytes, bytes, dict[str, str]]:
    """Key, JSON and headers of the event `from_row` would build; Slow when unsure."""
    message_id = str(uuid_text(row.id))
    message_type = cast("str | None", _FITS_TYPE_NAME(row.message_type))
    body = {
        "schema": SCHEMA,
        "id": uuid_text(event_id),
        "occurred_at": utc_datetime(occurred_at),
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
