"""The rows the core's decisions return: ledger messages, heenbericht references, dead letters
and outbox records, as plain values (the store writes them; the domain only builds them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True, slots=True)
class MessageRow:
    """One message as the core records it."""

    id: UUID
    received_at: datetime
    source_node: str
    submitted_by: str
    status: str
    payload: bytes
    namespace: str | None = None
    bericht_code: str | None = None
    afzender: str | None = None
    ontvanger: str | None = None
    identificatie: str | None = None
    ingress_partition: int | None = None
    ingress_offset: int | None = None
    message_type: str | None = None
    standard: str | None = None
    release: str | None = None
    direction: str | None = None
    sender: str | None = None
    receiver: str | None = None
    receiver_node: str | None = None
    person_key: str | None = None
    retourcodes: tuple[str, ...] = ()
    answers: UUID | None = None
    built_by_hub: bool = False
    retour_due: datetime | None = None
    retour_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class HeenRef:
    """A routed heenbericht as a retour that answers it needs to know it."""

    id: UUID
    sender: str | None
    receiver: str | None
    receiver_node: str | None
    source_node: str
    message_type: str | None
    retour_id: UUID | None


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A message the core could not take, with why and where it came from."""

    message_id: UUID | None
    stage: str
    error: str
    reason: str
    origin: str
    headers: dict[str, str]
    payload: bytes


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A Kafka record to send once the transaction that queued it commits (the outbox relay
    sends it; hub.infra.store.outbox holds its table)."""

    topic: str
    key: bytes | None
    payload: bytes
    headers: dict[str, str] = field(default_factory=dict)
