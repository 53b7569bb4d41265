"""Whether the core's intake moves: when it last committed a batch, and the readiness check
that fails when nothing was committed for a while although ingress records wait."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from hub.infra import metrics


@dataclass
class Progress:
    """This process's intake commits (one per process, like its metrics)."""

    clock: Callable[[], float] = time.monotonic
    last: float = field(default=0.0)

    def __post_init__(self) -> None:
        self.last = self.clock()  # a process that never committed counts from its start
        metrics.INTAKE_LAST_COMMIT.set_to_current_time()

    def committed(self, messages: int) -> None:
        self.last = self.clock()
        metrics.INTAKE_LAST_COMMIT.set_to_current_time()

    def stalled(self, lag: float, stall_s: float) -> bool:
        """Records wait and nothing was committed for `stall_s`: intake is stuck (a batch
        that fails again and again, a lost database), not merely idle."""
        return lag > 0 and self.clock() - self.last > stall_s


PROGRESS = Progress()


def ingress_lag(topic: str) -> float:
    """The consumer lag on `topic` as last sampled (hub.infra.sampler.Sampler), over partitions."""
    total = 0.0
    for family in metrics.CONSUMER_LAG.collect():
        for sample in family.samples:
            if sample.labels.get("topic") == topic:
                total += sample.value
    return total


def intake_check(
    topic: str, stall_s: float, progress: Progress = PROGRESS
) -> Callable[[], Awaitable[bool]]:
    """A /readyz check: ready unless intake is stalled with records waiting on `topic`."""

    async def moving() -> bool:
        return not progress.stalled(ingress_lag(topic), stall_s)

    return moving
