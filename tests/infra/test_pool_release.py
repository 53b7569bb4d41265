"""What a pooled connection carries back to the pool now that a release sends no reset query
(hub.infra.store.base._keep_session): an open transaction is still rolled back, and the
statements the hub runs leave no session setting behind."""

from __future__ import annotations

from hub.infra import store


async def test_a_transaction_left_open_is_rolled_back_on_release(database_url: str) -> None:
    pool = await store.create_pool(database_url, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            await conn.execute("CREATE TEMP TABLE IF NOT EXISTS t_release (x int)")
            await conn.execute("BEGIN")
            await conn.execute("INSERT INTO t_release VALUES (1)")
            # released without COMMIT: asyncpg's own part of the reset rolls it back
        async with pool.acquire() as conn:  # max_size=1: the same connection
            assert not conn.is_in_transaction()
            assert await conn.fetchval("SELECT count(*) FROM t_release") == 0
    finally:
        await pool.close()


async def test_set_local_does_not_outlive_its_transaction(database_url: str) -> None:
    pool = await store.create_pool(database_url, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            default = await conn.fetchval("SHOW lock_timeout")
            async with conn.transaction():
                await conn.execute("SET LOCAL lock_timeout = '5s'")  # as the outbox's claim does
                assert await conn.fetchval("SHOW lock_timeout") == "5s" != default
        async with pool.acquire() as conn:
            assert await conn.fetchval("SHOW lock_timeout") == default
    finally:
        await pool.close()
