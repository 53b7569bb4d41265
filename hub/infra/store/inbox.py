"""The ledger's first tables: messages as received, deliveries and the parties' inboxes."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from hub.infra.store.base import DbConnection, Pool

# --- ledger ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IngressRow:
    """A message as the core records it on arrival."""

    id: UUID
    received_at: datetime
    source_node: str
    submitted_by: str
    namespace: str | None
    bericht_code: str | None
    afzender: str | None
    ontvanger: str | None
    identificatie: str | None
    status: str
    payload: bytes
    ingress_partition: int | None
    ingress_offset: int | None


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    id: UUID
    received_at: datetime
    source_node: str
    submitted_by: str
    bericht_code: str | None
    afzender: str | None
    ontvanger: str | None
    identificatie: str | None
    status: str


@dataclass(frozen=True, slots=True)
class InboxItem:
    message_id: UUID
    party: str
    bericht_code: str | None
    afzender: str | None
    identificatie: str | None
    available_at: datetime
    downloaded_at: datetime | None


async def record_messages(pool: Pool, rows: Sequence[IngressRow]) -> set[UUID]:
    """Insert ledger rows; return the ids that were new (a redelivered id is skipped)."""
    if not rows:
        return set()
    async with pool.acquire() as conn:
        inserted = await conn.fetch(
            """
            INSERT INTO message (id, received_at, source_node, submitted_by, namespace,
                                 bericht_code, afzender, ontvanger, identificatie, status,
                                 payload, payload_sha256, ingress_partition, ingress_offset)
            SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[],
                                 $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                                 $10::text[], $11::bytea[], $12::bytea[], $13::int[],
                                 $14::bigint[])
            ON CONFLICT (id) DO NOTHING
            RETURNING id
            """,
            [r.id for r in rows],
            [r.received_at for r in rows],
            [r.source_node for r in rows],
            [r.submitted_by for r in rows],
            [r.namespace for r in rows],
            [r.bericht_code for r in rows],
            [r.afzender for r in rows],
            [r.ontvanger for r in rows],
            [r.identificatie for r in rows],
            [r.status for r in rows],
            [r.payload for r in rows],
            [hashlib.sha256(r.payload).digest() for r in rows],
            [r.ingress_partition for r in rows],
            [r.ingress_offset for r in rows],
        )
    return {r["id"] for r in inserted}


async def ledger_entry(pool: Pool, message_id: UUID) -> LedgerEntry | None:
    row = await pool.fetchrow(
        "SELECT id, received_at, source_node, submitted_by, bericht_code, afzender, ontvanger,"
        " identificatie, status FROM message WHERE id = $1",
        message_id,
    )
    return LedgerEntry(**dict(row)) if row else None


async def count_messages(pool: Pool) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM message"))


async def add_deliveries(pool: Pool, node: str, items: Sequence[tuple[UUID, str]]) -> int:
    """Put (message id, party) pairs in the inbox; a redelivered pair is ignored."""
    return len(await deliver(pool, node, items))


async def deliver(
    db: DbConnection | Pool, node: str, items: Sequence[tuple[UUID, str]]
) -> list[tuple[UUID, str]]:
    """Put (message id, party) pairs in the inbox; returns the pairs that are new there (a
    redelivered pair is ignored, so it raises no second 'delivered' event)."""
    if not items:
        return []
    rows = await db.fetch(
        """
        INSERT INTO delivery (message_id, node, party)
        SELECT m, $1, p FROM unnest($2::uuid[], $3::text[]) AS t(m, p)
        ON CONFLICT (message_id, party) DO NOTHING
        RETURNING message_id, party
        """,
        node,
        [m for m, _ in items],
        [p for _, p in items],
    )
    return [(r["message_id"], r["party"]) for r in rows]


async def inbox(pool: Pool, node: str, party: str, limit: int = 100) -> list[InboxItem]:
    rows = await pool.fetch(
        """
        SELECT d.message_id, d.party, m.bericht_code, m.afzender, m.identificatie,
               d.available_at, d.downloaded_at
        FROM delivery d JOIN message m ON m.id = d.message_id
        WHERE d.node = $1 AND d.party = $2 AND d.acked_at IS NULL AND NOT d.payload_purged
          AND m.purged_at IS NULL
        ORDER BY d.id
        LIMIT $3
        """,
        node,
        party,
        limit,
    )
    return [InboxItem(**dict(r)) for r in rows]


async def download(pool: Pool, node: str, party: str, message_id: UUID) -> bytes | None:
    """The payload of a message in this party's inbox (None when it is not theirs)."""
    row = await pool.fetchrow(
        """
        UPDATE delivery d SET downloaded_at = coalesce(d.downloaded_at, now())
        FROM message m
        WHERE m.id = d.message_id AND d.node = $1 AND d.party = $2 AND d.message_id = $3
          AND m.purged_at IS NULL
        RETURNING m.payload
        """,
        node,
        party,
        message_id,
    )
    return bytes(row["payload"]) if row else None


async def acknowledge(pool: Pool, node: str, party: str, message_id: UUID) -> bool:
    result = await pool.execute(
        "UPDATE delivery SET acked_at = coalesce(acked_at, now())"
        " WHERE node = $1 AND party = $2 AND message_id = $3",
        node,
        party,
        message_id,
    )
    return result.split()[-1] != "0"
