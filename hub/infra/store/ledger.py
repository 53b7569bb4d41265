"""The ledger's SQL for the routing core: messages with their verdicts and findings, retour
links and deadlines, dead letters, and the operator's queries over them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from uuid import UUID

from hub.domain.advisory import AdvisoryFinding
from hub.domain.findings import Finding
from hub.domain.records import DeadLetter, HeenRef, MessageRow
from hub.infra.store import history_modes, message_status
from hub.infra.store.base import DbConnection as Conn
from hub.infra.store.base import Pool

_COLUMNS = (
    "id", "received_at", "source_node", "submitted_by", "status", "payload", "payload_sha256",
    "namespace", "bericht_code", "afzender", "ontvanger", "identificatie", "ingress_partition",
    "ingress_offset", "message_type", "standard", "release", "direction", "sender", "receiver",
    "receiver_node", "person_key", "retourcodes", "answers", "built_by_hub", "retour_due",
    "retour_id",
)  # fmt: skip


async def known_ids(conn: Conn, ids: Sequence[UUID]) -> set[UUID]:
    """Which of these message ids the ledger already has (a redelivered batch)."""
    if not ids:
        return set()
    rows = await conn.fetch("SELECT id FROM message WHERE id = ANY($1::uuid[])", list(ids))
    return {r["id"] for r in rows}


async def insert_messages(conn: Conn, rows: Sequence[MessageRow]) -> None:
    """COPY the batch in: one round trip, whatever its size."""
    if not rows:
        return
    records = [
        (
            r.id, r.received_at, r.source_node, r.submitted_by, r.status, r.payload,
            hashlib.sha256(r.payload).digest(), r.namespace, r.bericht_code, r.afzender,
            r.ontvanger, r.identificatie, r.ingress_partition, r.ingress_offset, r.message_type,
            r.standard, r.release, r.direction, r.sender, r.receiver, r.receiver_node,
            r.person_key, list(r.retourcodes), r.answers, r.built_by_hub, r.retour_due,
            r.retour_id,
        )
        for r in rows
    ]  # fmt: skip
    await conn.copy_records_to_table("message", records=records, columns=list(_COLUMNS))


async def insert_findings(conn: Conn, items: Sequence[tuple[UUID, Sequence[Finding]]]) -> None:
    records = [
        (mid, pos, f.rule, f.retourcode, int(f.level.value), f.location, f.sentence)
        for mid, found in items
        for pos, f in enumerate(found)
    ]
    if records:
        await conn.copy_records_to_table(
            "finding",
            records=records,
            columns=[
                "message_id",
                "position",
                "rule",
                "retourcode",
                "level",
                "location",
                "sentence",
            ],
        )


async def find_heen(
    conn: Conn, keys: Sequence[tuple[str, str, str]]
) -> dict[tuple[str, str, str], HeenRef]:
    """Routed heenberichten by (sender, BerichtCode, Identificatie), for linking retours."""
    if not keys:
        return {}
    rows = await conn.fetch(
        """
        SELECT DISTINCT ON (m.sender, m.bericht_code, m.identificatie)
               m.sender, m.bericht_code, m.identificatie, m.id, m.receiver, m.receiver_node,
               m.source_node, m.message_type, m.retour_id
        FROM message m
        JOIN unnest($1::text[], $2::text[], $3::text[]) AS k(s, c, i)
          ON m.sender = k.s AND m.bericht_code = k.c AND m.identificatie = k.i
        WHERE m.direction = 'heen' AND m.status = 'accepted'
        ORDER BY m.sender, m.bericht_code, m.identificatie, m.received_at
        """,
        [k[0] for k in keys],
        [k[1] for k in keys],
        [k[2] for k in keys],
    )
    return {
        (r["sender"], r["bericht_code"], r["identificatie"]): HeenRef(
            id=r["id"],
            sender=r["sender"],
            receiver=r["receiver"],
            receiver_node=r["receiver_node"],
            source_node=r["source_node"],
            message_type=r["message_type"],
            retour_id=r["retour_id"],
        )
        for r in rows
    }


async def link_retours(conn: Conn, links: Sequence[tuple[UUID, UUID, datetime]]) -> None:
    """Mark heenberichten as answered: (heen id, retour id, when)."""
    if links:
        await conn.executemany(
            "UPDATE message SET retour_id = $2, retour_at = $3 WHERE id = $1 AND retour_id IS NULL",
            links,
        )


@dataclass(frozen=True, slots=True)
class EventRow:
    """What an event says about a recorded message (see hub.domain.events.MessageRowLike)."""

    id: UUID
    message_type: str | None
    standard: str | None
    release: str | None
    sender: str | None
    receiver: str | None
    source_node: str
    person_key: str | None
    retourcodes: tuple[str, ...]
    retour_due: datetime | None


async def event_rows(conn: Conn, ids: Sequence[UUID]) -> dict[UUID, EventRow]:
    if not ids:
        return {}
    rows = await conn.fetch(
        "SELECT id, message_type, standard, release, sender, receiver, source_node, person_key,"
        " retourcodes, retour_due FROM message WHERE id = ANY($1::uuid[])",
        list(ids),
    )
    return {
        r["id"]: EventRow(**{**dict(r), "retourcodes": tuple(r["retourcodes"] or ())}) for r in rows
    }


# --- deadlines -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Overdue:
    id: UUID
    message_type: str | None
    sender: str | None
    receiver: str | None
    receiver_node: str | None
    identificatie: str | None
    received_at: datetime
    retour_due: datetime


async def claim_overdue(conn: Conn, now: datetime, limit: int = 500) -> list[Overdue]:
    """Heenberichten past their retour deadline, not yet reported; marks them reported."""
    rows = await conn.fetch(
        """
        UPDATE message SET overdue_at = $1
        WHERE id IN (
            SELECT id FROM message
            WHERE retour_due < $1 AND retour_id IS NULL AND overdue_at IS NULL
            ORDER BY retour_due LIMIT $2 FOR UPDATE SKIP LOCKED)
        RETURNING id, message_type, sender, receiver, receiver_node, identificatie,
                  received_at, retour_due
        """,
        now,
        limit,
    )
    return [Overdue(**dict(r)) for r in rows]


async def overdue(pool: Pool, limit: int = 1000) -> list[Overdue]:
    """Every routed heenbericht still waiting for its retour past the deadline."""
    rows = await pool.fetch(
        """
        SELECT id, message_type, sender, receiver, receiver_node, identificatie, received_at,
               retour_due
        FROM message WHERE retour_due < now() AND retour_id IS NULL
        ORDER BY retour_due LIMIT $1
        """,
        limit,
    )
    return [Overdue(**dict(r)) for r in rows]


# --- dead letters --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeadLetterEntry:
    id: int
    message_id: UUID | None
    stage: str
    error: str
    reason: str
    origin: str
    created_at: datetime
    replayed_at: datetime | None


async def add_dead_letters(conn: Conn, letters: Sequence[DeadLetter]) -> None:
    if letters:
        await conn.copy_records_to_table(
            "dead_letter",
            records=[
                (
                    d.message_id,
                    d.stage,
                    d.error,
                    d.reason,
                    d.origin,
                    json.dumps(d.headers),
                    d.payload,
                )
                for d in letters
            ],
            columns=["message_id", "stage", "error", "reason", "origin", "headers", "payload"],
        )


async def dead_letters(pool: Pool, *, include_replayed: bool = False) -> list[DeadLetterEntry]:
    rows = await pool.fetch(
        "SELECT id, message_id, stage, error, reason, origin, created_at, replayed_at"
        " FROM dead_letter WHERE $1 OR replayed_at IS NULL ORDER BY id",
        include_replayed,
    )
    return [DeadLetterEntry(**dict(r)) for r in rows]


# A derivation's skip (handlers.poison) is not replayable: its message was accepted and routed,
# so sending it through intake again would decide it a second time (refused as a reused
# Identificatie, or routed twice in advisory mode).
NOT_REPLAYABLE: Final = "derivation:"


async def take_dead_letter(conn: Conn, letter_id: int) -> tuple[dict[str, str], bytes] | None:
    """Mark one dead letter replayed and return its headers and payload (None if unknown,
    already replayed, or a derivation's skip, which is never replayed)."""
    row = await conn.fetchrow(
        "UPDATE dead_letter SET replayed_at = now() WHERE id = $1 AND replayed_at IS NULL"
        " AND NOT starts_with(stage, $2) RETURNING headers, payload",
        letter_id,
        NOT_REPLAYABLE,
    )
    if row is None:
        return None
    return dict(json.loads(row["headers"])), bytes(row["payload"])


async def dead_letter_stage(conn: Conn, letter_id: int) -> str | None:
    """The stage of one dead letter (None if there is no such letter)."""
    stage = await conn.fetchval("SELECT stage FROM dead_letter WHERE id = $1", letter_id)
    return None if stage is None else str(stage)


# --- trace ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TraceEntry:
    id: UUID
    received_at: datetime
    source_node: str
    submitted_by: str
    message_type: str | None
    identificatie: str | None
    sender: str | None
    receiver: str | None
    status: str
    retourcodes: tuple[str, ...]
    answers: UUID | None
    retour_id: UUID | None
    retour_due: datetime | None
    overdue_at: datetime | None
    built_by_hub: bool
    findings: tuple[Finding, ...]
    deliveries: tuple[tuple[str, datetime, datetime | None, datetime | None], ...]
    # History findings of a message routed in advisory mode: reported, never refusing it.
    advisory: tuple[AdvisoryFinding, ...] = ()


async def trace(pool: Pool, ref: str) -> list[TraceEntry]:
    """A message and everything linked to it, by message id or by Identificatie."""
    try:
        by_id: UUID | None = UUID(ref)
    except ValueError:
        by_id = None
    rows = await pool.fetch(
        """
        WITH hit AS (
            SELECT id FROM message WHERE id = $1 OR identificatie = $2
        ), related AS (
            SELECT id FROM hit
            UNION SELECT m.id FROM message m JOIN hit ON m.answers = hit.id
            UNION SELECT m.answers FROM message m JOIN hit ON m.id = hit.id
                  WHERE m.answers IS NOT NULL
        )
        SELECT m.id, m.received_at, m.source_node, m.submitted_by, m.message_type,
               m.identificatie, m.sender, m.receiver, m.status, m.retourcodes, m.answers,
               m.retour_id, m.retour_due, m.overdue_at, m.built_by_hub
        FROM message m JOIN related r ON r.id = m.id
        ORDER BY m.received_at, m.id
        """,
        by_id,
        ref,
    )
    # Findings and deliveries of every message at once (the same queries as the sender's
    # status answer, hub/infra/store/message_status.py).
    ids = [r["id"] for r in rows]
    findings = await message_status.findings_of(pool, ids)
    deliveries = await message_status.deliveries_of(pool, ids)
    out: list[TraceEntry] = []
    for r in rows:
        data = dict(r)
        data["retourcodes"] = tuple(data["retourcodes"] or ())
        out.append(
            TraceEntry(
                **data,
                findings=findings.get(r["id"], ()),
                deliveries=tuple(
                    (d.party, d.available_at, d.downloaded_at, d.acked_at)
                    for d in deliveries.get(r["id"], ())
                ),
                advisory=await history_modes.of_message(pool, r["id"]),
            )
        )
    return out
