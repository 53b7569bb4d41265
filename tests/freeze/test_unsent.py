"""What a freeze leaves unsent is kept as it happens (migration 0031): a routed message awaits
its first delivery from the moment it is written or released from parking (a database with
messages on their way: tests/scale/test_backfills.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import asyncpg

from hub.infra import store
from hub.infra.store import freeze as table
from tests.ledgerkit import routed_message


async def _awaiting(db: asyncpg.Connection | store.Pool) -> set[UUID]:
    return {r["message_id"] for r in await db.fetch("SELECT message_id FROM awaiting_delivery")}


async def test_a_routed_message_awaits_its_first_delivery(pool: store.Pool) -> None:
    routed = await routed_message(pool)
    rejected = await routed_message(pool, status="rejected", receiver_node=None)
    assert await _awaiting(pool) == {routed}
    # Purged, overdue or linked to its retour: updates that leave it where it is.
    await pool.execute(
        "UPDATE message SET overdue_at = now(), retour_due = now() WHERE id = ANY($1)",
        [routed, rejected],
    )
    assert await _awaiting(pool) == {routed}
    async with pool.acquire() as conn, conn.transaction():
        assert await store.deliver(conn, "vecozo", [(routed, "65656055")])
    assert await _awaiting(pool) == set()
    assert await table.unsent_counts(pool, "iwmo", "3.2") == (0, 1)
    # A second party's delivery of it changes nothing.
    async with pool.acquire() as conn, conn.transaction():
        assert await store.deliver(conn, "vecozo", [(routed, "01234567")])
    assert await _awaiting(pool) == set()


async def test_a_parked_message_awaits_delivery_once_it_is_sent_at_the_cutover(
    pool: store.Pool,
) -> None:
    parked = await routed_message(pool, status="parked")
    assert await _awaiting(pool) == set()
    assert await table.unsent_counts(pool, "iwmo", "3.2") == (0, 0)
    async with pool.acquire() as conn, conn.transaction():
        await table.sent_on(conn, parked, datetime.now(UTC))
    assert await _awaiting(pool) == {parked}
    assert await table.unsent_counts(pool, "iwmo", "3.2") == (1, 0)
    # Set to accepted again (a repeated cutover step): still one.
    await pool.execute("UPDATE message SET status = 'accepted' WHERE id = $1", parked)
    assert await _awaiting(pool) == {parked}
