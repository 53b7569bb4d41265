"""The GGk-like door at the GGK adapter: a SOAP 1.1 endpoint taking StUF-GGk 2.1 envelopes
(ggk_Di01, ggk_Du01) and Fo01, answered with a Bv03 receipt or a SOAP Fault holding a Fo03,
and the WSDL and schemas it publishes (issue #21; nodes.md §1).

An envelope's message goes through the same acceptance path as every upload (uploads.judge:
checks, journal, ingress) under an upload id derived from the envelope's referentienummer like
an Idempotency-Key; its Bv03 is kept (hub/infra/store/ggk_envelopes.py), so a resend of the same
envelope is answered with the same receipt and is not taken twice. Reading and writing the
envelopes is pure (hub/domain/stuf.py, stufwrite.py); delivery in envelopes is ggkpush.py.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import replace
from html import escape
from typing import Final
from uuid import uuid4

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.security import HTTPBearer

from adapters import uploads
from adapters.auth import party_authenticator
from adapters.context import AdapterContext
from adapters.gate import guard_door
from adapters.refusal import refuse
from hub.domain import messages, routing, stuf, stufcodes, stufwrite, xmlcodec
from hub.domain.parties import Party
from hub.domain.stuf import Request as StufRequest
from hub.domain.stuf import StufRefused, Systeem
from hub.infra import transient
from hub.infra.store import ggk_envelopes

log = logging.getLogger(__name__)

SOAP_PATH: Final = "/ggk/soap"
SCHEMA_PATH: Final = "/ggk/schemas"
_XML: Final = "text/xml; charset=utf-8"  # SOAP 1.1's media type
_BEARER: Final = HTTPBearer(auto_error=False)
_TOO_LARGE: Final = "the envelope is larger than a 25 MB message"
# Refusals of the acceptance path the sender may resend unchanged later: the body too slow
# (408), a frozen release (423, Retry-After), the hub busy or unavailable (503, Retry-After).
_RESEND_LATER: Final = frozenset({408, 423, 503})


def install(app: FastAPI, ctx: AdapterContext) -> None:
    """Add the SOAP endpoint, its WSDL (`GET /ggk/soap?wsdl`) and its schemas to the app."""
    authenticate = party_authenticator(ctx.adapter, ctx.runtime)

    @app.get(SOAP_PATH, include_in_schema=False)
    async def wsdl(request: Request) -> Response:
        """The WSDL, its service address HUB_GGK_PUBLIC_URL's, else the one this request
        reached (behind a proxy, the inside one unless it passes Host and X-Forwarded-Proto)."""
        base = ctx.settings.ggk_public_url or str(request.base_url).rstrip("/")
        text = (stuf.SCHEMA_DIR / "ggk0210.wsdl").read_text(encoding="utf-8")
        text = text.replace("@ADDRESS@", escape(base + SOAP_PATH))
        text = text.replace("@SCHEMAS@", escape(base + SCHEMA_PATH))
        return Response(text, media_type=_XML)

    @app.get(SCHEMA_PATH + "/{name}", include_in_schema=False)
    async def schema(name: str) -> Response:
        if name not in stuf.SCHEMA_FILES:
            refuse(404, "not_found", "not_found", f"no schema {name}")
        return Response((stuf.SCHEMA_DIR / name).read_bytes(), media_type=_XML)

    @app.post(SOAP_PATH, include_in_schema=False)
    async def soap(request: Request) -> Response:
        """One SOAP request: a Bv03 (200) or a SOAP Fault with a Fo03 (500, as SOAP 1.1 has it)."""
        hub = Systeem(organisatie=None, applicatie=ctx.settings.ggk_applicatie)
        parsed: StufRequest | None = None
        body = b""  # read: a fault names its referentienummer where it can be read
        try:
            # The body first, capped: a fault answered before it is read would leave the
            # connection unusable (the client still sending), which SOAP stacks handle badly.
            body = await _body(request)
            caller = await authenticate(request, await _BEARER(request))
            parsed = stuf.read_request(body, request.headers.get("SOAPAction"))
            receipt = await take(ctx, caller, parsed, hub)
        except StufRefused as exc:
            return _fault(ctx, parsed, hub, exc.error, exc.reason, exc.detail, envelope=body)
        except HTTPException as exc:
            raw: object = exc.detail  # a dict from `refuse` (typed str by Starlette)
            detail: dict[str, object] = raw if isinstance(raw, dict) else {}
            error, reason = str(detail.get("error", "refused")), str(detail.get("reason", ""))
            text = str(detail.get("detail", exc.detail))
            # What the sender may resend unchanged later (a frozen release, the hub busy) is a
            # Server fault with the refusal's retry time; anything else a Client fault.
            later = exc.status_code in _RESEND_LATER or exc.status_code >= 500
            retry = (exc.headers or {}).get("Retry-After") if later else None
            return _fault(ctx, parsed, hub, error, reason, text, server=later,
                          retry_after=retry, envelope=body)  # fmt: skip
        except transient.TRANSIENT as exc:
            # The database or the broker is away: a Server fault the caller resends unchanged
            # (the referentienummer keeps the resend from being taken twice).
            log.warning("GGk door: %s unavailable; answered a Server fault", type(exc).__name__)
            text = "the hub cannot take this request now; resend it"
            return _fault(ctx, parsed, hub, "unavailable", "unavailable", text, server=True)
        return Response(receipt, media_type=_XML)

    def busy(_: Request, detail: str) -> Response:
        hub = Systeem(organisatie=None, applicatie=ctx.settings.ggk_applicatie)
        return _fault(ctx, None, hub, "unavailable", "busy", detail, server=True)

    _ = wsdl, schema, soap  # registered by the decorators
    # An envelope counts among the adapter's uploads in flight (adapters/gate.py); beyond the
    # limit it is a Server fault (resend unchanged), its body read and dropped first.
    guard_door(app, SOAP_PATH, busy, drain=stuf.MAX_ENVELOPE_BYTES)


async def _body(request: Request) -> bytes:
    """The request body, refused unread once it passes what an envelope within the node limit
    can be (a 25 MB message in base64 and its stuurgegevens)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > stuf.MAX_ENVELOPE_BYTES:
        raise StufRefused("too_large", "too_large", _TOO_LARGE)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > stuf.MAX_ENVELOPE_BYTES:
            raise StufRefused(
                "too_large", "too_large", "the envelope is larger than a 25 MB message"
            )
        chunks.append(chunk)
    return b"".join(chunks)


