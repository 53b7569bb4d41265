"""The sampler that refreshes the gauges that are states, not events (consumer lag, the
ledger's counts, the freeze gauges), on a `Periodic` every process runs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import Gauge

from hub.infra.metrics import (
    CONSUMER_LAG,
    DEAD_LETTERS_OPEN,
    OUTBOX_AGE,
    OUTBOX_BACKLOG,
    RETOURS_OVERDUE,
)
from hub.infra.periodic import OnPeriodic, Periodic

log = logging.getLogger(__name__)


@dataclass
class Sampler(OnPeriodic):
    """Refreshes the gauges that are states, not events: consumer lag of this process's
    subscribers (from the brokers' end offsets and the group's committed offsets: FastStream
    has no such series) and, in the core, the ledger's outbox, overdue and dead-letter counts.
    A failed sample is logged and tried again; it never touches the flow."""

    consumers: Callable[[], Sequence[Any]]  # the started aiokafka consumers
    database: Callable[[], Awaitable[tuple[int, float, int, int]]] | None = None
    interval_s: float = 10.0
    also: Sequence[Callable[[], Awaitable[None]]] = ()  # more samplers (freeze gauges)
    periodic: Periodic = field(init=False)

    def __post_init__(self) -> None:
        # sample_once keeps each source's failure to itself (one failing source must not
        # hold up the others), so this Periodic only paces it.
        self.periodic = Periodic(
            "gauges", self.sample_once, self.interval_s, "gauge sample failed", log, logging.DEBUG
        )

    async def sample_once(self) -> None:
        try:
            await asyncio.wait_for(self._sample_lag(), 5.0)
        except asyncio.CancelledError:
            raise
        # blind: a gauge is best effort; one failing source must not hold up the others
        except Exception:
            log.debug("consumer lag sample failed", exc_info=True)
        if self.database is not None:
            try:
                backlog, age, overdue, dead = await asyncio.wait_for(self.database(), 5.0)
            except asyncio.CancelledError:
                raise
            except Exception:  # blind: best effort, as above
                log.debug("ledger gauge sample failed", exc_info=True)
            else:
                OUTBOX_BACKLOG.set(backlog)
                OUTBOX_AGE.set(age)
                RETOURS_OVERDUE.set(overdue)
                DEAD_LETTERS_OPEN.set(dead)
        for sample in self.also:
            try:
                await asyncio.wait_for(sample(), 5.0)
            except asyncio.CancelledError:
                raise
            except Exception:  # blind: best effort, as above
                log.debug("gauge sample failed", exc_info=True)

    async def _sample_lag(self) -> None:
        seen: set[tuple[str, str]] = set()
        for consumer in self.consumers():
            partitions = list(consumer.assignment())
            if not partitions:
                continue
            ends = await consumer.end_offsets(partitions)
            for tp in partitions:
                committed = await consumer.committed(tp)
                if committed is None:  # nothing committed yet: all from the first offset
                    committed = (await consumer.beginning_offsets([tp]))[tp]
                labels = (tp.topic, str(tp.partition))
                CONSUMER_LAG.labels(*labels).set(max(0, ends[tp] - committed))
                seen.add(labels)
        # Partitions this process no longer owns (a rebalance) stop being reported.
        for labels in _label_sets(CONSUMER_LAG) - seen:
            with contextlib.suppress(KeyError):
                CONSUMER_LAG.remove(*labels)


def _label_sets(gauge: Gauge) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for metric in gauge.collect():
        for sample in metric.samples:
            found.add((sample.labels["topic"], sample.labels["partition"]))
    return found
