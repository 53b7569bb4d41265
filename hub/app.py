"""Composition root: settings → broker + middlewares → routers → lifespan → ASGI app.

The only module of hub/ that imports handlers/ and adapters/.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import REGISTRY
from starlette.applications import Starlette

from adapters.registry import build_adapter_app
from handlers.registry import CORE_ROUTERS
from hub import metrics, store, telemetry
from hub.broker import build_broker
from hub.deadlines import DeadlineWatch
from hub.errors import StartupError
from hub.freeze import load_calendar
from hub.outbox import Relay, make_producer
from hub.packs import PackRegistry, load_packs
from hub.parking import CutoverWatch
from hub.runtime import Runtime
from hub.settings import Settings
from hub.signals import SignalWatch
from hub.store.gauges import ledger_gauges
from hub.validation import Validator

log = logging.getLogger(__name__)


def make_runtime(settings: Settings, bootstrap: str, database_url: str, client_id: str) -> Runtime:
    middlewares: list[object] = [KafkaPrometheusMiddleware(registry=REGISTRY, app_name=client_id)]
    if telemetry.enabled():  # traceparent in Kafka headers, produce and consume spans
        middlewares.append(KafkaTelemetryMiddleware())
    broker = build_broker(settings, bootstrap, client_id=client_id, middlewares=middlewares)
    # Every schema compiled once per process, here.
    packs = load_packs([*PackRegistry.default_dirs(), *settings.extra_pack_dirs])
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
    )
    try:
        expected = max(m.version for m in store.migrations())
        found = await store.schema_version(pool) if await _has_schema(pool) else 0
        if found < expected:
            raise StartupError(
                f"database schema is at version {found}, this hub needs {expected}: "
                "run `hub db upgrade` first"
            )
        runtime.attach_pool(pool)
        await runtime.broker.start()
        lag = metrics.Sampler(metrics.broker_consumers(runtime.broker))
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


async def _has_schema(pool: store.Pool) -> bool:
    return bool(await pool.fetchval("SELECT to_regclass('schema_migration') IS NOT NULL"))


def core_app(settings: Settings, bootstrap: str, database_url: str) -> Starlette:
    """The hub core: every registered router on one broker, plus health and metrics."""
    from hub.health import health_routes

    telemetry.configure("isd-hub-core")
    runtime = make_runtime(settings, bootstrap, database_url, "isd-hub-core")
    for factory in CORE_ROUTERS:
        runtime.broker.include_router(factory(runtime))

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with open_resources(runtime):
            producer = make_producer(settings, runtime.bootstrap)
            await producer.start()
            relay = Relay(runtime.pool, producer)
            runtime.attach_relay(relay.wake.set)
            watch = DeadlineWatch(runtime)
            signal_watch = SignalWatch(runtime)
            cutover_watch = CutoverWatch(runtime)
            gauges = metrics.Sampler(lambda: [], lambda: ledger_gauges(runtime.pool))
            tasks = [
                asyncio.create_task(relay.run(), name="outbox-relay"),
                asyncio.create_task(watch.run(), name="deadline-watch"),
                asyncio.create_task(signal_watch.run(), name="signal-watch"),
                asyncio.create_task(cutover_watch.run(), name="cutover-watch"),
                asyncio.create_task(gauges.run(), name="ledger-gauges"),
            ]
            log.info("hub core consuming %s", settings.topic("ingress"))
            try:
                yield
            finally:
                relay.stop()
                watch.stop()
                signal_watch.stop()
                cutover_watch.stop()
                gauges.stop()
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                runtime.attach_relay(None)
                await producer.stop()

    return Starlette(routes=health_routes(runtime, "core"), lifespan=lifespan)


def adapter_app(name: str, settings: Settings, bootstrap: str, database_url: str) -> Starlette:
    telemetry.configure(f"isd-hub-adapter-{name}")
    runtime = make_runtime(settings, bootstrap, database_url, f"isd-hub-adapter-{name}")
    return build_adapter_app(name, runtime, open_resources)
