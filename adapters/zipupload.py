"""The ZIP upload endpoint: an archive of messages, checked whole, then each message judged alone.

`POST /v1/messages/zip` rather than a second media type on `POST /v1/messages`: its answer is a
list (one entry per member) where a single upload answers one `Accepted`, so each route has one
answer shape in the OpenAPI page and a client knows from the URL which one it gets. Both share
the upload gate (its in-flight count, Content-Encoding check) and the 25 MB body cap.

The archive is checked whole first (hub/domain/ziparchive.py: names, nesting, bombs, encryption,
non-XML members, the declaratie rule) and refused whole with the reason before any member is
produced; then each member goes through uploads.judge exactly like a single upload, and the
answer lists each with its id or the refusal a single upload would have got.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Final
from uuid import UUID

from fastapi import FastAPI, Request
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException

from adapters import docs
from adapters.body import read_capped
from adapters.context import AdapterContext
from adapters.gate import ZIP_TYPES
from adapters.refusal import Refusal, node_fields, refuse
from adapters.uploads import IDEMPOTENCY_HEADER, judge, upload_id
from hub.domain import xmlcodec, ziparchive
from hub.domain.messages import Node
from hub.domain.parties import Party
from hub.domain.ziparchive import ArchiveRefused, Limits, Member
from hub.infra import metrics

log = logging.getLogger(__name__)

ZIP_PATH: Final = "/v1/messages/zip"
# Sizes are the payload's problem (413, as the single upload's 25 MB); the rest is its shape.
_TOO_LARGE: Final = frozenset({"member_too_large", "total_too_large", "compression_ratio"})


class MemberAnswer(BaseModel):
    """One file of the archive: its id when accepted, else the refusal a single upload of it
    would have got (`http_status` and `refusal`, the same shape and node code)."""

    name: str
    status: str  # accepted, parked (held until a release's cutover) or refused
    id: UUID | None = None
    received_at: datetime | None = None
    http_status: int | None = None
    refusal: Refusal | None = None


_ANSWER_EXAMPLE: dict[str, Any] = {
    "accepted": 1,
    "refused": 1,
    "members": [
        {
            "name": "start-0001.xml",
            "status": "accepted",
            "id": "5d0c64a2-8d0e-4a43-9a41-6f1f0e0f3b21",
            "received_at": "2026-03-02T09:30:00.125Z",
        },
        {
            "name": "start-0002.xml",
            "status": "refused",
            "http_status": 400,
            "refusal": {
                "error": "invalid",
                "reason": "schema",
                "detail": "/Bericht/Client/Bsn: Element 'Bsn': [facet 'pattern'] The value is "
                "not accepted by the pattern '[0-9]{9}'.",
                "findings": [
                    {
                        "rule": "XSD",
                        "level": 1,
                        "location": "/Bericht/Client/Bsn",
                        "sentence": "Element 'Bsn': [facet 'pattern'] The value is not "
                        "accepted by the pattern '[0-9]{9}'.",
                    }
                ],
                "node_code": "IB001",
                "node_code_meaning": "The message fails its XSD (at BIDN only the envelope; "
                "CAK/VWS the payload)",
            },
        },
    ],
}


class ArchiveAnswer(BaseModel):
    """Each file of the archive, in its order, with its id or its refusal."""

    model_config = ConfigDict(json_schema_extra={"examples": [_ANSWER_EXAMPLE]})

    accepted: int
    refused: int
    members: list[MemberAnswer]


def install(app: FastAPI, ctx: AdapterContext) -> None:
    """Add the ZIP upload route to the adapter's app; the work is in `take_archive`."""

    @app.post(
        ZIP_PATH,
        response_model=ArchiveAnswer,
        response_model_exclude_none=True,
        responses={**docs.REFUSALS, **_REFUSALS},
        openapi_extra=_openapi(),
    )
    async def upload_zip(request: Request, caller: Party = ctx.authenticated) -> ArchiveAnswer:
        """Upload a ZIP archive of messages (at most 25 MB; at most 30 declaraties, never
        mixed with other messages). The archive is refused whole (with the reason and the
        nodes' ZIP code) for a path in a name, a nested archive, a zip bomb, an encrypted or
        non-XML file, or too many files; otherwise each message is judged on its own and the
        answer (200) lists each file with its id or its refusal.

        With an `Idempotency-Key` each file's id derives from the key and the file's name, so
        a resent archive is taken once."""
        return await take_archive(ctx, request, caller)

    _ = upload_zip  # registered by the decorator


