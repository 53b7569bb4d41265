"""The explicit lists of what the hub core runs: derivations inside intake, routers, watches."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from faststream.kafka import KafkaRouter

from handlers import eigenbijdrage, intake
from handlers.cutover import CutoverWatch
from handlers.deadlines import DeadlineWatch
from handlers.derive import Derivation
from handlers.purge import PurgeWatch
from handlers.signals import SignalWatch
from hub.infra import freeze_gauges
from hub.infra.background import Loop
from hub.infra.runtime import Runtime
from hub.infra.sampler import Sampler
from hub.infra.store.gauges import ledger_gauges

RouterFactory = Callable[[Runtime], KafkaRouter]
DerivationFactory = Callable[[Runtime], Derivation]
WatchFactory = Callable[[Runtime], Loop]

# Flows derived from accepted messages, run in intake's transaction, in this order.
DERIVATIONS: tuple[DerivationFactory, ...] = (eigenbijdrage.build,)


def _intake(runtime: Runtime) -> KafkaRouter:
    return intake.build_router(runtime, [make(runtime) for make in DERIVATIONS])


CORE_ROUTERS: tuple[RouterFactory, ...] = (_intake,)


def _purge(runtime: Runtime) -> Loop:
    # The pool is read at each purge: the lifespan owns it.
    return PurgeWatch(lambda: runtime.pool, runtime.settings, runtime.clock)


def _gauges(runtime: Runtime) -> Loop:
    """The core's state gauges: the ledger's counts and the release freezes."""
    return Sampler(
        lambda: [],
        lambda: ledger_gauges(runtime.pool),
        also=(lambda: freeze_gauges.sample(runtime),),
    )


# The flows the clock drives in the core, each a Periodic, by task name, in the order they
# start (they stop in reverse). The broker watch and the relay are the process's own (hub.app).
CORE_WATCHES: Mapping[str, WatchFactory] = MappingProxyType(
    {
        "deadline-watch": DeadlineWatch,
        "signal-watch": SignalWatch,
        "cutover-watch": CutoverWatch,
        "purge-watch": _purge,
        "ledger-gauges": _gauges,
    }
)