async def take(ctx: AdapterContext, caller: Party, request: StufRequest, hub: Systeem) -> bytes:
    """The Bv03 for one request: a Fo01 is acknowledged (logged: the hub acts on none yet); a
    Di01/Du01's message goes to uploads.judge once, its receipt kept for a resend."""
    sg = request.stuurgegevens
    now = ctx.runtime.clock()
    receipt = stufwrite.bv03(stufwrite.answer_stuurgegevens("Bv03", sg, hub, str(uuid4()), now))
    if request.operation is stuf.FO01:
        # Party codes and reference numbers only (no personal data in logs).
        log.warning(
            "GGk door: Fo01 from %s about %s: %s", caller.code, sg.cross, request.fault_code
        )
        return receipt
    if not caller.may_send_as(sg.zender.organisatie):
        who = sg.zender.organisatie
        refuse(403, "forbidden", "sender_mismatch", f"the envelope's zender organisatie {who} "
               "is neither you nor a party you may submit for")  # fmt: skip
    if request.text_file is not None:
        raise StufRefused("envelope", "text_file", "a tekstBestand is not an iStandaarden "
                          "message; the hub forwards xmlBestand only")  # fmt: skip
    key = f"ggk:{sg.referentienummer}"
    message_id = uploads.upload_id(ctx, caller, key)
    digest = hashlib.sha256(request.payload).digest()
    pool = ctx.runtime.pool
    known = await ggk_envelopes.received(pool, message_id)
    if known is not None:
        if known.digest != digest:
            raise StufRefused("envelope", "referentienummer_reused", f"referentienummer "
                              f"{sg.referentienummer} was used for another message")  # fmt: skip
        return known.receipt  # a resend: the same Bv03, nothing taken twice
    _check_functie(ctx, request)
    payload = request.payload

    async def body() -> bytes:
        return payload

    code = request.operation.berichtcode
    await ggk_envelopes.note_received(pool, message_id, caller.code, sg.referentienummer, code)
    try:
        await uploads.judge(ctx, caller, message_id, key, body)
    except HTTPException:
        await ggk_envelopes.release_received(pool, message_id)  # refused: nothing kept
        raise
    return await ggk_envelopes.keep_received(
        pool, message_id, caller.code, sg.referentienummer, code, digest, receipt,
    )  # fmt: skip


