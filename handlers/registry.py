"""The explicit lists of what the hub core runs: derivations inside intake, then routers."""

from __future__ import annotations

from collections.abc import Callable

from faststream.kafka import KafkaRouter

from handlers import eigenbijdrage, intake
from handlers.derive import Derivation
from hub.infra.runtime import Runtime

RouterFactory = Callable[[Runtime], KafkaRouter]
DerivationFactory = Callable[[Runtime], Derivation]

# Flows derived from accepted messages, run in intake's transaction, in this order.
DERIVATIONS: tuple[DerivationFactory, ...] = (eigenbijdrage.build,)


def _intake(runtime: Runtime) -> KafkaRouter:
    return intake.build_router(runtime, [make(runtime) for make in DERIVATIONS])


CORE_ROUTERS: tuple[RouterFactory, ...] = (_intake,)
