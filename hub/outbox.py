"""The transactional outbox: what the core must send is written with its ledger rows, and a
relay publishes it to Kafka afterwards, so a crash at any point neither loses nor invents a
message."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from faststream.kafka import KafkaBroker

from hub.store import DbConnection, Pool

log = logging.getLogger(__name__)

_BACKOFF_S: Final = 1.0


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


async def backlog(pool: Pool) -> tuple[int, float]:
    """(rows waiting, age in seconds of the oldest) for health and metrics."""
    row = await pool.fetchrow(
        "SELECT count(*) AS n,"
        " coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS age FROM outbox"
    )
    assert row is not None
    return int(row["n"]), float(row["age"])


@dataclass
class Relay:
    """Publishes outbox rows in id order and deletes them once Kafka has them.

    Rows are claimed with FOR UPDATE SKIP LOCKED, so several cores relay side by side
    without sending a row twice while both are alive.
    """

    pool: Pool
    broker: KafkaBroker
    batch: int = 1000
    idle_poll_s: float = 0.25
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    published: int = 0
    _stopping: bool = False

    def stop(self) -> None:
        self._stopping = True
        self.wake.set()

    async def run(self) -> None:
        while not self._stopping:
            try:
                sent = await self.relay_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay failed; retrying")
                await asyncio.sleep(_BACKOFF_S)
                continue
            if sent == 0:
                self.wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), self.idle_poll_s)

    async def relay_once(self) -> int:
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "SELECT id, topic, key, payload, headers FROM outbox ORDER BY id"
                " LIMIT $1 FOR UPDATE SKIP LOCKED",
                self.batch,
            )
            if not rows:
                return 0
            # Sent concurrently so the producer batches them; any failure rolls the claim
            # back and the rows are sent again.
            await asyncio.gather(
                *(
                    self.broker.publish(
                        bytes(r["payload"]),
                        r["topic"],
                        key=bytes(r["key"]) if r["key"] is not None else None,
                        headers=json.loads(r["headers"]),
                    )
                    for r in rows
                )
            )
            await conn.execute(
                "DELETE FROM outbox WHERE id = ANY($1::bigint[])", [r["id"] for r in rows]
            )
        self.published += len(rows)
        return len(rows)
