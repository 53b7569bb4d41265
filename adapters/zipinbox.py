"""The inbox as one ZIP archive: the caller's waiting messages, oldest first, in one download.

`GET /v1/inbox.zip` holds `<id>.xml` per message and a `manifest.json` listing each (id,
berichtcode, afzender, ontvanger, identificatie, available_at; a retour's `answers` and
`retourcodes` as the inbox listing has them). It is bounded: at most `limit`
(HUB_ZIP_INBOX_MAX_MESSAGES) messages and 25 MB of them (the nodes' limit). Each message in it is
downloaded exactly as `GET /v1/inbox/{id}` downloads it (adapters/inbox.fetch: the first
download is marked and raises message.downloaded). Messages stay waiting until acknowledged, so
a client acknowledges what it took and asks again; `X-More-Messages: true` (and the manifest's
`more`) says that more are waiting than this archive holds.
"""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from datetime import UTC, datetime
from typing import Final

from fastapi import FastAPI, Response
from starlette.exceptions import HTTPException

from adapters import docs, inbox
from adapters.context import AdapterContext
from hub.domain.parties import Party
from hub.domain.ziparchive import NODE_LIMIT_BYTES
from hub.infra.store import party_inbox, payload_size

INBOX_ZIP_PATH: Final = "/v1/inbox.zip"
MORE_HEADER: Final = "X-More-Messages"
MANIFEST: Final = "manifest.json"
# Room for the manifest and the archive's own headers within the 25 MB.
_MESSAGE_BYTES: Final = NODE_LIMIT_BYTES - 1024 * 1024


def install(app: FastAPI, ctx: AdapterContext) -> None:
    """Add the inbox-archive route to the adapter's app; the work is in `archive`."""

    @app.get(
        INBOX_ZIP_PATH,
        response_class=Response,
        responses={
            **docs.REFUSALS,
            200: {
                "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
                "headers": {
                    MORE_HEADER: {
                        "description": "true when more messages wait than the archive holds: "
                        "acknowledge these and ask again",
                        "schema": {"type": "string"},
                    }
                },
            },
        },
    )
    async def inbox_zip(limit: int | None = None, caller: Party = ctx.authenticated) -> Response:
        """Your waiting messages, oldest first, as one ZIP: `<id>.xml` each and a
        `manifest.json`; at most `limit` (default and most HUB_ZIP_INBOX_MAX_MESSAGES) and
        25 MB. Each is counted as downloaded, as a single download would. They stay in the
        inbox until acknowledged (`POST /v1/inbox/{id}/ack`); when more are waiting the answer
        says `X-More-Messages: true`: acknowledge these, then ask again."""
        return await archive(ctx, caller, limit)

    _ = inbox_zip  # registered by the decorator


async def archive(ctx: AdapterContext, caller: Party, limit: int | None) -> Response:
    """The oldest waiting messages, within the bounds, zipped with their manifest."""
    most = ctx.settings.zip_inbox_max_messages
    size = most if limit is None else max(1, min(limit, most))
    # One more than the archive may hold: whether more are waiting.
    items = await party_inbox.inbox(ctx.runtime.pool, ctx.node, caller.inbox_parties, size + 1)
    more = len(items) > size
    items = items[:size]
    # What fits in 25 MB is chosen before any is downloaded: a download marks the message.
    sizes = await payload_size.payload_sizes(ctx.runtime.pool, [i.message_id for i in items])
    count = total = 0
    for item in items:
        nbytes = sizes.get(item.message_id, 0)
        if count and total + nbytes > _MESSAGE_BYTES:
            more = True  # the rest waits for the next archive
            break
        count += 1
        total += nbytes
    chosen = items[:count]
    files: list[tuple[str, bytes]] = []
    listed: list[dict[str, object]] = []
    for item in chosen:
        try:
            # The single download's own path: its span, metrics, first-download event.
            got = await inbox.fetch(ctx, caller, item.message_id)
        except HTTPException as exc:
            if exc.status_code == 404:
                continue  # purged or taken away since the listing
            raise
        files.append((f"{item.message_id}.xml", bytes(got.body)))
        listed.append(
            {
                "id": str(item.message_id),
                "berichtcode": item.bericht_code,
                "afzender": item.afzender,
                "ontvanger": item.party,
                "identificatie": item.identificatie,
                "available_at": item.available_at.isoformat(),
                # A retour: the heenbericht it answers, as the inbox listing names it.
                "answers": None
                if item.answers is None
                else {
                    "id": str(item.answers.id),
                    "bericht_code": item.answers.bericht_code,
                    "identificatie": item.answers.identificatie,
                },
                "retourcodes": list(item.retourcodes),
            }
        )
    manifest = {"node": ctx.node, "messages": listed, "more": more}
    files.append((MANIFEST, json.dumps(manifest, indent=1).encode()))
    # Compressing up to 25 MB is CPU work: off the event loop, so other parties' requests
    # are not held up meanwhile (as the ZIP upload decompresses in a thread).
    content = await asyncio.to_thread(_zipped, files)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Response(
        content=content,
        media_type="application/zip",
        headers={
            MORE_HEADER: "true" if more else "false",
            "Content-Disposition": f'attachment; filename="inbox-{ctx.node}-{stamp}.zip"',
        },
    )


def _zipped(files: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name, data in files:
            zipped.writestr(name, data)
    return buffer.getvalue()
