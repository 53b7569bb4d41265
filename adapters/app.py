"""Builds one node adapter's app: its routes, refusal handlers, health probes and lifespan."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

from aiokafka.errors import KafkaError
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from adapters import delivery, docs, inbox, status, uploads, zipinbox, zipupload
from adapters.base import NodeAdapter
from adapters.body import ClientDisconnect, client_gone
from adapters.context import AdapterContext
from adapters.gate import RETRY_AFTER_S, UploadGate
from adapters.journal import JournalTrim, journal_recovery
from adapters.journal import role as journal_role
from adapters.push import PushLoop
from adapters.refusal import Refusal, refusal_handler
from hub.infra import background, metrics, transient
from hub.infra.health import health_routes
from hub.infra.kafka.brokerwatch import BrokerWatch
from hub.infra.runtime import Runtime

log = logging.getLogger(__name__)

Resources = Callable[[Runtime], AbstractAsyncContextManager[None]]


def build_app(adapter: NodeAdapter, runtime: Runtime, resources: Resources) -> FastAPI:
    """The adapter's HTTP API for parties, with its egress consumer on `runtime`'s broker."""
    ctx = AdapterContext.of(adapter, runtime)
    settings = runtime.settings
    delivery.subscribe(ctx)
    app = FastAPI(
        title=adapter.title,
        version="1",
        description=f"Upload and fetch iStandaarden messages, for {adapter.party_kind}. Every "
        "party endpoint needs `Authorization: Bearer <token>`.",
        lifespan=functools.partial(_lifespan, ctx, resources),
        routes=health_routes(runtime, f"adapter-{ctx.node}"),
        docs_url=None,  # served from local assets by adapters/docs.py (no CDN)
        redoc_url=None,
    )
    docs.install(app)
    app.add_middleware(UploadGate, path=uploads.UPLOAD_PATH, archive_path=zipupload.ZIP_PATH,
                       max_in_flight=settings.upload_max_in_flight, node=ctx.node)  # fmt: skip
    app.add_exception_handler(ClientDisconnect, client_gone)
    app.add_exception_handler(StarletteHTTPException, refusal_handler(adapter.node))
    # What a request cannot do while the database or the broker is away (the infrastructure's
    # transient errors, which hub.domain.errors.disposition retries): the party is told to
    # retry (503), not that the hub failed (500).
    for kind in transient.TRANSIENT:
        app.add_exception_handler(kind, _unavailable)
    uploads.install(app, ctx)
    inbox.install(app, ctx)
    zipupload.install(app, ctx)  # POST /v1/messages/zip: a ZIP archive of messages
    zipinbox.install(app, ctx)  # GET /v1/inbox.zip: the waiting messages as one ZIP
    status.install(app, ctx)  # GET /v1/messages: what became of an upload, for its sender
    for door in adapter.doors:  # the node's own doors (issue #21): GGk SOAP, VECOZO REST
        door(app, ctx)
    return app


@contextlib.asynccontextmanager
async def _lifespan(ctx: AdapterContext, resources: Resources, _: FastAPI) -> AsyncIterator[None]:
    """The adapter's resources, then its background loops (broker watch, journal trim)."""
    runtime, settings, node = ctx.runtime, ctx.settings, ctx.node
    async with resources(runtime):
        watch = BrokerWatch(settings, runtime.bootstrap, lambda: runtime.pool)
        watch.consumers = metrics.broker_consumers(runtime.broker)
        loops: dict[str, background.Loop] = {"broker-watch": watch}
        if settings.ingress_journal:
            watch.role = journal_role(node)
            watch.recover = journal_recovery(runtime, node, ctx.ingress)
            loops["journal-trim"] = JournalTrim(lambda: runtime.pool, node, settings.journal_trim_s)
        loops["push"] = PushLoop(ctx)  # push delivery to the parties' endpoints
        for name, make in ctx.adapter.door_loops:  # e.g. the GGk door's Fo01s (issue #21)
            loops[name] = make(ctx)
        async with background.running(loops):
            log.info("%s ready", ctx.adapter.title)
            yield


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    """503 with Retry-After while the database or the broker is away."""
    log.warning("%s %s: %s unavailable (%s); answered 503", request.method,
                request.url.path, _dependency(exc), type(exc).__name__)  # fmt: skip
    body = Refusal(
        error="unavailable",
        reason=f"{_dependency(exc)}_unavailable",
        detail="the hub cannot take this request now; retry it (an upload with the same "
        "Idempotency-Key is taken once however often it is sent)",
    )
    return JSONResponse(
        {"detail": body.model_dump(mode="json", exclude_none=True)},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


def _dependency(exc: Exception) -> str:
    return "broker" if isinstance(exc, KafkaError) else "database"
