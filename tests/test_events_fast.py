"""The events hot path (`to_outbox` without pydantic) writes exactly what the models write.

For every event type, a spread of rows (fitting and not fitting the envelope's patterns) and
of data values (plain, of other types, refused by the models), `to_outbox` must give the
same record as `to_record(from_row(...))`, or fail the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest
from pydantic import BaseModel

from hub.domain import events
from hub.domain.events import EventType
from hub.domain.events import wire as eventjson
from hub.domain.freeze import Phase
from hub.domain.messages import Node, Standard
from hub.domain.privacy import person_key

TOPIC = "isd.events"
MESSAGE_ID = UUID("0b8f3a52-6f0e-4c4e-9d0a-6a3c1f2b7e11")
EVENT_ID = UUID("5a4d2c10-9e8b-4f7a-b6c5-d4e3f2a1b0c9")
OTHER_ID = UUID("9c1b7e55-0d3a-4a8e-8f21-3b6e2d4c5a70")
AT = datetime(2025, 4, 17, 8, 30, tzinfo=UTC)
CEST = timezone(timedelta(hours=2))
DAY = date(2025, 4, 1)
PERSON = person_key("174285917", b"secret")


@dataclass(frozen=True, slots=True)
class Row:
    id: Any
    message_type: Any
    standard: Any
    release: Any
    sender: Any
    receiver: Any
    source_node: Any
    person_key: Any
    retourcodes: Any = ()
    retour_due: Any = None


GOOD = Row(MESSAGE_ID, "WMO305", "iwmo", "3.2", "65656055", "0363", "vecozo", PERSON, (), AT)
ROWS: list[Row] = [
    GOOD,
    replace(GOOD, retour_due=None, person_key=None),
    replace(GOOD, message_type="WMO306", retourcodes=("0200", "0001", "0001")),
    replace(GOOD, message_type="WMO405", standard="ieb", sender="0363", receiver="99000001"),
    replace(GOOD, message_type="JW301", standard="ijw", source_node="ggk", sender="0344"),
    replace(GOOD, retour_due=datetime(2025, 4, 23, 23, 59, 59, 999999, tzinfo=CEST)),
    # Not fitting: published as null.
    Row(MESSAGE_ID, "XYZ", "nope", "x", "174285917", "", "", "174285917"),
    Row(MESSAGE_ID, None, None, None, None, None, "hub", None),
    replace(GOOD, message_type="WMO305\n", sender="0363\n", release="3.2 ", person_key="AB"),
    replace(GOOD, standard="IWMO", source_node="GGK", receiver="036"),
    # Other types: the models decide.
    replace(GOOD, id=str(MESSAGE_ID)),
    replace(GOOD, id=str(MESSAGE_ID).upper()),
    replace(GOOD, id="not-a-uuid"),
    replace(GOOD, standard=Standard.IWMO, source_node=Node.VECOZO),
    replace(GOOD, sender=b"65656055", receiver=363),
    replace(GOOD, retour_due=datetime(2025, 4, 23, 23, 59)),  # naive: refused
    replace(GOOD, retour_due="2025-04-23T21:59:59Z"),
    replace(GOOD, retourcodes=["0001", "bad code"]),
]

FINDING = {"rule": "CS002", "retourcode": "0001", "level": 2, "location": "/Bericht/Client/Bsn"}
ENTRY = {"melding_id": str(OTHER_ID), "status": "1", "begindatum": DAY, "einddatum": None}
BASE: dict[EventType, dict[str, object]] = {
    EventType.ACCEPTED: {},
    EventType.REJECTED: {
        "retourcodes": ["9063", "0001", "0001"],
        "rules": ["TR063", "CS002"],
        "findings": [FINDING, {**FINDING, "retourcode": None, "location": "line 3"}],
        "retour_id": str(OTHER_ID),
        "stage": "validation",
        "reason": "CS002 at /Bericht/Client/Bsn: the sentence stays in the ledger",
    },
    EventType.DELIVERED: {"node": "ggk", "inbox": "0363"},
    EventType.DOWNLOADED: {"node": "vecozo", "by": "65656055"},
    EventType.RETOUR_RECEIVED: {"heen_id": str(OTHER_ID)},
    EventType.RETOUR_OVERDUE: {"expects": "WMO306", "deadline": AT, "received_at": AT},
    EventType.REQUEST_OVERDUE: {
        "bericht_code": "444",
        "referentie": "VOT-2025-0042",
        "clock": "answer",
        "deadline": AT,
        "received_at": AT,
    },
    EventType.EB_NOTICE: {
        "source_id": str(OTHER_ID),
        "identificatie": "H1234",
        "entries": [ENTRY, {**ENTRY, "status": "2", "einddatum": date(2025, 12, 31)}],
    },
    EventType.EB_NOTICE_REJECTED: {
        "heen_id": str(OTHER_ID),
        "retourcodes": ["9001"],
        "melding_ids": [str(OTHER_ID), str(EVENT_ID)],
    },
    EventType.EB_LATE_START: {
        "begindatum": DAY,
        "werkdagen": 9,
        "allowed": 5,
        "route": "405",
        "categorie": "02",
        "location": "/Bericht/Client/StartProducten/StartProduct[2]",
    },
    EventType.EB_HELD: {
        "route": "405",
        "reason": "start",
        "melding_id": str(OTHER_ID),
        "status": "1",
        "begindatum": DAY,
        "einddatum": None,
        "limit_months": 12,
        "cutoff": date(2024, 7, 21),
    },
    EventType.SIGNAL_NO_START: {
        "toewijzing_nummer": "300201",
        "categorie": None,
        "ingangsdatum": DAY,
        "einddatum": None,
        "due": date(2025, 4, 8),
    },
    EventType.SIGNAL_NO_STOP: {
        "toewijzing_nummer": "12",
        "categorie": "02",
        "ingangsdatum": DAY,
        "einddatum": date(2025, 6, 30),
        "due": date(2025, 7, 1),
    },
    EventType.SIGNAL_PRODUCTPERIODE: {
        "toewijzing_nummer": "300201",
        "einddatum": date(2025, 3, 31),
        "previous_einddatum": None,
        "declaratie": "H1234",
        "relation": "partly",
        "prestaties": [
            {
                "referentie_nummer": "P-2025-04",
                "begindatum": DAY,
                "einddatum": date(2025, 4, 30),
                "categorie": "02",
                "code": "02A01",
                "relation": "wholly",
            },
            {
                "referentie_nummer": None,
                "begindatum": date(2025, 3, 1),
                "einddatum": date(2025, 4, 30),
                "categorie": None,
                "code": None,
                "relation": "partly",
            },
        ],
    },
    EventType.PARKED: {
        "kind": "old-release",
        "phase": "heen-freeze",
        "from_release": "3.2",
        "to_release": "3.3",
        "until": AT,
    },
    EventType.RELEASED: {"released_as": str(OTHER_ID), "to_release": "3.3", "cutover": AT},
    EventType.RETURNED: {"node": "vecozo", "inbox": "65656055", "to_release": "3.3", "cutover": AT},
    EventType.ADVISORY_FINDING: {
        "gemeente": "0363",
        "rules": ["TR019", "TR019", "TR074"],
        "retourcodes": ["9074", "9019"],
        "findings": [{**FINDING, "rule": "TR019", "retourcode": "9019", "level": 3}, FINDING],
    },
    EventType.PUSH_FAILED: {
        "node": "ggk",
        "inbox": "0363",
        "attempts": 4,
        "reason": "server-error",
        "status": 503,
        "queued_at": AT,
    },
}

# Values tried in every field of every type: some fit, most do not, some are of other types.
VALUES: list[object] = [
    None, "", "0001", "9063", "CS002", "TR063:x", "XML:not_well_formed", "WMO306", "3.2", "0363",
    "65656055", "174285917", "validation", "invalid-retour", "Validation",
    "/Bericht/Client/Bsn", "/Bericht/Client/StartProducten/StartProduct[1]", "line 3", "/",
    "a sentence", "12", "02", "H1234", "1", "2", "3", "4", "405", "407", "ggk", "vecozo", "hub",
    "heen-freeze", "new-release", "old-release", "0363\n", b"0363",
    OTHER_ID, str(OTHER_ID), str(OTHER_ID).upper(), OTHER_ID.hex,
    DAY, "2025-04-01", datetime(2025, 4, 1, 0, 0), AT,
    datetime(2025, 4, 1, 10, 0, 0, 5, tzinfo=CEST),
    0, 1, 2, 4, 5, -1, 2.0, True, False,
    [], (), ["0001", "0001", "9001"], ("CS002", "TR063"), ["0001 elfproef"], {"0001"},
    [FINDING], [{**FINDING, "sentence": "no"}], [{**FINDING, "level": 9}], [ENTRY],
    [{**ENTRY, "status": 1}], [str(OTHER_ID)], [OTHER_ID], {"x": 1},
    Node.GGK, Standard.IWMO, Phase.OPEN, EventType.ACCEPTED,
]  # fmt: skip


def _outcome(make: Callable[[], object]) -> object:
    try:
        return make()
    except Exception as exc:  # the same failure either way
        return (type(exc).__name__, str(exc))


def _same(type_: EventType, row: Row, data: dict[str, object] | None, at: datetime = AT) -> None:
    slow = _outcome(
        lambda: events.to_record(
            TOPIC, events.from_row(type_, row, data, occurred_at=at, event_id=EVENT_ID)
        )
    )
    fast = _outcome(
        lambda: events.to_outbox(TOPIC, type_, row, data, occurred_at=at, event_id=EVENT_ID)
    )
    assert fast == slow, (type_, row, data)


def _cases() -> Iterator[tuple[EventType, Row, dict[str, object] | None]]:
    for type_ in EventType:
        base = BASE[type_]
        for row in ROWS:
            yield type_, row, base
        yield type_, GOOD, None
        model = events.MODELS[type_].model_fields["data"].annotation
        assert isinstance(model, type)
        assert issubclass(model, BaseModel)
        for name in model.model_fields:
            yield type_, GOOD, {k: v for k, v in base.items() if k != name}
            for value in VALUES:
                yield type_, GOOD, {**base, name: value}


def test_every_event_type_has_a_fast_path_and_a_base_case() -> None:
    assert set(eventjson.FAST) == set(EventType) == set(BASE)


@pytest.mark.parametrize("type_", list(EventType))
def test_plain_values_take_the_fast_path(type_: EventType) -> None:
    for row in ROWS[:10]:
        eventjson.fast_event(type_, row, BASE[type_], AT, EVENT_ID)  # no Slow


@pytest.mark.parametrize("type_", list(EventType))
def test_fast_path_writes_what_the_models_write(type_: EventType) -> None:
    checked = 0
    for kind, row, data in _cases():
        if kind is type_:
            _same(kind, row, data)
            checked += 1
    assert checked > 100


@pytest.mark.parametrize(
    "at",
    [AT, datetime(2025, 4, 17, 10, 30, 0, 120000, tzinfo=CEST), datetime(2025, 4, 17, 8, 30)],
)
def test_occurred_at_is_written_as_the_models_write_it(at: datetime) -> None:
    for type_ in EventType:
        _same(type_, GOOD, BASE[type_], at)


def test_a_new_event_id_and_now_by_default() -> None:
    first = events.to_outbox(TOPIC, EventType.ACCEPTED, GOOD)
    second = events.to_outbox(TOPIC, EventType.ACCEPTED, GOOD)
    one, two = events.parse_event(first.payload), events.parse_event(second.payload)
    assert one.id != two.id
    assert one.id.version == 4
    assert abs(one.occurred_at - datetime.now(UTC)) < timedelta(minutes=1)
    assert first.key == second.key == str(MESSAGE_ID).encode()
