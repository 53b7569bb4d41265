"""Payload retention in the core: the scheduled purge of what `hub purge` empties (see
hub.infra.store.retention for what is never purged)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

from hub.infra.periodic import Periodic
from hub.infra.purgemetrics import observe_purge
from hub.infra.store import Pool, retention
from hub.settings import Settings

log = logging.getLogger(__name__)

_BATCH: Final = retention.BATCH  # messages per transaction of the scheduled purge


@dataclass
class PurgeWatch:
    """The core's scheduled purge: every HUB_PURGE_INTERVAL_S, from start-up on, in bounded
    transactions (several cores skip each other's rows)."""

    pool: Callable[[], Pool]
    settings: Settings
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    purged: int = 0  # message payloads purged by this watch
    runs: int = 0
    periodic: Periodic = field(init=False)

    def __post_init__(self) -> None:
        self.periodic = Periodic(
            "purge",
            self.purge_once,
            self.settings.purge_interval_s,
            "scheduled purge failed; trying again later",
            log,
        )

    def stop(self) -> None:
        self.periodic.stop()

    async def run(self) -> None:
        if self.settings.purge_interval_s <= 0:  # operators purge with `hub purge`
            return
        await self.periodic.run()

    async def purge_once(self) -> retention.PurgeResult:
        cutoff = self.clock() - timedelta(hours=self.settings.payload_retention_hours)
        run = await retention.purge_all(
            self.pool(), cutoff, batch=_BATCH, stopped=lambda: self.periodic.stopped
        )
        total = run.done
        self.runs += 1
        self.purged += total.messages
        observe_purge(run)
        if total.messages or total.dead_letters or total.journal or total.door_rows:
            log.info(
                "purged the payloads of %d messages (%d bytes), %d dead letters, %d stale "
                "journal entries and %d node doors' rows older than %d h in %d passes, %.1f s;"
                " kept %d past the cut-off (%d to download, %d on their way, %d in the outbox,"
                " %d awaiting their retour, %d parked)",
                total.messages, total.payload_bytes, total.dead_letters, total.journal,
                total.door_rows, self.settings.payload_retention_hours, run.passes, run.seconds,
                run.kept.messages, run.kept.download, run.kept.on_its_way, run.kept.outbox,
                run.kept.retour, run.kept.parked,
            )  # fmt: skip
        return total
