"""A party's inbox: listing, downloading and acknowledging the messages delivered to it.

An intermediary's inbox spans the parties that authorised it (Party.inbox_parties); each
entry names whose inbox it is in (`ontvanger`). The listing stays a JSON list (what clients
already read) and pages with a cursor in headers: `X-Next-Cursor` and `Link: <...>; rel="next"`
name the next page while there is one; `?after=` takes it.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Final
from urllib.parse import urlencode
from uuid import UUID

from fastapi import FastAPI, Request, Response
from opentelemetry.trace import SpanKind
from pydantic import BaseModel, ConfigDict

from adapters import docs, jsonbody
from adapters.context import AdapterContext
from adapters.refusal import refuse
from hub.domain import events
from hub.domain.parties import Party
from hub.infra import metrics, outbox, telemetry
from hub.infra.store import ledger, party_inbox
from hub.infra.store.gauges import Download

MAX_PAGE: Final = 1000
NEXT_CURSOR: Final = "X-Next-Cursor"
_CURSOR_PREFIX: Final = "d1:"  # the cursor's version: a delivery position


class AnsweredMessage(BaseModel):
    """The heenbericht a retour answers: match it without downloading the retour."""

    id: UUID
    bericht_code: str | None
    identificatie: str | None


class InboxEntry(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0b5f0d0e-6f6b-4c8e-9d55-2b1f1b7f3a10",
                    "bericht_code": "419",
                    "afzender": "65656055",
                    "ontvanger": "65656055",
                    "identificatie": "R0000000001",
                    "available_at": "2026-03-02T09:31:12.402Z",
                    "downloaded": False,
                    "answers": {
                        "id": "7c1e6a52-3f0e-4d7e-8a51-0b8e1c2d9f44",
                        "bericht_code": "418",
                        "identificatie": "AB12345",
                    },
                    "retourcodes": ["0001"],
                }
            ]
        }
    )

    id: UUID
    bericht_code: str | None
    afzender: str | None
    ontvanger: str  # whose inbox: the caller, or for an intermediary one of its parties
    identificatie: str | None
    available_at: datetime
    downloaded: bool
    # A retour: the heenbericht it answers and its retourcodes (absent / empty otherwise).
    answers: AnsweredMessage | None = None
    retourcodes: list[str] = []


_PAGE_HEADERS = {
    NEXT_CURSOR: {
        "description": "Cursor of the next page (pass it as `after`); absent on the last page",
        "schema": {"type": "string"},
    },
    "Link": {
        "description": 'The next page\'s URL as `<...>; rel="next"`; absent on the last page',
        "schema": {"type": "string"},
    },
}


def install(app: FastAPI, ctx: AdapterContext) -> None:
    """Add the inbox routes to the adapter's app; each hands its work to a function below."""

    @app.get(
        "/v1/inbox",
        response_model=list[InboxEntry],
        responses={**docs.REFUSALS, 200: {"headers": _PAGE_HEADERS}},
    )
    async def list_inbox(
        request: Request,
        response: Response,
        limit: int = 100,
        after: str | None = None,
        caller: Party = ctx.authenticated,
    ) -> list[InboxEntry]:
        """Messages waiting for you, oldest first, `limit` (1-1000) at a time. While more are
        waiting, the `X-Next-Cursor` header (and `Link` with rel="next") names the next page:
        pass it as `after` to walk every waiting message, each once. A message stays listed until
        you acknowledge it, so a walk from the start shows whatever is still waiting."""
        page, cursor = await listing(ctx, caller, limit, after)
        if cursor is not None:
            query = urlencode({"limit": _page_size(limit), "after": cursor})
            response.headers[NEXT_CURSOR] = cursor
            response.headers["Link"] = f'<{request.url.path}?{query}>; rel="next"'
        return page

    @app.get(
        "/v1/inbox/{message_id}",
        response_class=Response,
        responses={**docs.REFUSALS, **docs.NOT_FOUND, 200: jsonbody.download_openapi()},
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


async def listing(
    ctx: AdapterContext, caller: Party, limit: int, after: str | None = None
) -> tuple[list[InboxEntry], str | None]:
    """At most `limit` (1-1000) of the caller's waiting messages after the cursor `after`,
    oldest first, and the cursor of the next page (None on the last one)."""
    size = _page_size(limit)
    start = 0 if after is None else _position(after)
    # One more than the page: whether a next page exists, without an empty last page.
    items = await party_inbox.inbox(
        ctx.runtime.pool, ctx.node, caller.inbox_parties, size + 1, start
    )
    more = len(items) > size
    items = items[:size]
    page = [
        InboxEntry(
            id=i.message_id,
            bericht_code=i.bericht_code,
            afzender=i.afzender,
            ontvanger=i.party,
            identificatie=i.identificatie,
            available_at=i.available_at,
            downloaded=i.downloaded_at is not None,
            answers=None
            if i.answers is None
            else AnsweredMessage(
                id=i.answers.id,
                bericht_code=i.answers.bericht_code,
                identificatie=i.answers.identificatie,
            ),
            retourcodes=list(i.retourcodes),
        )
        for i in items
    ]
    return page, (_cursor(items[-1].position) if more else None)


def _page_size(limit: int) -> int:
    return max(1, min(limit, MAX_PAGE))


def _cursor(position: int) -> str:
    """Opaque to clients: they pass it back as it is, so its form may change (its prefix)."""
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{position}".encode()).decode().rstrip("=")


def _position(cursor: str) -> int:
    """The delivery position a cursor names; a cursor this adapter did not make is a 400."""
    position = _decoded(cursor)
    if position is None:
        refuse(400, "invalid", "after", "query parameter after: not a cursor this inbox gave")
    return position


def _decoded(cursor: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        position = int(text.removeprefix(_CURSOR_PREFIX))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    fits = text.startswith(_CURSOR_PREFIX) and 0 <= position < 2**63
    return position if fits else None


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
