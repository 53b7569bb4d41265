"""The upload endpoint: what a party's message goes through before it is produced to ingress."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Final
from uuid import UUID, uuid4, uuid5

from fastapi import FastAPI, HTTPException, Request
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from pydantic import BaseModel

from adapters import docs, jsonbody
from adapters.auth import check_rights, check_sender, parties_named
from adapters.body import read_capped
from adapters.context import AdapterContext
from adapters.refusal import refuse
from hub.domain import freeze, routing
from hub.domain.findings import Finding
from hub.domain.headers import H
from hub.domain.messages import MessageType
from hub.domain.parties import Party
from hub.domain.privacy import client_person_key
from hub.domain.validation import Outcome, Verdict
from hub.infra import metrics, telemetry
from hub.infra.store import journal

log = logging.getLogger(__name__)

UPLOAD_PATH: Final = "/v1/messages"
IDEMPOTENCY_HEADER: Final = "Idempotency-Key"
_IDEMPOTENCY_KEY: Final = re.compile(r"[\x21-\x7e]{1,128}")
# Upload ids of keyed uploads are derived from (node, party, key): a retried upload gets the
# id of its first attempt, which the core deduplicates, whatever happened in between.
_IDEMPOTENCY_NS: Final = UUID("0c5f2a55-8f0e-4d43-9a7e-3a4be1d39f61")


class Accepted(BaseModel):
    id: UUID
    received_at: datetime
    status: str = "accepted"


def install(app: FastAPI, ctx: AdapterContext) -> None:
    """Add the upload route to the adapter's app; the work is in `take`, readable alone."""

    @app.post(
        UPLOAD_PATH,
        status_code=202,
        response_model=Accepted,
        responses={**docs.REFUSALS, **docs.FREEZE_REFUSALS, **docs.UPLOAD_REFUSALS},
        openapi_extra=jsonbody.with_json_body(docs.upload_openapi()),
    )
    async def upload(request: Request, caller: Party = ctx.authenticated) -> Accepted:
        """Upload one message (raw XML, or its JSON view as application/json: docs/json.md).
        Refused at once when unreadable, or when its sending party is neither you nor a party
        you may submit for.

        With an `Idempotency-Key` header (1-128 visible ASCII characters, unique per upload
        of yours) a retried upload gets the id of the first attempt and is taken once."""
        return await take(ctx, request, caller)

    _ = upload  # registered by the decorator


async def take(ctx: AdapterContext, request: Request, caller: Party) -> Accepted:
    """One upload, in its span, counted as accepted or refused (the refusal raised as is)."""
    idempotency = request.headers.get(IDEMPOTENCY_HEADER)
    message_id = upload_id(ctx, caller, idempotency)
    settings = ctx.settings

    async def body() -> bytes:
        # A JSON upload becomes its XML message here (or is refused), then goes the XML path.
        raw = await read_capped(request, settings.upload_body_timeout_s)
        return jsonbody.upload_xml(ctx.runtime.packs, request, raw)

    return await judge(ctx, caller, message_id, idempotency, body)


def upload_id(
    ctx: AdapterContext, caller: Party, idempotency: str | None, member: str = ""
) -> UUID:
    """A fresh id, or one derived from the Idempotency-Key (and a ZIP member's name: the key
    never holds a space, so `key member` is never another upload's key); a bad key refused."""
    if idempotency is None:
        return uuid4()
    if not _IDEMPOTENCY_KEY.fullmatch(idempotency):
        refuse(400, "invalid", "idempotency_key", "Idempotency-Key must be 1-128 visible "
               "ASCII characters")  # fmt: skip
    keyed = f"{idempotency} {member}" if member else idempotency
    return uuid5(_IDEMPOTENCY_NS, f"{ctx.node}/{caller.code}/{keyed}")


async def judge(
    ctx: AdapterContext,
    caller: Party,
    message_id: UUID,
    idempotency: str | None,
    body: Callable[[], Awaitable[bytes]],
) -> Accepted:
    """One message (a single upload's body, or one member of a ZIP) through `accept`, in its
    span, counted as accepted or refused (the refusal raised as is)."""
    node = ctx.node
    seen: list[Verdict] = []
    with telemetry.span(
        "upload",
        kind=SpanKind.SERVER,
        attributes=telemetry.message_attributes(message_id=message_id, node=node),
        root_of=message_id,
    ) as span:
        try:
            accepted = await accept(ctx, body, caller, message_id, seen, idempotency)
        except HTTPException:
            kind = seen[0].message_type if seen else None
            metrics.count("upload", "refused", message_type_=kind.name if kind else None, node=node)
            span.set_attribute(telemetry.A_VERDICT, "refused")
            raise
        span.set_attribute(telemetry.A_VERDICT, "accepted")
        return accepted


async def accept(
    ctx: AdapterContext,
    body: Callable[[], Awaitable[bytes]],
    caller: Party,
    message_id: UUID,
    seen: list[Verdict],
    idempotency: str | None,
) -> Accepted:
    """Read, check and produce one upload to ingress; `seen` gets its verdict once known."""
    runtime, settings, node = ctx.runtime, ctx.settings, ctx.node
    party = caller.code
    payload = await body()
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
    route = routing.route(envelope)
    # One registry read for both checks (a round trip less per upload: docs/scale.md).
    registered = await parties_named(
        runtime.pool, caller, envelope.ontvanger, *((route.sender, route.receiver) if route else ())
    )
    if mt is not None:
        _check_receiver(caller, mt, envelope.ontvanger, registered)
    check_rights(caller, route, registered)  # standards per party
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
    key = client_person_key(verdict.root, ctx.secret) or party
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
    await runtime.broker.publish(payload, ctx.ingress, key=key.encode(), headers=headers)
    metrics.count("upload", "accepted", message_type_=mt.name if mt else None, node=node)
    return Accepted(id=message_id, received_at=received_at, status=status)


def _check_receiver(
    caller: Party, mt: MessageType, receiver: str | None, known: Mapping[str, Party]
) -> None:
    """A heenbericht goes to a registered party of the kind and node its type needs: anything
    else is refused (422), never delivered into an inbox nobody opens (the core dead-letters
    one that is produced to ingress some other way)."""
    if not mt.is_heen:
        return
    party = known.get(receiver) if receiver else None
    problem = routing.receiver_problem(mt, receiver, party)
    if problem is not None:
        # Party codes only (no personal data), as adapters/auth.py logs its refusals.
        log.info("refused party %s: %s (%s %s to %s)", caller.code, problem.reason, mt.name,
                 problem.field, problem.value)  # fmt: skip
        refuse(422, "invalid", problem.reason, problem.sentence, field=problem.field,
               value=problem.value)  # fmt: skip


def _finding(f: Finding) -> dict[str, object]:
    return {"rule": f.rule, "level": int(f.level.value), "location": f.location,
            "sentence": f.sentence}  # fmt: skip


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
