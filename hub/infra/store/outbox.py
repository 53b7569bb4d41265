"""The outbox table: rows queued in the caller's transaction, claimed and deleted by a relay."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Final

from hub.domain.headers import H
from hub.domain.records import OutboxMessage
from hub.infra.store.base import DbConnection, Pool

_MESSAGE_ID: Final = H.MESSAGE_ID.value


async def add(
    conn: DbConnection,
    messages: Sequence[OutboxMessage],
    *,
    ledger_payloads: Mapping[str, bytes] | None = None,
    hold_s: float | None = None,
) -> list[int]:
    """Queue messages inside the caller's transaction; returns their row ids, in order.

    `ledger_payloads` maps a message id to the payload of its ledger row written in the same
    transaction: a message naming that id (hub-message-id) with the same bytes stores a
    reference instead of a copy (migration 0011). `hold_s` keeps the rows from every relay's
    claim that long: the caller publishes them itself right after its commit.
    """
    if not messages:
        return []
    refs = ledger_payloads or {}
    topics: list[str] = []
    keys: list[bytes | None] = []
    payloads: list[bytes | None] = []
    payload_of: list[str | None] = []
    headers: list[str] = []
    for m in messages:
        topics.append(m.topic)
        keys.append(m.key)
        ref = m.headers.get(_MESSAGE_ID)
        stored = refs.get(ref) if ref is not None else None
        # `is` first: the core hands over the very bytes object of the ledger row.
        if stored is not None and (stored is m.payload or stored == m.payload):
            payloads.append(None)
            payload_of.append(ref)
        else:
            payloads.append(m.payload)
            payload_of.append(None)
        headers.append(json.dumps(m.headers))
    # INSERT ... unnest rather than COPY, which cannot return the ids; nextval runs row by
    # row in the order given, so the ids, sorted, line up with `messages`.
    rows = await conn.fetch(
        """
        INSERT INTO outbox (topic, key, payload, payload_of, headers, hold_until)
        SELECT t, k, p, r, h,
               CASE WHEN $6::float8 IS NULL THEN NULL
                    ELSE now() + make_interval(secs => $6::float8) END
        FROM unnest($1::text[], $2::bytea[], $3::bytea[], $4::uuid[], $5::jsonb[])
             WITH ORDINALITY AS u(t, k, p, r, h, n)
        ORDER BY n
        RETURNING id
        """,
        topics,
        keys,
        payloads,
        payload_of,
        headers,
        hold_s,
    )
    return sorted(r["id"] for r in rows)


async def claim(conn: DbConnection, limit: int, *, held_too: bool = False) -> list[OutboxMessage]:
    """Take up to `limit` rows, oldest first, deleting them in the caller's transaction.

    Rows other relays hold are skipped, so several cores relay side by side; a rollback (the
    publish failed) puts the rows back. Rows a core is publishing itself (`hold_until` in the
    future) are skipped too, unless `held_too`: the relay whose own direct publish failed
    takes everything, in order, until the outbox is drained.
    """
    # The delete need not wait for its WAL flush: were it lost in a PostgreSQL crash, the rows
    # would come back and be published again, which every consumer absorbs (the inbox by
    # message and party, events by their id). Saves a disk flush per relay batch.
    await conn.execute("SET LOCAL synchronous_commit = off")
    rows = await conn.fetch(
        """
        WITH claimed AS (
            DELETE FROM outbox WHERE id IN (
                SELECT id FROM outbox
                WHERE $2 OR hold_until IS NULL OR hold_until <= now()
                ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
            RETURNING id, topic, key, payload, payload_of, headers)
        SELECT c.id, c.topic, c.key, coalesce(c.payload, m.payload) AS payload, c.headers
        FROM claimed c LEFT JOIN message m ON m.id = c.payload_of
        """,
        limit,
        held_too,
    )
    rows = sorted(rows, key=lambda r: r["id"])  # RETURNING keeps no order
    return [
        OutboxMessage(
            r["topic"],
            bytes(r["key"]) if r["key"] is not None else None,
            # A reference whose ledger row is gone cannot happen (same transaction, and the
            # purge spares referenced payloads); were it to, it goes out empty rather than
            # hold up every row behind it.
            bytes(r["payload"]) if r["payload"] is not None else b"",
            json.loads(r["headers"]),
        )
        for r in rows
    ]


async def forget(conn: DbConnection, ids: Sequence[int]) -> None:
    """Delete rows a core published itself (Relay.offer). Like the claim's delete, it need
    not wait for its WAL flush: a lost delete only means a later republish."""
    if not ids:
        return
    async with conn.transaction():
        await conn.execute("SET LOCAL synchronous_commit = off")
        await conn.execute("DELETE FROM outbox WHERE id = ANY($1::bigint[])", list(ids))


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
    the broker watch tries again). A row a core publishes itself (`hold_until` set) is
    deleted without that lock once sent, possibly into the lost broker: its message is
    queued again whatever that row's fate; the inbox absorbs a second copy.
    """
    await conn.execute("SET LOCAL lock_timeout = '5s'")
    await conn.execute("LOCK TABLE outbox IN EXCLUSIVE MODE")
    status = await conn.execute(
        """
        INSERT INTO outbox (topic, key, payload_of, headers)
        SELECT $1::jsonb ->> m.receiver_node, convert_to(m.receiver, 'UTF8'), m.id,
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
              WHERE o.topic = ANY($3::text[]) AND o.headers ? $4::text
                AND o.hold_until IS NULL)
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
