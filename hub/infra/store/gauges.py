"""Ledger counts the metrics sampler reports as gauges, and the first-download timing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from hub.infra.store.base import Pool


async def ledger_gauges(pool: Pool) -> tuple[int, float, int, int]:
    """(outbox rows, age of the oldest in seconds, overdue retours, open dead letters)."""
    row = await pool.fetchrow(
        """
        SELECT (SELECT count(*) FROM outbox) AS backlog,
               (SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8
                  FROM outbox) AS age,
               (SELECT count(*) FROM message
                 WHERE retour_due < now() AND retour_id IS NULL) AS overdue,
               (SELECT count(*) FROM dead_letter WHERE replayed_at IS NULL) AS dead
        """
    )
    assert row is not None
    return int(row["backlog"]), float(row["age"]), int(row["overdue"]), int(row["dead"])


@dataclass(frozen=True, slots=True)
class Download:
    payload: bytes
    received_at: datetime
    message_type: str | None
    first: bool  # the party's first download of it


async def download(pool: Pool, node: str, party: str, message_id: UUID) -> Download | None:
    """As hub.infra.store.inbox.download, and also when the message was uploaded and whether this
    is its first download (for the upload → download latency)."""
    row = await pool.fetchrow(
        """
        WITH prev AS (
            SELECT downloaded_at FROM delivery
            WHERE node = $1 AND party = $2 AND message_id = $3 FOR UPDATE)
        UPDATE delivery d SET downloaded_at = coalesce(d.downloaded_at, now())
        FROM message m, prev
        WHERE m.id = d.message_id AND d.node = $1 AND d.party = $2 AND d.message_id = $3
          AND m.purged_at IS NULL  -- a purged payload is gone, as if never delivered
        RETURNING m.payload, m.received_at, m.message_type, prev.downloaded_at IS NULL AS first
        """,
        node,
        party,
        message_id,
    )
    if row is None:
        return None
    return Download(bytes(row["payload"]), row["received_at"], row["message_type"], row["first"])
