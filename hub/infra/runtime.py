"""What a running hub process holds: settings plus the resources its lifespan opened."""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from faststream.kafka import KafkaBroker

from hub.domain.errors import StartupError
from hub.domain.freeze import Calendar
from hub.domain.packs import PackRegistry
from hub.domain.records import OutboxMessage
from hub.domain.validation import Validator

# Imported for its registration: every process that runs a flow holds a Runtime, so each has
# the infrastructure's transient errors known to hub.domain.errors.disposition.
from hub.infra import transient  # noqa: F401
from hub.infra.store import Pool
from hub.settings import Settings

Offer = Callable[[Sequence[int], Sequence[OutboxMessage]], None]


@dataclass
class Runtime:
    """Handed to every router factory; filled by the lifespan that owns the resources.

    Routers are registered before the lifespan runs, so they receive this holder rather
    than the pool itself, and read `pool` only while handling messages.
    """

    settings: Settings
    bootstrap: str
    database_url: str
    broker: KafkaBroker
    packs: PackRegistry
    validator: Validator
    freeze: Calendar | None = None  # release freezes in force (HUB_FREEZE_FILE)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))  # tests inject
    _pool: Pool | None = field(default=None, repr=False)
    _wake_relay: Callable[[], None] | None = field(default=None, repr=False)
    _offer: Offer | None = field(default=None, repr=False)

    @property
    def pool(self) -> Pool:
        if self._pool is None:
            raise StartupError("database pool used before the lifespan opened it")
        return self._pool

    def attach_pool(self, pool: Pool | None) -> None:
        self._pool = pool

    def attach_relay(self, wake: Callable[[], None] | None, offer: Offer | None = None) -> None:
        """The in-process outbox relay: `wake` tells it there are rows to claim, `offer`
        (when given) hands it committed rows to publish at once (hub.infra.outbox.Relay.offer)."""
        self._wake_relay = wake
        self._offer = offer

    def wake_relay(self) -> None:
        """Tell the outbox relay there is work now, instead of at its next poll."""
        if self._wake_relay is not None:
            self._wake_relay()

    @property
    def publishes_directly(self) -> bool:
        """Whether rows queued by this process are published by it right after the commit
        (then they are written with a hold, see hub.infra.store.outbox.add)."""
        return self._offer is not None

    def offer(self, ids: Sequence[int], messages: Sequence[OutboxMessage]) -> None:
        """Hand committed outbox rows to the in-process relay; without one, wake nobody: a
        relay of its own process claims them at its next poll."""
        if self._offer is not None:
            self._offer(ids, messages)
        else:
            self.wake_relay()


# Young-generation collections every 50,000 allocations instead of 700: a batch's messages
# allocate (and free) hundreds of thousands of short-lived objects, and each collection walks
# whatever is young at that moment. Measured on `make bench-intake`: 5-8% of the intake's CPU
# per message (docs/scale.md); the older generations keep their default ratios.
_YOUNG_THRESHOLD = 50_000


def tune_collector() -> None:
    """Collect the young generation less often. For a served process (hub/ops/cli/run.py) and
    the benchmarks only: a test process that runs a lifespan keeps Python's defaults, so
    garbage it leaves is found by the test that left it."""
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(_YOUNG_THRESHOLD, older, oldest)


def freeze_startup_heap() -> None:
    """Move what start-up built (schema packs, rules, registries: alive for the whole process)
    out of the collector's sight. Full collections otherwise re-scan all of it while the hot
    path allocates: measured at ~10 % of the intake's mean CPU per message."""
    gc.collect()
    gc.freeze()
