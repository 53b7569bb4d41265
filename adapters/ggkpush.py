"""One push attempt to a GGk-style SOAP endpoint (push_endpoint.kind 'ggk-soap', issue #21).

The message goes in a ggk_Di01 (heenbericht) or ggk_Du01 (retour) envelope, delivered only when
the endpoint answers a Bv03; a Fo03, a SOAP Fault or any other answer is a failed attempt,
retried and given up like every push (adapters/push.py).

Like every push it is signed (X-Hub-Signature over the SOAP request, with the endpoint's secret
from `hub party push set --kind ggk-soap`) and sent with the hub's client certificate
(HUB_PUSH_CLIENT_CERT_FILE, adapters/push.py `client_of`), so the endpoint can tell the hub.

Each envelope keeps one referentienummer across its retries (hub/infra/store/ggk_envelopes.py);
a Du01's crossRefnummer is the referentienummer of the Di01 the heenbericht it answers travelled
in: the sender's own when it came through the GGk door, else the one the hub gave it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Final
from uuid import UUID, uuid4

import httpx

from adapters.context import AdapterContext
from hub.domain import messages, push, routing, stuf, stufcodes, stufwrite, xmlcodec
from hub.domain.errors import ConfigError
from hub.domain.stuf import Stuurgegevens, Systeem
from hub.infra.store import ggk_envelopes
from hub.infra.store import push as store

log = logging.getLogger(__name__)

_ANSWER_MAX: Final = 1024 * 1024  # a Bv03 or Fo03 is a few hundred bytes


class _NoEnvelope(Exception):
    """The message cannot travel in an envelope (not an iStandaarden message the hub knows)."""


async def attempt(ctx: AdapterContext, client: httpx.AsyncClient, job: store.Job) -> push.Answer:
    """POST the job's envelope; delivered on a Bv03 (never raises for what the endpoint does)."""
    try:
        sg, body = await envelope_of(ctx, job)
    except _NoEnvelope as exc:
        log.error("push %s: %s; it stays in the pull inbox", job.message_id, exc)
        return push.Answer(False, "gone")  # retrying cannot help: given up at once
    operation = stuf.DU01 if sg.berichtcode == "Du01" else stuf.DI01
    signature = signature_of(ctx, job.party, job.secret_sealed, body, job.last_error)
    if signature is None:
        return push.Answer(False, "secret")
    headers = {
        "Content-Type": "text/xml; charset=utf-8",
        "SOAPAction": f'"{operation.action}"',
        push.SIGNATURE_HEADER: signature,
        push.MESSAGE_ID_HEADER: str(job.message_id),
        push.ATTEMPT_HEADER: str(job.attempt),
    }
    try:
        async with asyncio.timeout(ctx.settings.push_timeout_s):
            request = client.stream("POST", job.url, content=body, headers=headers)
            async with request as response:
                answer = push.answer_of(response.status_code)
                if not answer.delivered:
                    return answer  # a SOAP Fault comes with 500: a failed attempt
                text = await _read(response)
    except TimeoutError:
        return push.Answer(False, "timeout")
    except httpx.TimeoutException:
        return push.Answer(False, "timeout")
    except httpx.ConnectError:
        return push.Answer(False, "connect")
    except httpx.HTTPError:
        return push.Answer(False, "protocol")
    kind, value = stuf.answer_of(text)
    if kind == "Bv03" and value == sg.referentienummer:
        return push.Answer(True, status=response.status_code)
    log.warning("push %s to %s: answered %s (%s), not a Bv03 for %s", job.message_id,
                job.party, kind, value, sg.referentienummer)  # fmt: skip
    return push.Answer(False, "protocol", response.status_code)


def signature_of(
    ctx: AdapterContext, party: str, sealed: bytes, body: bytes, last_error: str | None
) -> str | None:
    """The X-Hub-Signature of a SOAP request to `party`'s endpoint, as every push is signed;
    None when its secret cannot be unsealed (HUB_PERSON_KEY_SECRET changed): a failed attempt,
    said once per push (`last_error` 'secret' already), mended by the operator."""
    master = ctx.settings.person_key_secret.get_secret_value()
    try:
        secret = store.unseal(master, party, sealed)
    except ConfigError as exc:
        if last_error != "secret":
            log.error("SOAP push to %s: %s", party, exc)
        return None
    return push.sign(secret, body, int(time.time()))


async def _read(response: httpx.Response) -> bytes:
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > _ANSWER_MAX:
            break
        chunks.append(chunk)
    return b"".join(chunks)


async def envelope_of(ctx: AdapterContext, job: store.Job) -> tuple[Stuurgegevens, bytes]:
    """The stuurgegevens and the SOAP request of the job's message."""
    try:
        root = xmlcodec.parse_message(job.payload)
    except xmlcodec.XmlRejected as exc:
        raise _NoEnvelope(f"its payload cannot be read ({exc.reason.value})") from None
    envelope = xmlcodec.read_envelope(root)
    mt = messages.CATALOGUE.get(envelope.message_name or "")
    if mt is None:
        raise _NoEnvelope("not a message kind the hub knows")
    pool, settings = ctx.runtime.pool, ctx.settings
    code = stufcodes.berichtcode(mt, stufcodes.parse_numbers(settings.ggk_du01_functies))
    reference = await ggk_envelopes.reference(
        pool, job.message_id, "out", job.party, code, str(uuid4())
    )
    cross = None
    if code == "Du01":
        cross = await _cross_reference(ctx, job, reference)
    applicatie = settings.ggk_applicatie
    sg = Stuurgegevens(
        berichtcode=code,
        zender=Systeem(routing.sender_of(envelope) or "onbekend", applicatie),
        ontvanger=Systeem(job.party, applicatie),
        referentienummer=reference,
        tijdstip=stufwrite.tijdstip(ctx.runtime.clock()),
        cross=cross,
        functie=mt.name,
    )
    return sg, stufwrite.envelope(sg, job.payload)


async def _cross_reference(ctx: AdapterContext, job: store.Job, own: str) -> str:
    """The referentienummer of the Di01 of the heenbericht this retour answers: the sender's
    own (through the GGk door), or the one the hub gave it (recorded now if it had none).
    A retour whose heenbericht the ledger does not link names its own referentienummer."""
    pool = ctx.runtime.pool
    found = await ggk_envelopes.outgoing(pool, job.message_id)
    heen: UUID | None = found.answers if found else None
    if heen is None:
        return own
    known = await ggk_envelopes.heen_reference(pool, heen)
    if known is not None:
        return known
    return await ggk_envelopes.reference(pool, heen, "out", job.party, "Di01", str(uuid4()))
