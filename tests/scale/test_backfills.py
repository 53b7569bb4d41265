"""Migrations that add what a scan reads fill it from the data already there: a database
migrated up to the one before, given rows, then migrated on."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from hub.infra import store
from hub.infra.store import freeze, party_inbox
from tests.ledgerkit import routed_message


async def _migrated_before(database_url: str, version: int) -> asyncpg.Connection:
    conn = await asyncpg.connect(database_url)
    await conn.execute(
        "CREATE TABLE schema_migration (version integer PRIMARY KEY, name text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())"
    )
    for m in store.migrations():
        if m.version < version:
            await conn.execute(m.sql)
            await conn.execute(
                "INSERT INTO schema_migration (version, name) VALUES ($1, $2)",
                m.version,
                m.name,
            )
    return conn


async def _deliver(conn: asyncpg.Connection, message_id: UUID, *, downloaded: bool) -> None:
    await conn.execute(
        "INSERT INTO delivery (message_id, node, party, downloaded_at)"
        " VALUES ($1, 'vecozo', '65656055', CASE WHEN $2 THEN now() END)",
        message_id,
        downloaded,
    )


async def _migrate_on(database_url: str, first: int) -> store.Pool:
    pool = await store.create_pool(database_url)
    applied = await store.migrate(pool)
    assert applied[0].version == first
    return pool


async def test_0031_starts_with_exactly_the_messages_on_their_way(database_url: str) -> None:
    conn = await _migrated_before(database_url, 31)
    try:
        on_its_way = await routed_message(conn)
        delivered = await routed_message(conn)
        await _deliver(conn, delivered, downloaded=False)
        await routed_message(conn, status="rejected", receiver_node=None)
        await routed_message(conn, status="parked")
    finally:
        await conn.close()
    pool = await _migrate_on(database_url, 31)
    try:
        awaiting = {r["message_id"] for r in await pool.fetch("SELECT * FROM awaiting_delivery")}
        assert awaiting == {on_its_way}
        assert await freeze.unsent_counts(pool, "iwmo", "3.2") == (1, 1)
    finally:
        await pool.close()


async def test_0032_takes_purged_deliveries_out_of_the_inbox(database_url: str) -> None:
    conn = await _migrated_before(database_url, 32)
    try:
        purged = await routed_message(conn, purged=True)
        await _deliver(conn, purged, downloaded=True)  # downloaded, never acknowledged
        waiting = await routed_message(conn)
        await _deliver(conn, waiting, downloaded=True)
    finally:
        await conn.close()
    pool = await _migrate_on(database_url, 32)
    try:
        flags = {
            r["message_id"]: r["payload_purged"]
            for r in await pool.fetch("SELECT message_id, payload_purged FROM delivery")
        }
        assert flags == {purged: True, waiting: False}
        listed = await party_inbox.inbox(pool, "vecozo", ["65656055"], 10)
        assert [i.message_id for i in listed] == [waiting]
    finally:
        await pool.close()
