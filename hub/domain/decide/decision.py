"""The shapes every decision shares: what comes in, what the core lends, what comes out.

An `Incoming` is decided under a `Context` into a `Decision` (rows, findings, outbox messages,
history effects, a retour link, a dead letter, events) that the intake batch writes in one
transaction; `base_row` and `egress` build the ledger row and the routed copy decisions need.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from hub.domain.advisory import AdvisoryFinding, ModeLookup, enforce_everywhere
from hub.domain.findings import Finding
from hub.domain.freeze import Calendar
from hub.domain.headers import H
from hub.domain.history import HistoryEffects
from hub.domain.messages import MessageType
from hub.domain.packs import PackRegistry
from hub.domain.records import DeadLetter, MessageRow, OutboxMessage
from hub.domain.validation import Verdict


@dataclass(frozen=True, slots=True)
class Incoming:
    """An ingress record as the adapter produced it."""

    id: UUID
    node: str
    party: str
    received_at: datetime
    payload: bytes
    partition: int | None
    offset: int | None
    topic: str
    trace_headers: dict[str, str] = field(default_factory=dict)

    @property
    def origin(self) -> str:
        return f"{self.topic}/{self.partition}/{self.offset}"


@dataclass
class Decision:
    """Everything one message leads to, written in the batch's single transaction."""

    rows: list[MessageRow] = field(default_factory=list)
    findings: list[tuple[UUID, tuple[Finding, ...]]] = field(default_factory=list)
    outbox: list[OutboxMessage] = field(default_factory=list)
    effects: HistoryEffects | None = None
    link: tuple[UUID, UUID, datetime] | None = None
    dead_letter: DeadLetter | None = None
    events: list[EventSpec] = field(default_factory=list)
    # History findings of a message routed in advisory mode (hub/domain/advisory.py): kept for
    # `hub history report`, not in `findings`, which hold what refused a message.
    advisory: tuple[AdvisoryFinding, ...] = ()


@dataclass(frozen=True, slots=True)
class EventSpec:
    """A domain event to publish; turned into JSON by the event module."""

    type: str
    message_id: UUID
    row: MessageRow
    data: dict[str, object]


@dataclass(frozen=True)
class Context:
    """What every decision needs from the running core."""

    packs: PackRegistry
    egress_topic: Callable[[str], str]  # node name → topic
    dlq_topic: str
    today: Callable[[], date]
    deadline: Callable[[datetime, MessageType], datetime | None]
    freeze: Calendar | None = None  # release freezes (hub/domain/freeze.py); None: none
    parked_topic: str = ""
    # Each gemeente's history-rule mode (hub/domain/advisory.py); the intake fills it per
    # batch. Without one, every history finding refuses, as before advisory mode existed.
    history_mode: ModeLookup = enforce_everywhere


def finding_refs(findings: tuple[Finding, ...]) -> list[dict[str, object]]:
    """Findings as events carry them: rule, code, level and place, never the sentence."""
    return [
        {
            "rule": f.rule,
            "retourcode": f.retourcode or None,
            "level": int(f.level.value),
            "location": f.location,
        }
        for f in findings
    ]


def base_row(item: Incoming, verdict: Verdict, person: str | None, **fields: Any) -> MessageRow:
    """The ledger row of an incoming message as read; `fields` set or override columns
    (one constructor call: dataclasses.replace costs as much again, per message)."""
    env = verdict.envelope
    mt = verdict.message_type
    columns: dict[str, Any] = dict(
        id=item.id,
        received_at=item.received_at,
        source_node=item.node,
        submitted_by=item.party,
        status="received",
        payload=item.payload,
        namespace=env.namespace if env else None,
        bericht_code=env.bericht_code if env else None,
        afzender=env.afzender if env else None,
        ontvanger=env.ontvanger if env else None,
        identificatie=env.identificatie if env else None,
        ingress_partition=item.partition,
        ingress_offset=item.offset,
        message_type=mt.name if mt else None,
        standard=mt.standard.value if mt else None,
        release=verdict.pack_message.pack.release if verdict.pack_message else None,
        direction=mt.direction.value if mt else None,
        sender=item.party,
        person_key=person,
    )
    columns.update(fields)
    return MessageRow(**columns)


def egress(ctx: Context, row: MessageRow, payload: bytes, item: Incoming) -> OutboxMessage:
    """`payload` routed to `row`'s receiver on its node's egress topic, with `item`'s trace."""
    assert row.receiver is not None
    assert row.receiver_node is not None
    headers = {
        H.MESSAGE_ID.value: str(row.id),
        H.RECEIVER.value: row.receiver,
        H.NODE.value: row.receiver_node,
        H.MESSAGE_TYPE.value: row.message_type or "",
        **item.trace_headers,
    }
    return OutboxMessage(
        ctx.egress_topic(row.receiver_node), row.receiver.encode(), payload, headers
    )
