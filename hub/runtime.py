"""What a running hub process holds: settings plus the resources its lifespan opened."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from faststream.kafka import KafkaBroker

from hub.errors import StartupError
from hub.freeze import Calendar
from hub.packs import PackRegistry
from hub.settings import Settings
from hub.store import Pool
from hub.validation import Validator


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

    @property
    def pool(self) -> Pool:
        if self._pool is None:
            raise StartupError("database pool used before the lifespan opened it")
        return self._pool

    def attach_pool(self, pool: Pool | None) -> None:
        self._pool = pool

    def attach_relay(self, wake: Callable[[], None] | None) -> None:
        self._wake_relay = wake

    def wake_relay(self) -> None:
        """Tell the outbox relay there is work now, instead of at its next poll."""
        if self._wake_relay is not None:
            self._wake_relay()
