"""Composition root: settings → broker + middlewares → routers → lifespan → ASGI app.

The only module of hub/ that imports handlers/ and adapters/.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import REGISTRY
from starlette.applications import Starlette

from adapters.registry import build_adapter_app
from handlers.registry import CORE_ROUTERS, CORE_WATCHES
from hub.domain.errors import StartupError
from hub.domain.freeze import load_calendar
from hub.domain.packs import PackRegistry, load_complete_packs
from hub.domain.validation import Validator
from hub.infra import background, metrics, store, telemetry, tracesdk
from hub.infra.health import probe_routes
from hub.infra.kafka.broker import build_broker
from hub.infra.kafka.brokerwatch import BrokerWatch
from hub.infra.outbox import RECOVERY_ROLE, Relay, egress_recovery, make_producer
from hub.infra.runtime import Runtime, freeze_startup_heap
from hub.infra.sampler import Sampler
from hub.settings import Settings

log = logging.getLogger(__name__)


def make_runtime(settings: Settings, bootstrap: str, database_url: str, client_id: str) -> Runtime:
    middlewares: list[object] = [KafkaPrometheusMiddleware(registry=REGISTRY, app_name=client_id)]
    if telemetry.enabled():  # traceparent in Kafka headers, produce and consume spans
        middlewares.append(tracesdk.kafka_middleware())
    broker = build_broker(settings, bootstrap, client_id=client_id, middlewares=middlewares)
    # Every schema compiled once per process, here.
    # Refused when a pack lacks a message the hub may have to build (a retour, a notice).
    packs = load_complete_packs([*PackRegistry.default_dirs(), *settings.extra_pack_dirs])
    return Runtime(
        settings=settings,
        bootstrap=bootstrap,
        database_url=database_url,
        broker=broker,
        packs=packs,
        validator=Validator(packs),
        freeze=load_calendar(settings.freeze_path),
    )


@contextlib.asynccontextmanager
async def open_resources(runtime: Runtime) -> AsyncIterator[None]:
    """Open the pool, check the schema, start the broker; close all in reverse order."""
    settings = runtime.settings
    pool = await store.create_pool(
        runtime.database_url,
        min_size=settings.db_pool_min,
        max_size=settings.db_pool_max,
        connect_timeout=settings.startup_timeout_s,
        settings=settings,
    )
    try:
        await _check_schema(pool)
        runtime.attach_pool(pool)
        await runtime.broker.start()
        lag = Sampler(metrics.broker_consumers(runtime.broker))
        sampling = asyncio.create_task(lag.run(), name="consumer-lag")
        try:
            yield
        finally:
            lag.stop()
            sampling.cancel()
            await asyncio.gather(sampling, return_exceptions=True)
            await runtime.broker.stop()
    finally:
        runtime.attach_pool(None)
        await pool.close()


async def _check_schema(pool: store.Pool) -> None:
    expected = max(m.version for m in store.migrations())
    found = await store.schema_version(pool) if await _has_schema(pool) else 0
    if found < expected:
        raise StartupError(
            f"database schema is at version {found}, this hub needs {expected}: "
            "run `hub db upgrade` first"
        )


async def _has_schema(pool: store.Pool) -> bool:
    return bool(await pool.fetchval("SELECT to_regclass('schema_migration') IS NOT NULL"))


Clock = Callable[[], datetime]


def core_app(
    settings: Settings, bootstrap: str, database_url: str, clock: Clock | None = None
) -> Starlette:
    """The hub core: every registered router on one broker, plus health and metrics.

    `clock` replaces the wall clock of its freeze decisions and watches (tests replay a
    freeze calendar with it)."""
    from hub.infra.health import health_routes
    from hub.infra.intake_progress import intake_check

    telemetry.configure("isd-hub-core")
    runtime = make_runtime(settings, bootstrap, database_url, "isd-hub-core")
    if clock is not None:
        runtime.clock = clock
    for factory in CORE_ROUTERS:
        runtime.broker.include_router(factory(runtime))

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with open_resources(runtime), contextlib.AsyncExitStack() as stack:
            pool = lambda: runtime.pool  # noqa: E731 - read when used: the lifespan owns it
            broker_watch = BrokerWatch(settings, runtime.bootstrap, pool)
            broker_watch.consumers = metrics.broker_consumers(runtime.broker)
            loops: dict[str, background.Loop] = {}
            if settings.core_relay:  # else `hub relay` runs it (relay_app)
                producer = make_producer(settings, runtime.bootstrap)
                await producer.start()
                stack.push_async_callback(producer.stop)
                relay = Relay(runtime.pool, producer)
                runtime.attach_relay(relay.want_claim, relay.offer)
                stack.callback(runtime.attach_relay, None)
                loops["outbox-relay"] = relay
                broker_watch.role = RECOVERY_ROLE
                broker_watch.recover = egress_recovery(pool, settings, relay.want_claim)
            loops["broker-watch"] = broker_watch
            loops |= {name: make(runtime) for name, make in CORE_WATCHES.items()}
            freeze_startup_heap()
            async with background.running(loops):
                log.info("hub core consuming %s", settings.topic("ingress"))
                yield

    # Not ready while intake is stuck with records waiting (a batch failing over and over).
    stuck = intake_check(settings.topic("ingress"), settings.intake_stall_s)
    return Starlette(routes=health_routes(runtime, "core", {"intake": stuck}), lifespan=lifespan)


def relay_app(settings: Settings, bootstrap: str, database_url: str) -> Starlette:
    """`hub relay`: the outbox relay as its own process (HUB_CORE_RELAY=false), with its part
    of a broker recovery, plus health and metrics."""
    telemetry.configure("isd-hub-relay")
    held: dict[str, Any] = {}

    async def database() -> bool:
        return bool(await held["pool"].fetchval("SELECT 1") == 1)

    async def broker() -> bool:
        return bool(await asyncio.wait_for(held["producer"].client.force_metadata_update(), 2))

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        pool = await store.create_pool(
            database_url,
            min_size=1,
            max_size=4,
            connect_timeout=settings.startup_timeout_s,
            settings=settings,
        )
        try:
            await _check_schema(pool)
            producer = make_producer(settings, bootstrap)
            await producer.start()
            held.update(pool=pool, producer=producer)
            try:
                # Its own process: nobody wakes it when the core commits, so it polls often.
                relay = Relay(pool, producer, idle_poll_s=0.05)
                watch = BrokerWatch(
                    settings,
                    bootstrap,
                    lambda: pool,
                    RECOVERY_ROLE,
                    egress_recovery(lambda: pool, settings, relay.want_claim),
                )
                loops: dict[str, background.Loop] = {"outbox-relay": relay, "broker-watch": watch}
                async with background.running(loops):
                    log.info("outbox relay running")
                    yield
            finally:
                held.clear()
                await producer.stop()
        finally:
            await pool.close()

    return Starlette(
        routes=probe_routes("relay", {"database": database, "broker": broker}), lifespan=lifespan
    )


def adapter_app(
    name: str, settings: Settings, bootstrap: str, database_url: str, clock: Clock | None = None
) -> Starlette:
    telemetry.configure(f"isd-hub-adapter-{name}")
    runtime = make_runtime(settings, bootstrap, database_url, f"isd-hub-adapter-{name}")
    if clock is not None:
        runtime.clock = clock
    return build_adapter_app(name, runtime, open_resources)
