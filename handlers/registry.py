"""The explicit list of routers the hub core runs, in registration order."""

from __future__ import annotations

from collections.abc import Callable

from faststream.kafka import KafkaRouter

from handlers import intake
from hub.runtime import Runtime

RouterFactory = Callable[[Runtime], KafkaRouter]

CORE_ROUTERS: tuple[RouterFactory, ...] = (intake.build_router,)
