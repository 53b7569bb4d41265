"""A party's inbox: listing, downloading and acknowledging the messages delivered to it.

An intermediary's inbox spans the parties that authorised it (Party.inbox_parties); each
entry names whose inbox it is in (`ontvanger`).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import FastAPI, Request, Response
from opentelemetry.trace import SpanKind
from pydantic import BaseModel

from adapters import docs, jsonbody
from adapters.context import AdapterContext
from adapters.refusal import refuse
from hub.domain import events
from hub.domain.parties import Party
from hub.infra import metrics, outbox, telemetry
from hub.infra.store import ledger, party_inbox
from hub.infra.store.gauges import Download


class InboxEntry(BaseModel):
    id: UUID
    bericht_code: str | None
    afzender: str | None
    ontvanger: str  # whose inbox: the caller, or for an intermediary one of its parties
    identificatie: str | None
    available_at: datetime
    downloaded: bool


def install(app: FastAPI, ctx: AdapterContext) -> None:
    """Add the inbox routes to the adapter's app; each hands its work to a function below."""

    @app.get("/v1/inbox", response_model=list[InboxEntry], responses=docs.REFUSALS)
    async def list_inbox(limit: int = 100, caller: Party = ctx.authenticated) -> list[InboxEntry]:
        """Messages waiting for you, oldest first."""
        return await listing(ctx, caller, limit)

    @app.get(
        "/v1/inbox/{message_id}",
        response_class=Response,
        responses={**docs.REFUSALS, **docs.NOT_FOUND, 200: {"content": {
            "application/xml": {}, "application/json": {"schema": {"type": "object"}}}}},
    )  # fmt: skip
    async def download(
        message_id: UUID, request: Request, caller: Party = ctx.authenticated
    ) -> Response:
        """The message itself; with `Accept: application/json` its JSON view (docs/json.md). A
        message that is not yours is simply not found."""
        return await fetch(ctx, caller, message_id, request.headers.get("accept"))

    @app.post(
        "/v1/inbox/{message_id}/ack",
        status_code=204,
        response_class=Response,
        responses={**docs.REFUSALS, **docs.NOT_FOUND},
    )
    async def acknowledge(message_id: UUID, caller: Party = ctx.authenticated) -> Response:
        """Mark the message as received; it leaves the inbox listing."""
        return await ack(ctx, caller, message_id)

    _ = (list_inbox, download, acknowledge)  # registered by the decorators


async def listing(ctx: AdapterContext, caller: Party, limit: int) -> list[InboxEntry]:
    """At most `limit` (1-1000) of the caller's waiting messages, oldest first."""
    items = await party_inbox.inbox(
        ctx.runtime.pool, ctx.node, caller.inbox_parties, max(1, min(limit, 1000))
    )
    return [
        InboxEntry(
            id=i.message_id,
            bericht_code=i.bericht_code,
            afzender=i.afzender,
            ontvanger=i.party,
            identificatie=i.identificatie,
            available_at=i.available_at,
            downloaded=i.downloaded_at is not None,
        )
        for i in items
    ]


async def fetch(
    ctx: AdapterContext, caller: Party, message_id: UUID, accept: str | None = None
) -> Response:
    """The message as XML (or as JSON when `accept` asks for it: adapters/jsonbody.py), in its
    trace; its first download is counted and timed."""
    node = ctx.node
    with telemetry.span(
        "download",
        telemetry.message_root(message_id),
        kind=SpanKind.SERVER,
        attributes=telemetry.message_attributes(
            message_id=message_id, node=node, receiver=caller.code
        ),
    ) as span:
        got = await _download(ctx, caller, message_id)
        if got is None:
            refuse(404, "not_found", "not_in_inbox", "no such message in your inbox")
        found, receiver = got
        span.set_attribute(telemetry.A_RECEIVER, receiver)  # an intermediary's party
        span.set_attribute(telemetry.A_MESSAGE_TYPE, found.message_type or "")
        if found.first:
            metrics.observe_download(found.received_at, found.message_type)
            metrics.count("download", "downloaded", message_type_=found.message_type, node=node)
        return jsonbody.download(ctx.runtime.packs, accept, found.payload)


async def _download(
    ctx: AdapterContext, caller: Party, message_id: UUID
) -> tuple[Download, str] | None:
    """Marks the download; the first one of a delivery raises message.downloaded in the same
    transaction (the relay sends it), so the sender's software learns its message was fetched."""
    runtime = ctx.runtime
    async with runtime.pool.acquire() as conn, conn.transaction():
        got = await party_inbox.download(conn, ctx.node, caller.inbox_parties, message_id)
        if got is None or not got[0].first:
            return got
        rows = await ledger.event_rows(conn, [message_id])
        if message_id in rows:
            data = {"node": ctx.node, "by": got[1]}
            await outbox.add(
                conn,
                [events.to_outbox(ctx.events_topic, "message.downloaded", rows[message_id], data)],
            )
    runtime.wake_relay()
    return got


async def ack(ctx: AdapterContext, caller: Party, message_id: UUID) -> Response:
    """204 once the message is marked received; 404 when the caller has no such message."""
    if not await party_inbox.acknowledge(
        ctx.runtime.pool, ctx.node, caller.inbox_parties, message_id
    ):
        refuse(404, "not_found", "not_in_inbox", "no such message in your inbox")
    return Response(status_code=204)
