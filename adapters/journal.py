"""An adapter's ingress journal at work (hub.infra.store.journal holds its SQL): trimmed once the
ledger has an upload, and produced again when the broker lost its data (see
hub.infra.kafka.brokerwatch)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final
from uuid import UUID

from hub.infra.kafka.brokerwatch import Recover
from hub.infra.periodic import OnPeriodic, Periodic
from hub.infra.runtime import Runtime
from hub.infra.store import Pool, journal, recovery

log = logging.getLogger(__name__)

_REPLAY_BATCH: Final = 500
_TRIM_BATCH: Final = 5000


def role(node: str) -> str:
    """The recovery role of one node's adapters (hub.infra.store.recovery)."""
    return f"journal-{node}"


def journal_recovery(runtime: Runtime, node: str, ingress: str) -> Recover:
    """Produce again, in upload order, every journaled upload of this node the ledger lacks.

    Safe to repeat (the core ignores an id its ledger has), so the epoch is marked only
    after the last one went out: a process that dies half-way leaves the work to the next.
    """

    async def recover(epoch: int) -> int:
        sent = 0
        after: tuple[datetime, UUID] | None = None
        while True:
            batch = await journal.unrecorded(runtime.pool, node, after, _REPLAY_BATCH)
            if not batch:
                break
            # send() batches per partition; waiting for each record alone would take a
            # broker round trip per upload.
            await asyncio.gather(
                *(
                    runtime.broker.publish(e.payload, ingress, key=e.key, headers=e.headers)
                    for _, e in batch
                )
            )
            sent += len(batch)
            after = (batch[-1][0], batch[-1][1].message_id)
        async with runtime.pool.acquire() as conn:
            await recovery.claim(conn, role(node), epoch)
        return sent

    return recover


@dataclass
class JournalTrim(OnPeriodic):
    """Deletes journaled uploads the ledger has, every `interval_s`: never in the upload's
    nor the core's path."""

    pool: Callable[[], Pool]
    node: str
    interval_s: float
    trimmed: int = 0
    periodic: Periodic = field(init=False)

    def __post_init__(self) -> None:
        self.periodic = Periodic(
            "journal",
            self.trim_once,
            self.interval_s,
            "journal trim failed; trying again later",
            log,
            logging.WARNING,
        )

    async def trim_once(self) -> int:
        done = 0
        while True:
            n = await journal.trim(self.pool(), self.node, _TRIM_BATCH)
            done += n
            if n < _TRIM_BATCH:
                break
        self.trimmed += done
        return done
