"""Watches answer deadlines: a routed heenbericht without its retour past the deadline raises
a `retour.overdue` event once (OP090: the sender must learn a retour is missing), and a
verzoek (315 / 317) without the gemeente's 301 / 319 in time a `request.overdue` event
(handlers.requestclock)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from handlers import requestclock
from hub.domain import events, topics
from hub.infra import metrics, outbox
from hub.infra.runtime import Runtime
from hub.infra.store import ledger

log = logging.getLogger(__name__)

_BACKOFF_S: Final = 5.0


@dataclass
class DeadlineWatch:
    runtime: Runtime
    raised: int = 0
    raised_requests: int = 0
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        interval = self.runtime.settings.deadline_scan_s
        while not self._stop.is_set():
            try:
                now = self.runtime.clock()
                await self.scan_once(now)
                await self.scan_requests(now)
            except asyncio.CancelledError:
                raise
            except Exception:
                metrics.FAILURES.labels("deadline").inc()
                log.exception("deadline scan failed; trying again later")
                await asyncio.sleep(_BACKOFF_S)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), interval)

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