async def take_archive(ctx: AdapterContext, request: Request, caller: Party) -> ArchiveAnswer:
    """Read and check the archive whole, then judge each member like a single upload."""
    settings, node = ctx.settings, ctx.node
    idempotency = request.headers.get(IDEMPOTENCY_HEADER)
    upload_id(ctx, caller, idempotency, "-")  # a malformed key is refused before the body
    data = await read_capped(request, settings.upload_body_timeout_s)
    limits = Limits(
        max_members=settings.zip_max_members,
        max_total_bytes=settings.zip_max_total_mb * ziparchive.MB,
        max_ratio=settings.zip_max_ratio,
    )
    try:
        # Decompressing and parsing up to HUB_ZIP_MAX_TOTAL_MB is CPU work: off the event
        # loop, so other parties' requests go on meanwhile.
        members = await asyncio.to_thread(_checked, ctx, data, limits)
    except ArchiveRefused as exc:
        metrics.count("upload", "refused", node=node)
        # The reason only: member names are the client's and may name a person.
        log.info("refused a ZIP archive of party %s: %s", caller.code, exc.reason)
        status = 413 if exc.reason in _TOO_LARGE else 400
        value = exc.member[:255] if exc.member else None
        refuse(status, "zip", exc.reason, exc.detail, field="member" if value else None,
               value=value)  # fmt: skip
    answers = [await _one(ctx, caller, idempotency, member) for member in members]
    accepted = sum(a.status != "refused" for a in answers)
    return ArchiveAnswer(accepted=accepted, refused=len(answers) - accepted, members=answers)


async def _one(
    ctx: AdapterContext, caller: Party, idempotency: str | None, member: Member
) -> MemberAnswer:
    """One member through the single upload's path; its refusal kept, not raised. A database
    or broker outage is raised (503): the archive is sent again (with its Idempotency-Key the
    members taken already keep their ids and are taken once)."""
    message_id = upload_id(ctx, caller, idempotency, member.name)
    try:
        got = await judge(ctx, caller, message_id, idempotency, _given(member.payload))
    except HTTPException as exc:
        detail: Any = exc.detail  # a dict from `refuse`
        shaped = {**detail, **node_fields(Node(ctx.node), detail["error"], detail["reason"])}
        return MemberAnswer(name=member.name, status="refused", http_status=exc.status_code,
                            refusal=Refusal.model_validate(shaped))  # fmt: skip
    return MemberAnswer(name=member.name, status=got.status, id=got.id,
                        received_at=got.received_at)  # fmt: skip


def _checked(ctx: AdapterContext, data: bytes, limits: Limits) -> list[Member]:
    """The archive's members, checked whole: its directory and files, then the declaratie rule."""
    members = ziparchive.read_archive(data, limits)
    ziparchive.check_kinds([(m.name, _number(ctx, m.payload)) for m in members], limits)
    return members


def _given(payload: bytes) -> Callable[[], Awaitable[bytes]]:
    async def body() -> bytes:
        return payload

    return body


def _number(ctx: AdapterContext, payload: bytes) -> int | None:
    """The member's message number (323 for a declaratie) from its root namespace, as the
    validator matches it; None when unreadable or unknown (its own refusal says so)."""
    try:
        root = xmlcodec.parse_message(payload)
    except xmlcodec.XmlRejected:
        return None
    tag = root.tag if isinstance(root.tag, str) else ""
    namespace = tag[1 : tag.find("}")] if tag.startswith("{") else None
    matched = ctx.runtime.validator.packs.match(namespace) if namespace else None
    return matched.message_type.number if matched else None


_REFUSALS: dict[int | str, dict[str, Any]] = {
    400: {
        "model": Refusal,
        "description": "The archive refused whole (error zip; reason not_a_zip, empty, "
        "too_many_members, encrypted, folder, unsafe_name, nested_zip, duplicate_name, not_xml, "
        "too_many_declaraties or mixed_declaraties; field member names the file), or a "
        "malformed Idempotency-Key",
    },
    408: {"model": Refusal, "description": "The body stalled (HUB_UPLOAD_BODY_TIMEOUT_S)"},
    413: {
        "model": Refusal,
        "description": "Archive larger than 25 MB, or refused whole as too large when "
        "decompressed (reason member_too_large, total_too_large, compression_ratio)",
    },
    415: {"model": Refusal, "description": "A Content-Encoding, or a Content-Type not a ZIP"},
}


def _openapi() -> dict[str, Any]:
    zipped = {"schema": {"type": "string", "format": "binary"}}
    return {
        "requestBody": {
            "required": True,
            "description": "A ZIP archive of iStandaarden messages, one .xml file each at the "
            "archive's top level (at most 25 MB; HUB_ZIP_MAX_MEMBERS files).",
            "content": {kind: zipped for kind in ZIP_TYPES},
        },
        "parameters": [
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "1-128 visible ASCII characters: each file's id derives from the "
                "key and its name, so a resent archive is taken once.",
                "schema": {"type": "string", "pattern": "^[!-~]{1,128}$"},
            }
        ],
    }
