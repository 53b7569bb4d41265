"""The VECOZO-like door's push: `POST /berichten`, a multipart request of `berichtMetadata` (JSON)
and `payload` (the message), taken through the same acceptance path as every upload.

Before the payload goes that path (adapters/uploads.py, `judge`) the door checks the request:
both parts there, the metadata well formed and in agreement with the payload's header (read
by the one hardened parser, hub/domain/xmlcodec.py), its afzender a party the caller may send
for. The traceerId is the sender's idempotency key: the upload's id is derived from (afzender,
traceerId), its references are kept (hub/infra/store/vsp.py) and released again when the
acceptance path refuses it, so nothing is half-accepted.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from typing import Final
from uuid import UUID, uuid5

from fastapi import HTTPException, Request, Response
from starlette.datastructures import Headers, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from adapters import uploads
from adapters.auth import check_sender
from adapters.body import MAX_UPLOAD_BYTES, read_capped
from adapters.context import AdapterContext
from adapters.refusal import refuse
from adapters.vecozodoor_problem import Problem, for_push, malformed
from hub.domain import vsp, xmlcodec
from hub.domain.parties import Party
from hub.domain.vspstream import Berichttypes
from hub.domain.xmlread import Envelope
from hub.infra.store import journal
from hub.infra.store import vsp as vsp_store

log = logging.getLogger(__name__)

METADATA: Final = "berichtMetadata"
PAYLOAD: Final = "payload"
# Upload ids of pushes: (node, afzender, traceerId) → one id, so a resend is the same upload.
_NS: Final = UUID("6a4f0f3e-3c55-4f0b-8d7e-5b0c2e9a41d7")

TRACEER_REUSED: Final = "traceer_id_reused"


def upload_id(node: str, afzender: str, traceer_id: str) -> UUID:
    return uuid5(_NS, f"{node}/{afzender}/{traceer_id}")


async def _once(raw: bytes) -> AsyncGenerator[bytes, None]:
    yield raw


async def _parts(request: Request, raw: bytes) -> dict[str, bytes]:
    """The request's two parts as bytes; 400 for anything else than multipart/form-data."""
    kind = request.headers.get("content-type", "")
    if not kind.lower().startswith("multipart/form-data"):
        malformed("content_type", "the push is multipart/form-data with the parts "
                  f"{METADATA} and {PAYLOAD}", {"Content-Type": [kind or "(none)"]})  # fmt: skip
    parser = MultiPartParser(
        Headers(raw=[(b"content-type", kind.encode("latin-1"))]),
        _once(raw),
        max_files=2,
        max_fields=2,
        # A part sent as a plain field (no file name) may be the whole payload: the body
        # as a whole is capped at 25 MB already.
        max_part_size=MAX_UPLOAD_BYTES,
    )
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        malformed("multipart", "the multipart body cannot be read", {"body": [exc.message]})
    parts: dict[str, bytes] = {}
    try:
        for name, value in form.multi_items():
            if name in parts or name not in (METADATA, PAYLOAD):
                malformed("multipart", f"the push has exactly the parts {METADATA} and "
                          f"{PAYLOAD}", {name: ["an unexpected or repeated part"]})  # fmt: skip
            if isinstance(value, UploadFile):
                parts[name] = await value.read()
            else:
                parts[name] = value.encode("utf-8")
    finally:
        await form.close()
    return parts


def _header(payload: bytes) -> Envelope | None:
    """The payload's header, read by the one hardened parser; None when it is unreadable (the
    acceptance path refuses it with the specific reason)."""
    try:
        return xmlcodec.read_envelope(xmlcodec.parse_message(payload))
    except xmlcodec.XmlRejected:
        return None


def _metadata(parts: dict[str, bytes]) -> vsp.BerichtMetadata:
    read = vsp.read_metadata(parts.get(METADATA))
    errors = {} if isinstance(read, vsp.BerichtMetadata) else dict(read)
    if not parts.get(PAYLOAD):
        errors[PAYLOAD] = ["the part payload (the message) is missing or empty"]
    if errors:
        malformed("metadata", f"the push needs {METADATA} (JSON as documented) and "
                  f"{PAYLOAD}", errors)  # fmt: skip
    assert isinstance(read, vsp.BerichtMetadata)
    return read


async def push(
    ctx: AdapterContext, request: Request, caller: Party, berichttypes: Berichttypes
) -> Response:
    """One push: 204 once the message is taken (produced to ingress, journaled)."""
    try:
        raw = await read_capped(request, ctx.settings.upload_body_timeout_s)
    except HTTPException as exc:
        raise for_push(exc) from None
    parts = await _parts(request, raw)
    meta = _metadata(parts)
    payload = parts[PAYLOAD]
    envelope = _header(payload)
    if envelope is not None:
        errors = vsp.contradictions(meta, envelope, berichttypes.of(envelope.message_name))
        if errors:
            malformed("contradicts_payload", f"{METADATA} contradicts the payload's header",
                      errors)  # fmt: skip
    try:
        check_sender(caller, meta.afzender)  # the delegation registry
    except HTTPException as exc:
        raise for_push(exc) from None
    stroom = meta.routeringgegevens.berichtstroom
    refs = meta.referentiegegevens
    message_id = upload_id(ctx.node, meta.afzender, refs.traceerId)
    digest = journal.sha256(payload)
    ref = vsp_store.Reference(
        message_id=message_id,
        afzender=meta.afzender,
        traceer_id=refs.traceerId,
        conversatie_id=refs.conversatieId,
        als_antwoord_op=refs.alsAntwoordOp,
        referentie_id=refs.referentieId,
        submitted_by=caller.code,
        payload_sha256=digest,
        berichttype=stroom.berichttype,
        berichtsubtype=stroom.berichtsubtype,
        berichtversie=stroom.berichtversie,
        berichtsubversie=stroom.berichtsubversie,
    )
    pool = ctx.runtime.pool
    held = await vsp_store.claim(pool, ref)
    if held is not None and held.payload_sha256 != digest:
        _reused(caller, refs.traceerId)

    async def body() -> bytes:
        return payload

    try:
        await uploads.judge(ctx, caller, message_id, refs.traceerId, body)
    except HTTPException as exc:
        if held is None:
            await vsp_store.release(pool, message_id)
        detail: object = exc.detail
        if isinstance(detail, dict) and detail.get("reason") == "idempotency_key_reused":
            _reused(caller, refs.traceerId)  # raced: another payload took this id meanwhile
        raise for_push(exc) from None
    return Response(status_code=204)


def _reused(caller: Party, traceer_id: str) -> None:
    log.info("refused party %s: %s", caller.code, TRACEER_REUSED)
    refuse(422, "invalid", TRACEER_REUSED, f"traceerId {traceer_id} was used for another "
           "message of this afzender; each message has a traceerId of its own")  # fmt: skip


__all__ = ["METADATA", "PAYLOAD", "Problem", "push", "upload_id"]