def _check_functie(ctx: AdapterContext, request: StufRequest) -> None:
    """The envelope's functie names its message, which travels with this berichtcode between
    the envelope's zender and ontvanger."""
    sg = request.stuurgegevens
    try:
        # The one hardened parser: an XML bomb in the payload is refused here (and would be
        # again in the acceptance path).
        root = xmlcodec.parse_message(request.payload)
    except xmlcodec.XmlRejected as exc:
        raise StufRefused("unreadable", exc.reason.value, f"xmlBestand: {exc.detail}") from None
    namespace = root.tag[1 : root.tag.index("}")] if isinstance(root.tag, str) else ""
    problem = stuf.functie_problem(sg.functie, namespace)
    if problem is not None:
        raise StufRefused("envelope", "functie_mismatch", problem)
    mt = messages.CATALOGUE.get((sg.functie or "").upper())
    if mt is None:
        return  # not a message the hub knows: the acceptance path refuses it (IB004)
    route = routing.route(xmlcodec.read_envelope(root))
    if route is not None and (sg.zender.organisatie, sg.ontvanger.organisatie) != (
        route.sender,
        route.receiver,
    ):
        # As the VECOZO door's metadata must agree with the header: the envelope names the
        # parties its message travels between, or the receipt and any Fo01 would name others.
        raise StufRefused("envelope", "party_mismatch", f"the envelope's zender/ontvanger "
                          f"{sg.zender.organisatie}/{sg.ontvanger.organisatie} are not its "
                          f"message's sender/receiver {route.sender}/{route.receiver}")  # fmt: skip
    du01 = stufcodes.parse_numbers(ctx.settings.ggk_du01_functies)
    wanted = stufcodes.berichtcode(mt, du01)
    if wanted != request.operation.berichtcode:
        raise StufRefused("envelope", "functie_mismatch", f"{mt.name} travels as a {wanted}, "
                          f"not as a {request.operation.berichtcode}")  # fmt: skip


def _fault(
    ctx: AdapterContext,
    request: StufRequest | None,
    hub: Systeem,
    error: str,
    reason: str,
    detail: str,
    *,
    server: bool = False,
    retry_after: str | None = None,
    envelope: bytes = b"",
) -> Response:
    """The SOAP Fault with a Fo03 for a refusal: its code from the node-code table and the
    operator's overrides (HUB_GGK_CODES); `retry_after` (seconds) in its details and as the
    answer's Retry-After; crossRefnummer the request's referentienummer, read from `envelope`
    where the request itself could not be (its schema, its certificate failed)."""
    overrides = stufcodes.parse_code_table(ctx.settings.ggk_codes)
    code = stufcodes.code_for(error, reason, overrides)
    sg = request.stuurgegevens if request is not None else None
    answer = stufwrite.answer_stuurgegevens("Fo03", sg, hub, str(uuid4()), ctx.runtime.clock())
    if sg is None and envelope:
        answer = replace(answer, cross=stuf.referentienummer_of(envelope))
    omschrijving = f"{error}/{reason}" if reason else error
    headers = None
    if retry_after is not None:
        detail = f"{detail[:900]} (resend after {retry_after} s)"
        headers = {"Retry-After": retry_after}
    body = stufwrite.fo03_fault(answer, code, omschrijving, detail, client=not server)
    log.info("GGk door: refused (%s %s)", code, omschrijving)
    return Response(body, status_code=500, media_type=_XML, headers=headers)
