"""The adapters' ingress journal: every accepted upload until the ledger has it, so uploads a
broker lost (a memory-only broker restarted, a wiped cluster) can be produced again."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from hub.infra.store.base import DbConnection, Pool


@dataclass(frozen=True, slots=True)
class JournalEntry:
    message_id: UUID
    node: str
    key: bytes | None
    payload: bytes
    headers: dict[str, str] = field(default_factory=dict)


async def add(pool: Pool, entry: JournalEntry) -> bool:
    """Journal an upload before it is produced; False when the id is journaled already (a
    retried upload with the same Idempotency-Key)."""
    status = await pool.execute(
        "INSERT INTO ingress_journal (message_id, node, key, headers, payload)"
        " VALUES ($1, $2, $3, $4::jsonb, $5) ON CONFLICT (message_id) DO NOTHING",
        entry.message_id,
        entry.node,
        entry.key,
        json.dumps(entry.headers),
        entry.payload,
    )
    return status.split()[-1] == "1"


async def remove(pool: Pool, message_id: UUID) -> None:
    """Forget an upload the broker refused (the party was told it failed)."""
    await pool.execute("DELETE FROM ingress_journal WHERE message_id = $1", message_id)


async def digest(pool: Pool, message_id: UUID) -> bytes | None:
    """SHA-256 of the payload stored under this id (journal or ledger), None when unknown: a
    retried upload must carry the same message as the first attempt."""
    value = await pool.fetchval(
        "SELECT coalesce("
        " (SELECT sha256(payload) FROM ingress_journal WHERE message_id = $1),"
        " (SELECT payload_sha256 FROM message WHERE id = $1))",
        message_id,
    )
    return bytes(value) if value is not None else None


def sha256(payload: bytes) -> bytes:
    return hashlib.sha256(payload).digest()


async def unrecorded(
    pool: Pool, node: str, after: tuple[datetime, UUID] | None, limit: int
) -> list[tuple[datetime, JournalEntry]]:
    """The next journal entries of this node the ledger does not have, in upload order
    (keyset pagination from `after`), each with its position."""
    rows = await pool.fetch(
        """
        SELECT j.journaled_at, j.message_id, j.key, j.headers, j.payload
        FROM ingress_journal j
        WHERE j.node = $1
          AND ($2::timestamptz IS NULL OR (j.journaled_at, j.message_id) > ($2, $3::uuid))
          AND NOT EXISTS (SELECT 1 FROM message m WHERE m.id = j.message_id)
        ORDER BY j.journaled_at, j.message_id
        LIMIT $4
        """,
        node,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )
    return [
        (
            r["journaled_at"],
            JournalEntry(
                r["message_id"],
                node,
                bytes(r["key"]) if r["key"] is not None else None,
                bytes(r["payload"]),
                json.loads(r["headers"]),
            ),
        )
        for r in rows
    ]


async def trim(pool: Pool, node: str, limit: int = 5000) -> int:
    """Delete up to `limit` of this node's entries the ledger has; returns how many."""
    status = await pool.execute(
        """
        DELETE FROM ingress_journal WHERE message_id IN (
            SELECT j.message_id FROM ingress_journal j
            WHERE j.node = $1 AND EXISTS (SELECT 1 FROM message m WHERE m.id = j.message_id)
            LIMIT $2
            FOR UPDATE SKIP LOCKED)
        """,
        node,
        limit,
    )
    return int(status.split()[-1])


async def drop_older(conn: DbConnection, cutoff: datetime) -> int:
    """Drop entries journaled before `cutoff` that never reached the ledger (left by a request
    that died between journal and broker): they hold personal data nobody will use."""
    status = await conn.execute("DELETE FROM ingress_journal WHERE journaled_at < $1", cutoff)
    return int(status.split()[-1])


async def count(pool: Pool, ids: Sequence[UUID] | None = None) -> int:
    """Entries still journaled (of these ids)."""
    if ids is None:
        return int(await pool.fetchval("SELECT count(*) FROM ingress_journal"))
    return int(
        await pool.fetchval(
            "SELECT count(*) FROM ingress_journal WHERE message_id = ANY($1::uuid[])", list(ids)
        )
    )
