"""The outbox table: rows queued in the caller's transaction, claimed and deleted by a relay."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from hub.store.base import DbConnection, Pool


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    topic: str
    key: bytes | None
    payload: bytes
    headers: dict[str, str] = field(default_factory=dict)


async def add(conn: DbConnection, messages: Sequence[OutboxMessage]) -> None:
    """Queue messages inside the caller's transaction."""
    if not messages:
        return
    await conn.copy_records_to_table(
        "outbox",
        records=[(m.topic, m.key, m.payload, json.dumps(m.headers)) for m in messages],
        columns=["topic", "key", "payload", "headers"],
    )


async def claim(conn: DbConnection, limit: int) -> list[OutboxMessage]:
    """Take up to `limit` rows, oldest first, deleting them in the caller's transaction.

    Rows other relays hold are skipped, so several cores relay side by side; a rollback (the
    publish failed) puts the rows back.
    """
    rows = await conn.fetch(
        """
        DELETE FROM outbox WHERE id IN (
            SELECT id FROM outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING id, topic, key, payload, headers
        """,
        limit,
    )
    rows = sorted(rows, key=lambda r: r["id"])  # RETURNING keeps no order
    return [
        OutboxMessage(
            r["topic"],
            bytes(r["key"]) if r["key"] is not None else None,
            bytes(r["payload"]),
            json.loads(r["headers"]),
        )
        for r in rows
    ]


async def backlog(pool: Pool) -> tuple[int, float]:
    """(rows waiting, age in seconds of the oldest) for health and metrics."""
    row = await pool.fetchrow(
        "SELECT count(*) AS n,"
        " coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS age FROM outbox"
    )
    assert row is not None
    return int(row["n"]), float(row["age"])
