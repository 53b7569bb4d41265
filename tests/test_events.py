"""Domain events: envelope, per-type data, deterministic JSON, the schema file, and privacy."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from uuid import UUID

import pytest
from pydantic import ValidationError

from hub.domain import events, history, rules, validation, xmlcodec
from hub.domain.events import (
    AcceptedData,
    DeliveredData,
    DownloadedData,
    EventType,
    FindingRef,
    MessageAccepted,
    MessageDelivered,
    MessageDownloaded,
    MessageParked,
    MessageRejected,
    MessageReleased,
    MessageReturned,
    ParkedData,
    RejectedData,
    ReleasedData,
    RetourOverdue,
    RetourOverdueData,
    RetourReceived,
    RetourReceivedData,
    ReturnedData,
)
from hub.domain.messages import Node, Standard, by_name
from hub.domain.privacy import person_key

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = sorted((ROOT / "tests" / "fixtures").glob("*/*.xml"))
SECRET = b"test-secret-for-person-keys"
MESSAGE_ID = UUID("0b8f3a52-6f0e-4c4e-9d0a-6a3c1f2b7e11")
EVENT_ID = UUID("5a4d2c10-9e8b-4f7a-b6c5-d4e3f2a1b0c9")
AT = datetime(2025, 4, 17, 8, 30, tzinfo=UTC)
# Elements whose values are personal data in the fixtures (the BSN 174285917, names, birth
# dates, contact details, free text).
PERSONAL = frozenset(
    {
        "Bsn", "Achternaam", "Voorvoegsel", "Voorletters", "Voornamen", "Partnernaam",
        "Straatnaam", "Postcode", "Plaatsnaam", "Telefoonnummer", "Emailadres", "Commentaar",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Row:
    """A recorded message as the ledger would hand it over."""

    id: UUID
    message_type: str | None
    standard: str | None
    release: str | None
    sender: str | None
    receiver: str | None
    source_node: str
    person_key: str | None
    retourcodes: tuple[str, ...] = ()
    retour_due: datetime | None = None


@dataclass(frozen=True, slots=True)
class Overdue:
    id: UUID
    message_type: str | None
    sender: str | None
    receiver: str | None
    received_at: datetime
    retour_due: datetime


def _personal_values(root: object) -> set[str]:
    assert isinstance(root, xmlcodec.etree._Element)
    found: set[str] = set()
    for el in root.iter():
        name = xmlcodec.local_name(el)
        text = xmlcodec.text_of(el)
        if not text:
            continue
        parent = el.getparent()
        if name in PERSONAL or (
            parent is not None and xmlcodec.local_name(parent) == "Geboortedatum"
        ):
            found.add(text)
    return found


def _row_from(path: Path) -> tuple[Row, set[str], str | None]:
    root = xmlcodec.parse_message(path.read_bytes())
    env = xmlcodec.read_envelope(root)
    bsn = next((xmlcodec.text_of(el) for el in root.iter("{*}Bsn")), None)
    retourcodes = tuple(
        t for el in root.iter("{*}RetourCode") if (t := xmlcodec.text_of(el)) is not None
    )
    row = Row(
        id=MESSAGE_ID,
        message_type=env.message_name,
        standard=env.standard.value if env.standard else None,
        release=env.release,
        sender=env.afzender,
        receiver=env.ontvanger,
        source_node="ggk" if env.afzender and len(env.afzender) == 4 else "vecozo",
        person_key=person_key(bsn, SECRET) if bsn else None,
        retourcodes=retourcodes,
        retour_due=AT + timedelta(days=6),
    )
    return row, _personal_values(root), bsn


_PARKED: dict[str, object] = {
    "kind": "old-release",
    "phase": "heen-freeze",
    "from_release": "3.2",
    "to_release": "3.3",
    "until": AT,
}


def _one_of_each(row: Row) -> list[events.EventBase]:
    rejected = {
        "rules": ["CS002", "TR063"],
        "findings": [
            {"rule": "CS002", "retourcode": "0001", "level": 2, "location": "/Bericht/Client/Bsn"}
        ],
        "retour_id": str(EVENT_ID),
        "stage": "validation",
        "error": "invalid",
    }
    out = [
        events.from_row(t, row, d, occurred_at=AT)
        for t, d in (
            (EventType.ACCEPTED, {}),
            (EventType.REJECTED, rejected),
            (EventType.DELIVERED, {"node": "vecozo", "inbox": row.receiver or "0363"}),
            (EventType.DOWNLOADED, {"node": "ggk", "by": row.receiver or "0363"}),
            (EventType.RETOUR_RECEIVED, {"heen_id": str(EVENT_ID), "late": False}),
            (EventType.PARKED, _PARKED),
            (
                EventType.RELEASED,
                {"released_as": str(EVENT_ID), "to_release": "3.3", "cutover": AT},
            ),
            (
                EventType.RETURNED,
                {"node": "vecozo", "inbox": "65656055", "to_release": "3.3", "cutover": AT},
            ),
        )
    ]
    out.append(
        events.overdue_event(
            Overdue(row.id, row.message_type, row.sender, row.receiver, AT, AT), AT
        )
    )
    return out


# --- privacy --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_no_personal_data_in_events_built_from_fixtures(path: Path) -> None:
    row, personal, _ = _row_from(path)
    for event in _one_of_each(row):
        text = event.to_json().decode()
        strings = _strings(json.loads(text))
        for value in personal:
            # Long values may not appear anywhere; short ones ("de", "AM") not as a value.
            leaked = value in text if len(value) >= 4 else value in strings
            assert not leaked, f"{event.type} of {path.name} leaks {value!r}"
        if event.type != "retour.overdue":  # the ledger's overdue rows carry no person
            assert json.loads(text)["person"] == row.person_key


def _strings(value: object) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*(_strings(v) for v in value.values()), set(value))
    if isinstance(value, list):
        return set().union(*(_strings(v) for v in value))
    return set()


def test_the_fixtures_do_hold_personal_data() -> None:
    """Guards the privacy test above against passing vacuously."""
    seen = set().union(*(_row_from(p)[1] for p in FIXTURES))
    assert {"174285917", "1948-03-14", "Berg", "van den"} <= seen


def test_person_is_the_keyed_hash() -> None:
    row, _, bsn = _row_from(ROOT / "tests/fixtures/iwmo-3.2/WMO305.xml")
    assert bsn is not None
    event = events.from_row(EventType.ACCEPTED, row, occurred_at=AT)
    assert event.person == person_key(bsn, SECRET)
    assert len(event.person or "") == 32


@pytest.mark.parametrize("field", ["sender", "receiver", "person"])
def test_a_bsn_is_refused_where_a_code_or_key_belongs(field: str) -> None:
    with pytest.raises(ValidationError):
        MessageAccepted.model_validate({"message_id": MESSAGE_ID, field: "174285917"})


@pytest.mark.parametrize(
    "data",
    [
        {"reason": "CS002 at /Bericht/Client/Bsn: 174285917 fails the elfproef"},
        {"rules": ["CS002 Bsn 174285917"]},
        {"stage": "Bsn 174285917 invalid"},
        {"findings": [{"rule": "CS002", "retourcode": "0001", "level": 2,
                       "location": "/Bericht/Client[Bsn='174285917']"}]},
        {"retourcodes": ["0001 elfproef"]},
    ],
)  # fmt: skip
def test_rejected_data_takes_no_sentences_or_values(data: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        RejectedData.model_validate(data)


def test_from_row_publishes_only_declared_fields_and_nulls_what_does_not_fit() -> None:
    row = Row(MESSAGE_ID, "XYZ", "nope", "x", "174285917", "", "", "174285917")
    event = events.from_row(
        "message.rejected",
        row,
        {"stage": "validation", "reason": "CS002 at /Bericht/Client/Bsn: 174285917"},
        occurred_at=AT,
    )
    body = json.loads(event.to_json())
    assert "174285917" not in event.to_json().decode()
    assert body["data"]["stage"] == "validation"
    assert "reason" not in body["data"]
    for name in ("message_type", "standard", "release", "sender", "receiver", "node", "person"):
        assert body[name] is None


# --- shape and serialisation ----------------------------------------------------------------


def _fixed() -> MessageRejected:
    return MessageRejected(
        id=EVENT_ID,
        occurred_at=datetime(2025, 4, 17, 10, 30, tzinfo=timezone(timedelta(hours=2))),
        message_id=MESSAGE_ID,
        message_type="WMO305",
        standard=Standard.IWMO,
        release="3.2",
        sender="65656055",
        receiver="0363",
        node=Node.VECOZO,
        data=RejectedData(
            retourcodes=("0001",),
            rules=("CS002",),
            findings=(FindingRef(rule="CS002", retourcode="0001", level=2, location="/Bericht"),),
        ),
    )


def test_to_json_is_compact_sorted_and_deterministic() -> None:
    raw = _fixed().to_json()
    assert raw == _fixed().to_json()
    assert raw == (
        b'{"data":{"dead_lettered":false,"error":null,"findings":[{"level":2,'
        b'"location":"/Bericht","retourcode":"0001","rule":"CS002"}],"retour_id":null,'
        b'"retourcodes":["0001"],"rules":["CS002"],"stage":null},'
        b'"id":"5a4d2c10-9e8b-4f7a-b6c5-d4e3f2a1b0c9",'
        b'"message_id":"0b8f3a52-6f0e-4c4e-9d0a-6a3c1f2b7e11","message_type":"WMO305",'
        b'"node":"vecozo","occurred_at":"2025-04-17T08:30:00Z","person":null,'
        b'"receiver":"0363","release":"3.2","schema":"isd-hub.event/1",'
        b'"sender":"65656055","standard":"iwmo","type":"message.rejected"}'
    )


def test_occurred_at_is_utc_and_must_be_aware() -> None:
    assert _fixed().occurred_at == AT  # 10:30 +02:00
    assert _fixed().occurred_at.tzinfo is UTC
    with pytest.raises(ValidationError):
        MessageAccepted(message_id=MESSAGE_ID, occurred_at=datetime(2025, 4, 17, 8, 30))


def test_defaults_fill_the_envelope() -> None:
    event = MessageAccepted(message_id=MESSAGE_ID)
    assert event.schema_id == "isd-hub.event/1"
    assert event.type == "message.accepted"
    assert event.occurred_at.tzinfo is UTC
    assert event.id != MessageAccepted(message_id=MESSAGE_ID).id


@pytest.mark.parametrize(
    "event",
    [
        MessageAccepted(message_id=MESSAGE_ID, data=AcceptedData(expects="WMO306", deadline=AT)),
        _fixed(),
        MessageDelivered(message_id=MESSAGE_ID, data=DeliveredData(node=Node.GGK, inbox="0363")),
        MessageDownloaded(message_id=MESSAGE_ID, data=DownloadedData(node=Node.GGK, by="0363")),
        RetourReceived(message_id=MESSAGE_ID, data=RetourReceivedData(heen_id=EVENT_ID)),
        RetourOverdue(message_id=MESSAGE_ID, data=RetourOverdueData(deadline=AT)),
        MessageParked(message_id=MESSAGE_ID, data=ParkedData.model_validate(_PARKED)),
        MessageReleased(message_id=MESSAGE_ID, data=ReleasedData(to_release="3.3", cutover=AT)),
        MessageReturned(
            message_id=MESSAGE_ID,
            data=ReturnedData(node=Node.GGK, inbox="0363", to_release="3.3", cutover=AT),
        ),
    ],
    ids=lambda e: e.type,
)
def test_every_type_round_trips_and_matches_the_schema(event: events.EventBase) -> None:
    back = events.parse_event(event.to_json())
    assert back == event
    assert back.to_json() == event.to_json()
    body = json.loads(event.to_json())
    definition = events.event_json_schema()["$defs"][type(event).__name__]
    assert set(body) == set(definition["properties"]) == set(definition["required"])
    data_def = events.event_json_schema()["$defs"][definition["properties"]["data"]["$ref"][8:]]
    assert set(body["data"]) == set(data_def["properties"]) == set(data_def["required"])


def test_every_event_type_has_a_model() -> None:
    assert set(events.MODELS) == set(EventType)
    schema = events.event_json_schema()
    assert set(schema["discriminator"]["mapping"]) == {t.value for t in EventType}
    for event_type, model in events.MODELS.items():
        assert model.model_fields["type"].default == event_type.value


def test_unknown_type_and_fields_are_refused() -> None:
    raw = json.loads(MessageAccepted(message_id=MESSAGE_ID).to_json())
    with pytest.raises(ValidationError):
        events.parse_event(json.dumps({**raw, "type": "message.lost"}))
    with pytest.raises(ValidationError):
        events.parse_event(json.dumps({**raw, "bsn": "174285917"}))


@pytest.mark.parametrize(
    "data",
    [
        {**_PARKED, "kind": "frozen until 174285917"},
        {**_PARKED, "phase": "almost"},
        {**_PARKED, "to_release": "174285917"},
        {**_PARKED, "until": datetime(2027, 4, 5, 13, 0)},  # naive: whose 13:00?
        {**_PARKED, "reason": "WMO305 of 174285917 is frozen"},
    ],
)
def test_parked_data_takes_codes_only(data: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ParkedData.model_validate(data)


def test_returned_data_names_a_party_never_a_bsn() -> None:
    with pytest.raises(ValidationError):
        ReturnedData(node=Node.GGK, inbox="174285917", to_release="3.3", cutover=AT)


def test_codes_and_rules_are_sorted_and_unique() -> None:
    data = RejectedData(retourcodes=("9056", "0001", "9056"), rules=("TR063", "CS002", "TR063"))
    assert data.retourcodes == ("0001", "9056")
    assert data.rules == ("CS002", "TR063")


def test_kafka_key_and_headers() -> None:
    event = _fixed()
    assert event.kafka_key() == str(MESSAGE_ID).encode()
    assert event.kafka_headers() == {
        "hub-message-id": str(MESSAGE_ID),
        "hub-message-type": "WMO305",
    }
    assert MessageAccepted(message_id=MESSAGE_ID).kafka_headers() == {
        "hub-message-id": str(MESSAGE_ID)
    }


# --- from the ledger ------------------------------------------------------------------------


def test_accepted_from_row_carries_the_expected_answer_and_deadline() -> None:
    row, _, _ = _row_from(ROOT / "tests/fixtures/iwmo-3.2/WMO305.xml")
    event = events.from_row(EventType.ACCEPTED, row, occurred_at=AT)
    assert isinstance(event, MessageAccepted)
    assert event.data == AcceptedData(expects="WMO306", deadline=row.retour_due)
    assert (event.message_type, event.standard, event.release) == ("WMO305", Standard.IWMO, "3.2")
    assert (event.sender, event.receiver, event.node) == ("65656055", "0363", Node.VECOZO)


def test_retour_received_from_row_links_the_heen() -> None:
    row, _, _ = _row_from(ROOT / "tests/fixtures/iwmo-3.2/WMO306.xml")
    event = events.from_row("retour.received", row, {"heen_id": str(EVENT_ID)}, occurred_at=AT)
    assert isinstance(event, RetourReceived)
    assert event.data.heen_id == EVENT_ID
    assert event.data.heen_message_type == "WMO305"
    assert event.data.retourcodes == tuple(sorted(set(row.retourcodes)))


def test_overdue_names_the_heen_and_its_deadline() -> None:
    due = datetime(2025, 4, 23, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=2)))
    event = events.overdue_event(Overdue(MESSAGE_ID, "WMO305", "65656055", "0363", AT, due), AT)
    assert event.message_id == MESSAGE_ID
    assert (event.standard, event.node) == (Standard.IWMO, Node.VECOZO)
    assert event.data.expects == "WMO306"
    assert event.data.deadline == due
    assert json.loads(event.to_json())["data"]["deadline"] == "2025-04-23T21:59:59.999999Z"
    assert (
        by_name("WMO405").answer
        == events.overdue_event(
            Overdue(MESSAGE_ID, "WMO405", "0363", "99000001", AT, due), AT
        ).data.expects
    )


def test_to_outbox_record() -> None:
    row, _, _ = _row_from(ROOT / "tests/fixtures/iwmo-3.2/WMO305.xml")
    record = events.to_outbox("isd.events", "message.accepted", row, {}, occurred_at=AT)
    assert record.topic == "isd.events"
    assert record.key == str(MESSAGE_ID).encode()
    assert events.parse_event(record.payload).type == "message.accepted"
    assert record.headers["hub-message-type"] == "WMO305"


def test_every_rule_id_the_hub_produces_fits_the_event_schema() -> None:
    ids = {r.id for r in rules.RULES} | {r.id for r in history.RULES}
    ids |= {validation.RULE_PACK, validation.RULE_CODE, validation.RULE_XSD}
    ids |= {f"{validation.RULE_XML}:{reason.value}" for reason in xmlcodec.XmlRejectReason}
    RejectedData(rules=tuple(sorted(ids)))


# --- the checked-in schema ------------------------------------------------------------------


def test_checked_in_schema_is_up_to_date() -> None:
    path = ROOT / "docs" / "events.schema.json"
    expected = json.dumps(events.event_json_schema(), indent=2, ensure_ascii=False) + "\n"
    stale = "stale: run `hub docs events-schema --out docs/events.schema.json`"
    assert path.read_text(encoding="utf-8") == expected, stale
    schema = json.loads(expected)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == events.SCHEMA_ID
