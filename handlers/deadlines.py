"""The deadline watch: retours and verzoek answers that did not come in time, raised as events.

A routed heenbericht without its retour past the deadline raises a `retour.overdue` event
once (OP090: the sender must learn a retour is missing), and a verzoek (315 / 317) without
the gemeente's 301 / 319 in time a `request.overdue` event (handlers.requestclock)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from handlers import requestclock
from hub.domain import events, topics
from hub.infra import metrics, outbox
from hub.infra.periodic import OnPeriodic, Periodic
from hub.infra.runtime import Runtime
from hub.infra.store import ledger

log = logging.getLogger(__name__)


@dataclass
class DeadlineWatch(OnPeriodic):
    """Both deadline scans every HUB_DEADLINE_SCAN_S."""

    runtime: Runtime
    raised: int = 0
    raised_requests: int = 0
    periodic: Periodic = field(init=False)

    def __post_init__(self) -> None:
        self.periodic = Periodic(
            "deadline",
            self.step,
            self.runtime.settings.deadline_scan_s,
            "deadline scan failed; trying again later",
            log,
        )

    async def step(self) -> None:
        now = self.runtime.clock()
        await self.scan_once(now)
        await self.scan_requests(now)

    async def scan_once(self, now: datetime) -> int:
        """Report every heenbericht that became overdue; several cores never report twice."""
        topic = topics.name(self.runtime.settings, topics.EVENTS)
        async with self.runtime.pool.acquire() as conn, conn.transaction():
            late = await ledger.claim_overdue(conn, now)
            await outbox.add(conn, [events.overdue_to_outbox(topic, o, now) for o in late])
        if late:
            metrics.RETOURS_OVERDUE_RAISED.inc(len(late))
            self.raised += len(late)
            log.info("%d heenbericht(en) overdue for their retour", len(late))
            self.runtime.wake_relay()
        return len(late)

    async def scan_requests(self, now: datetime) -> int:
        """Report every verzoek reference whose answer clock ran out (once per clock)."""
        late = await requestclock.scan_once(self.runtime, now)
        self.raised_requests += late
        return late
