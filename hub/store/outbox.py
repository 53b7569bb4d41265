"""The outbox table: rows queued in the caller's transaction, claimed and deleted by a relay."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from hub.headers import H
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
    # The delete need not wait for its WAL flush: were it lost in a PostgreSQL crash, the rows
    # would come back and be published again, which every consumer absorbs (the inbox by
    # message and party, events by their id). Saves a disk flush per relay batch.
    await conn.execute("SET LOCAL synchronous_commit = off")
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


async def requeue_undelivered(conn: DbConnection, egress: dict[str, str]) -> int:
    """Queue again, in the caller's transaction, the egress of every accepted message whose
    receiver's inbox does not have it and that no outbox row still carries: what a broker
    that lost its data may have taken with it. `egress` maps a node to its egress topic.

    The headers are the ones the core writes (the trace context is not kept).
    The outbox is locked against writers first, so a relay that published a batch into the
    lost broker but has not yet committed its delete is waited for instead of being missed;
    not for long, since intake waits behind the lock too (a timeout fails the recovery, which
    the broker watch tries again).
    """
    await conn.execute("SET LOCAL lock_timeout = '5s'")
    await conn.execute("LOCK TABLE outbox IN EXCLUSIVE MODE")
    status = await conn.execute(
        """
        INSERT INTO outbox (topic, key, payload, headers)
        SELECT $1::jsonb ->> m.receiver_node, convert_to(m.receiver, 'UTF8'), m.payload,
               jsonb_build_object($4::text, m.id::text, $5::text, m.receiver,
                                  $6::text, m.receiver_node,
                                  $7::text, coalesce(m.message_type, ''))
        FROM message m
        WHERE m.status = 'accepted' AND m.receiver_node = ANY($2::text[])
          AND coalesce(m.receiver, '') <> '' AND m.purged_at IS NULL
          AND NOT EXISTS (
              SELECT 1 FROM delivery d WHERE d.message_id = m.id AND d.party = m.receiver)
          AND m.id::text NOT IN (
              SELECT o.headers ->> $4::text FROM outbox o
              WHERE o.topic = ANY($3::text[]) AND o.headers ? $4::text)
        ORDER BY m.received_at, m.id
        """,
        json.dumps(egress),
        list(egress),
        list(egress.values()),
        H.MESSAGE_ID.value,
        H.RECEIVER.value,
        H.NODE.value,
        H.MESSAGE_TYPE.value,
    )
    return int(status.split()[-1])
