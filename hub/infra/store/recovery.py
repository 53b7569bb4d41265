"""Broker epochs: which broker the hub last saw, and which recovery roles have caught up with
it (see hub.infra.kafka.brokerwatch)."""

from __future__ import annotations

from hub.infra.store.base import DbConnection, Pool


async def observe(pool: Pool, cluster_id: str, topics_recreated: bool) -> int:
    """Record the broker seen now; returns the current epoch, a new one when the cluster id
    changed or hub topics had to be created again (the broker lost its data).

    Several processes may notice one reset; a second bump only repeats an idempotent recovery.
    """
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            "SELECT cluster_id, epoch FROM broker_epoch WHERE singleton FOR UPDATE"
        )
        if row is None:
            # The first broker this database sees: epoch 1, so every role (recorded at 0
            # when missing) checks once what a broker of before this table may have lost.
            await conn.execute(
                "INSERT INTO broker_epoch (cluster_id, epoch) VALUES ($1, 1)"
                " ON CONFLICT (singleton) DO NOTHING",
                cluster_id,
            )
            return 1
        if row["cluster_id"] == cluster_id and not topics_recreated:
            return int(row["epoch"])
        epoch = int(row["epoch"]) + 1
        await conn.execute(
            "UPDATE broker_epoch SET cluster_id = $1, epoch = $2, changed_at = now()"
            " WHERE singleton",
            cluster_id,
            epoch,
        )
        return epoch


async def behind(pool: Pool, role: str, epoch: int) -> bool:
    """Whether `role` has not yet recovered from `epoch`."""
    done = await pool.fetchval("SELECT epoch FROM broker_recovery WHERE role = $1", role)
    return done is None or int(done) < epoch


async def claim(conn: DbConnection, role: str, epoch: int) -> bool:
    """Mark `role` recovered up to `epoch`, in the caller's transaction; False when another
    process of the same role did it already."""
    row = await conn.fetchrow(
        """
        INSERT INTO broker_recovery (role, epoch) VALUES ($1, $2)
        ON CONFLICT (role) DO UPDATE SET epoch = EXCLUDED.epoch, recovered_at = now()
            WHERE broker_recovery.epoch < EXCLUDED.epoch
        RETURNING role
        """,
        role,
        epoch,
    )
    return row is not None


async def current(pool: Pool) -> int:
    """The current epoch (0 before any broker was recorded)."""
    value = await pool.fetchval("SELECT epoch FROM broker_epoch WHERE singleton")
    return int(value) if value is not None else 0


async def changed_within(pool: Pool, seconds: float) -> bool:
    """Whether the epoch changed less than `seconds` ago."""
    return bool(
        await pool.fetchval(
            "SELECT changed_at > now() - make_interval(secs => $1) FROM broker_epoch"
            " WHERE singleton",
            seconds,
        )
    )
