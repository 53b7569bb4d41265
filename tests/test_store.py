"""Migrations and the ledger on a real PostgreSQL."""

from __future__ import annotations

from hub.infra import store
from tests.ledgerkit import ingress_row


async def test_migrate_is_idempotent(database_url: str) -> None:
    pool = await store.create_pool(database_url)
    try:
        first = await store.migrate(pool)
        assert [m.version for m in first] == [m.version for m in store.migrations()]
        again = await store.migrate(pool)
        assert again == []
        assert await store.schema_version(pool) == max(m.version for m in store.migrations())
    finally:
        await pool.close()


async def test_payloads_are_stored_without_compression(pool: store.Pool) -> None:
    """0010: the hot path's payload columns skip pglz (out of line, uncompressed)."""
    rows = await pool.fetch(
        "SELECT c.relname, a.attstorage::text AS attstorage"
        " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
        " WHERE a.attname = 'payload' AND c.relname IN ('message', 'outbox')"
    )
    assert {r["relname"]: r["attstorage"] for r in rows} == {"message": "e", "outbox": "e"}


def _row(payload: bytes = b"<Bericht/>") -> store.IngressRow:
    return ingress_row(payload)


async def test_ledger_round_trip_and_redelivery(pool: store.Pool) -> None:
    row = _row(b"<Bericht>x</Bericht>")
    assert await store.record_messages(pool, [row]) == {row.id}
    # A redelivered message is recognised by its id and not recorded twice.
    assert await store.record_messages(pool, [row]) == set()
    entry = await store.ledger_entry(pool, row.id)
    assert entry is not None
    assert (entry.afzender, entry.ontvanger, entry.identificatie) == (
        "65656055",
        "0363",
        "123456789013",
    )
    assert entry.received_at == row.received_at
    assert await store.count_messages(pool) == 1


async def test_inbox_is_per_party(pool: store.Pool) -> None:
    row = _row(b"<Bericht>payload</Bericht>")
    await store.record_messages(pool, [row])
    assert await store.add_deliveries(pool, "ggk", [(row.id, "0363")]) == 1
    assert await store.add_deliveries(pool, "ggk", [(row.id, "0363")]) == 0  # redelivery
    assert [i.message_id for i in await store.inbox(pool, "ggk", "0363")] == [row.id]
    assert await store.inbox(pool, "ggk", "0344") == []
    # Another party can neither download nor acknowledge it.
    assert await store.download(pool, "ggk", "0344", row.id) is None
    assert not await store.acknowledge(pool, "ggk", "0344", row.id)
    assert await store.download(pool, "ggk", "0363", row.id) == b"<Bericht>payload</Bericht>"
    assert await store.acknowledge(pool, "ggk", "0363", row.id)
    assert await store.inbox(pool, "ggk", "0363") == []
