"""Runs one node adapter: its HTTP API for parties, its ingress producer and egress consumer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Final
from uuid import UUID, uuid4, uuid5

import asyncpg
from aiokafka.errors import KafkaError
from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from faststream import AckPolicy
from faststream.kafka.annotations import KafkaMessage
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from adapters import docs
from adapters.auth import check_sender, party_authenticator
from adapters.base import NodeAdapter
from adapters.body import ClientDisconnect, client_gone, read_capped
from adapters.gate import RETRY_AFTER_S, UploadGate
from adapters.journal import JournalTrim, journal_recovery
from adapters.journal import role as journal_role
from adapters.refusal import Refusal, in_refusal_shape, refuse
from hub.domain import events, freeze, routing, topics
from hub.domain.findings import Finding
from hub.domain.headers import H
from hub.domain.parties import Party
from hub.domain.privacy import client_person_key
from hub.domain.validation import Outcome, Verdict
from hub.infra import background, metrics, outbox, store, telemetry
from hub.infra.health import health_routes
from hub.infra.kafka.brokerwatch import BrokerWatch
from hub.infra.runtime import Runtime
from hub.infra.store import gauges, journal, ledger

log = logging.getLogger(__name__)

_BACKOFF_S = 1.0
IDEMPOTENCY_HEADER: Final = "Idempotency-Key"
_IDEMPOTENCY_KEY: Final = re.compile(r"[\x21-\x7e]{1,128}")
# Upload ids of keyed uploads are derived from (node, party, key): a retried upload gets the
# id of its first attempt, which the core deduplicates, whatever happened in between.
_IDEMPOTENCY_NS: Final = UUID("0c5f2a55-8f0e-4d43-9a7e-3a4be1d39f61")
# What a request cannot do while the database or the broker is away: the party is told to
# retry (503), not that the hub failed (500).
# InternalClientError: asyncpg's state after a connection dropped mid-query.
_UNAVAILABLE: Final = (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError,
                       KafkaError, OSError, TimeoutError)  # fmt: skip


class Accepted(BaseModel):
    id: UUID
    received_at: datetime
    status: str = "accepted"


class InboxEntry(BaseModel):
    id: UUID
    bericht_code: str | None
    afzender: str | None
    identificatie: str | None
    available_at: datetime
    downloaded: bool


def _finding(f: Finding) -> dict[str, object]:
    return {"rule": f.rule, "level": int(f.level.value), "location": f.location,
            "sentence": f.sentence}  # fmt: skip


def build_app(
    adapter: NodeAdapter,
    runtime: Runtime,
    resources: Callable[[Runtime], AbstractAsyncContextManager[None]],
) -> FastAPI:
    settings = runtime.settings
    node = adapter.node.value
    ingress = topics.name(settings, topics.INGRESS)
    events_topic = topics.name(settings, topics.EVENTS)
    secret = settings.person_key_secret.get_secret_value().encode()

    group = f"{settings.topic_prefix}-adapter-{node}"  # one group per hub deployment

    @runtime.broker.subscriber(
        topics.egress_name(settings, adapter.node),
        group_id=group,
        batch=True,
        max_records=settings.batch_max_records,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
        # Commit only once the inbox has the batch; the inbox ignores redelivered pairs.
        ack_policy=AckPolicy.NACK_ON_ERROR,
    )
    async def deliver(body: list[bytes], msg: KafkaMessage) -> None:
        records = msg.raw_message if isinstance(msg.raw_message, tuple) else (msg.raw_message,)
        items: list[tuple[UUID, str]] = []
        kinds: dict[UUID, str] = {}
        spans: list[Span] = []
        for record in records:
            headers = {k: bytes(v).decode() for k, v in record.headers or ()}
            try:
                items.append((UUID(headers[H.MESSAGE_ID.value]), headers[H.RECEIVER.value]))
            except (KeyError, ValueError):
                log.error("egress record %s/%s lacks hub headers", record.partition, record.offset)
                continue
            kinds[items[-1][0]] = headers.get(H.MESSAGE_TYPE.value, "")
            if telemetry.enabled():
                spans.append(
                    _delivery_span(
                        headers,
                        items[-1][0],
                        node,
                        topic=record.topic,
                        partition=record.partition,
                        offset=record.offset,
                        group=group,
                    )
                )
        try:
            async with runtime.pool.acquire() as conn, conn.transaction():
                fresh = await store.deliver(conn, node, items)
                rows = await ledger.event_rows(conn, [m for m, _ in fresh])
                await outbox.add(
                    conn,
                    [
                        events.to_outbox(
                            events_topic, "message.delivered", rows[m], {"node": node, "inbox": p}
                        )
                        for m, p in fresh
                        if m in rows
                    ],
                )
            runtime.wake_relay()
        except Exception as exc:
            metrics.FAILURES.labels("delivery").inc()
            for span in spans:
                telemetry.fail(span, exc)
                span.end()
            log.exception("inbox write of %d failed; the batch will be redelivered", len(items))
            await asyncio.sleep(_BACKOFF_S)
            raise
        new = {m for m, _ in fresh}
        for m, _ in items:
            outcome = "delivered" if m in new else "duplicate"
            kind = kinds.get(m)
            metrics.count("delivery", outcome, message_type_=kind, node=node)
        for span in spans:
            span.end()

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with resources(runtime):
            watch = BrokerWatch(settings, runtime.bootstrap, lambda: runtime.pool)
            watch.consumers = metrics.broker_consumers(runtime.broker)
            loops: dict[str, background.Loop] = {"broker-watch": watch}
            if settings.ingress_journal:
                watch.role = journal_role(node)
                watch.recover = journal_recovery(runtime, node, ingress)
                loops["journal-trim"] = JournalTrim(
                    lambda: runtime.pool, node, settings.journal_trim_s
                )
            async with background.running(loops):
                log.info("%s ready", adapter.title)
                yield

    app = FastAPI(
        title=adapter.title,
        version="1",
        description=f"Upload and fetch iStandaarden messages, for {adapter.party_kind}. Every "
        "party endpoint needs `Authorization: Bearer <token>`.",
        lifespan=lifespan,
        routes=health_routes(runtime, f"adapter-{node}"),
        docs_url=None,  # served from local assets by adapters/docs.py (no CDN)
        redoc_url=None,
    )
    docs.install(app)
    app.add_middleware(UploadGate, path="/v1/messages", max_in_flight=settings.upload_max_in_flight,
                       node=node)  # fmt: skip
    app.add_exception_handler(ClientDisconnect, client_gone)
    app.add_exception_handler(StarletteHTTPException, in_refusal_shape)

    async def unavailable(request: Request, exc: Exception) -> JSONResponse:
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

    for kind in _UNAVAILABLE:
        app.add_exception_handler(kind, unavailable)

    # A default rather than an Annotated alias: FastAPI resolves the (string) annotations of
    # these endpoints against the module, where a local alias would not be found.
    authenticated = Depends(party_authenticator(adapter, runtime))

    @app.post(
        "/v1/messages",
        status_code=202,
        response_model=Accepted,
        responses={**docs.REFUSALS, **docs.FREEZE_REFUSALS, **docs.UPLOAD_REFUSALS},
        openapi_extra=docs.upload_openapi(),
    )
    async def upload(request: Request, caller: Party = authenticated) -> Accepted:
        """Upload one message (raw XML). Refused at once when unreadable, or when its sending
        party is neither you nor a party you may submit for.

        With an `Idempotency-Key` header (1-128 visible ASCII characters, unique per upload
        of yours) a retried upload gets the id of the first attempt and is taken once."""
        idempotency = request.headers.get(IDEMPOTENCY_HEADER)
        if idempotency is None:
            message_id = uuid4()
        elif _IDEMPOTENCY_KEY.fullmatch(idempotency):
            message_id = uuid5(_IDEMPOTENCY_NS, f"{node}/{caller.code}/{idempotency}")
        else:
            refuse(400, "invalid", "idempotency_key", "Idempotency-Key must be 1-128 visible "
                   "ASCII characters")  # fmt: skip
        seen: list[Verdict] = []
        with telemetry.span(
            "upload",
            kind=SpanKind.SERVER,
            attributes=telemetry.message_attributes(message_id=message_id, node=node),
            root_of=message_id,
        ) as span:
            try:
                accepted = await accept(request, caller, message_id, seen, idempotency)
            except HTTPException:
                kind = seen[0].message_type if seen else None
                metrics.count(
                    "upload", "refused", message_type_=kind.name if kind else None, node=node
                )
                span.set_attribute(telemetry.A_VERDICT, "refused")
                raise
            span.set_attribute(telemetry.A_VERDICT, "accepted")
            return accepted

    async def accept(
        request: Request,
        caller: Party,
        message_id: UUID,
        seen: list[Verdict],
        idempotency: str | None,
    ) -> Accepted:
        party = caller.code
        payload = await read_capped(request, settings.upload_body_timeout_s)
        # The node's own checks (IB001/IB014): readable, a known message, schema-valid. Rule
        # failures beyond the schema are not refused here: the core answers them with the
        # standard retour.
        verdict = runtime.validator.validate(payload)
        seen.append(verdict)
        if verdict.outcome is Outcome.UNREADABLE:
            first = verdict.findings[0]
            line = int(first.location[5:]) if first.location.startswith("line ") else None
            refuse(400, "unreadable", first.rule.partition(":")[2] or first.rule,
                   first.sentence, line)  # fmt: skip
        if not verdict.answerable:
            first = verdict.findings[0]
            kind = "unknown_message" if verdict.outcome is Outcome.UNKNOWN else "schema"
            refuse(400, "invalid", kind, f"{first.location}: {first.sentence}",
                   findings=[_finding(f) for f in verdict.findings[:50]])  # fmt: skip
        envelope = verdict.envelope
        assert envelope is not None
        mt = verdict.message_type
        trace.get_current_span().set_attributes(
            telemetry.message_attributes(
                message_type=mt.name if mt else None,
                direction=mt.direction.value if mt else None,
                sender=routing.sender_of(envelope),
                receiver=envelope.ontvanger,
            )
        )
        check_sender(caller, routing.sender_of(envelope))
        received_at = runtime.clock()
        # --- release freeze (hub/domain/freeze.py): refuse early what the core would park -------
        pm = verdict.pack_message
        status = "accepted"
        if mt is not None and pm is not None:
            held = freeze.decide(runtime.freeze, mt.standard, pm.pack.release, mt, received_at)
            _refuse_frozen(held, received_at)
            if isinstance(held, freeze.Park):
                status = "parked"  # a new-release message: the core holds it until cutover
        # --- end of the release-freeze step ---
        # Keyed by person where the message has one client, so one person's messages keep
        # their order on one partition (history rules depend on it); never by the BSN itself.
        key = client_person_key(verdict.root, secret) or party
        headers = {
            H.MESSAGE_ID.value: str(message_id),
            H.NODE.value: node,
            H.PARTY.value: party,  # the uploader (indiener), which may differ from Afzender
            H.RECEIVED_AT.value: received_at.isoformat(),
        }
        if idempotency is not None:
            known = await journal.digest(runtime.pool, message_id)
            if known is not None and known != journal.sha256(payload):
                refuse(422, "invalid", "idempotency_key_reused", "this Idempotency-Key was "
                       "used for another message")  # fmt: skip
        if settings.ingress_journal:
            # Journaled before the broker is asked: once it acknowledges, the upload is in
            # PostgreSQL too, whatever the broker loses afterwards. A failed publish leaves
            # the entry (the broker may have it after all); the core deduplicates by id.
            entry = journal.JournalEntry(message_id, node, key.encode(), payload, headers)
            await journal.add(runtime.pool, entry)
        await runtime.broker.publish(payload, ingress, key=key.encode(), headers=headers)
        metrics.count("upload", "accepted", message_type_=mt.name if mt else None, node=node)
        return Accepted(id=message_id, received_at=received_at, status=status)

    @app.get("/v1/inbox", response_model=list[InboxEntry], responses=docs.REFUSALS)
    async def list_inbox(limit: int = 100, caller: Party = authenticated) -> list[InboxEntry]:
        """Messages waiting for you, oldest first."""
        items = await store.inbox(runtime.pool, node, caller.code, max(1, min(limit, 1000)))
        return [
            InboxEntry(
                id=i.message_id,
                bericht_code=i.bericht_code,
                afzender=i.afzender,
                identificatie=i.identificatie,
                available_at=i.available_at,
                downloaded=i.downloaded_at is not None,
            )
            for i in items
        ]

    @app.get(
        "/v1/inbox/{message_id}",
        response_class=Response,
        responses={**docs.REFUSALS, **docs.NOT_FOUND, 200: {"content": {"application/xml": {}}}},
    )
    async def download(message_id: UUID, caller: Party = authenticated) -> Response:
        """The message itself. A message that is not yours is simply not found."""
        with telemetry.span(
            "download",
            telemetry.message_root(message_id),
            kind=SpanKind.SERVER,
            attributes=telemetry.message_attributes(
                message_id=message_id, node=node, receiver=caller.code
            ),
        ) as span:
            found = await gauges.download(runtime.pool, node, caller.code, message_id)
            if found is None:
                refuse(404, "not_found", "not_in_inbox", "no such message in your inbox")
            span.set_attribute(telemetry.A_MESSAGE_TYPE, found.message_type or "")
            if found.first:
                metrics.observe_download(found.received_at, found.message_type)
                metrics.count("download", "downloaded", message_type_=found.message_type, node=node)
            return Response(content=found.payload, media_type="application/xml")

    @app.post(
        "/v1/inbox/{message_id}/ack",
        status_code=204,
        response_class=Response,
        responses={**docs.REFUSALS, **docs.NOT_FOUND},
    )
    async def acknowledge(message_id: UUID, caller: Party = authenticated) -> Response:
        """Mark the message as received; it leaves the inbox listing."""
        if not await store.acknowledge(runtime.pool, node, caller.code, message_id):
            refuse(404, "not_found", "not_in_inbox", "no such message in your inbox")
        return Response(status_code=204)

    _ = (upload, list_inbox, download, acknowledge, deliver)
    return app


def _dependency(exc: Exception) -> str:
    return "broker" if isinstance(exc, KafkaError) else "database"


def _refuse_frozen(held: freeze.Decision, now: datetime) -> None:
    """423 (with Retry-After) while a freeze holds the message; 409 when it never reopens."""
    if not isinstance(held, freeze.Refuse):
        return
    phase, since, until = held.phase.value, held.since, held.until
    if until is None:
        refuse(409, "release_retired", "after_cutover", held.reason, phase=phase, since=since)
    retry = str(max(1, math.ceil((until - now).total_seconds())))
    refuse(423, "frozen", phase.replace("-", "_"), held.reason, headers={"Retry-After": retry},
           phase=phase, since=since, until=until)  # fmt: skip


def _delivery_span(
    headers: dict[str, str],
    message_id: UUID,
    node: str,
    *,
    topic: str,
    partition: int,
    offset: int,
    group: str,
) -> Span:
    """The delivery of one egress record into an inbox, in the message's trace: the messaging
    conventions' "process <egress topic>" for that one record."""
    return telemetry.start(
        telemetry.messaging_span_name("process", topic),
        telemetry.extract(headers),
        kind=SpanKind.CONSUMER,
        attributes={
            **telemetry.messaging_attributes(
                "process",
                topic,
                partition=partition,
                offset=offset,
                group=group,
                message_id=str(message_id),
            ),
            **telemetry.message_attributes(
                message_id=message_id,
                message_type=headers.get(H.MESSAGE_TYPE.value),
                node=node,
                receiver=headers.get(H.RECEIVER.value),
            ),
        },
    )
