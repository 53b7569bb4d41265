"""The asynchronous Fo01 loop of the GGk door: reports a message the core set aside without a
retour (a dead letter) to its sender's GGk SOAP endpoint, retried until a Bv03 (issue #21).

Migration 0027's trigger queues one Fo01 per dead-lettered message that came in through the
door (hub/infra/store/ggk_fo01.py), in the transaction that records the dead letter, so nothing
has to consume the event stream. The Fo01's crossRefnummer is the envelope's referentienummer,
its code from the code table (`dead_letter/<error>` in HUB_GGK_CODES, else the upload refusal
`invalid/<error>`'s, else HUB000), its omschrijving the dead letter's stage and error codes
(never its reason: free text). Retries and giving up follow the push settings
(HUB_PUSH_RETRY_*, HUB_PUSH_GIVE_UP_S); like a push it is signed (X-Hub-Signature) and sent with
the hub's client certificate (adapters/push.py `client_of`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Final
from uuid import UUID, uuid5

import httpx

from adapters.context import AdapterContext
from adapters.ggkpush import signature_of
from adapters.push import client_of
from hub.domain import push, stuf, stufcodes, stufwrite
from hub.domain.stuf import Stuurgegevens, Systeem
from hub.infra import metrics
from hub.infra.periodic import Backoff, Periodic
from hub.infra.store import ggk_fo01 as store

log = logging.getLogger(__name__)

_NS: Final = UUID("0f7c7a4e-5b0e-4f53-9d3c-2e1f6b8a9c41")  # Fo01 referentienummers


def reference_of(job: store.Fo01Job) -> str:
    """The Fo01's referentienummer: one per message across every retry (as an envelope keeps
    its own), so the receiver can tell a resend; a version-4 UUID in form, as StUF-GGk's are,
    derived from the message id rather than stored."""
    return str(UUID(bytes=uuid5(_NS, str(job.message_id)).bytes, version=4))


def fo01_of(ctx: AdapterContext, job: store.Fo01Job) -> bytes:
    """The SOAP request of one Fo01."""
    applicatie = ctx.settings.ggk_applicatie
    sg = Stuurgegevens(
        berichtcode="Fo01",
        zender=Systeem(None, applicatie),
        ontvanger=Systeem(job.party, applicatie),
        referentienummer=reference_of(job),
        tijdstip=stufwrite.tijdstip(ctx.runtime.clock()),
        cross=job.referentienummer,
    )
    overrides = stufcodes.parse_code_table(ctx.settings.ggk_codes)
    error = job.error.replace("-", "_")
    code = stufcodes.code_for("dead_letter", error, overrides)
    if code == stufcodes.NO_CODE:
        # The core's routing errors are the adapter's refusal reasons (unknown-gemeente is
        # invalid/unknown_gemeente at the upload): the same code, where one fits.
        code = stufcodes.code_for("invalid", error, overrides)
    text = f"set aside by the hub without a retour ({job.stage}: {job.error})"
    return stufwrite.fo01(sg, code, text, None)


@dataclass
class Fo01Loop:
    """Sends the due Fo01s, a few at a time (they are rare), one attempt each per step."""

    ctx: AdapterContext
    periodic: Periodic = field(init=False)
    _client: httpx.AsyncClient | None = None

    def __post_init__(self) -> None:
        settings = self.ctx.settings
        self.retry_backoff = Backoff(settings.push_retry_first_s, settings.push_retry_max_s)
        self.periodic = Periodic(
            "push",  # the same flow as the pushes in isdhub_failures
            self.step,
            settings.push_interval_s,
            failure="Fo01 claim failed; will retry",
            log=log,
            backoff=Backoff(1.0, 30.0),
        )

    def stop(self) -> None:
        self.periodic.stop()

    async def run(self) -> None:
        self._client = client_of(self.ctx.settings)
        try:
            await self.periodic.run()
        finally:
            await self._client.aclose()

    async def step(self) -> None:
        settings, pool = self.ctx.settings, self.ctx.runtime.pool
        jobs = await store.claim(pool, settings.push_concurrency, settings.push_timeout_s)
        for job in jobs:
            answer = await self.attempt(job)
            if answer.delivered:
                await store.done(pool, job.message_id, "delivered", None)
                continue
            pause = self.retry_backoff.after(job.attempt)
            again = push.retry_in(answer, job.age_s, pause, settings.push_give_up_s)
            if again is not None:
                await store.retry(pool, job.message_id, again, answer.text)
                continue
            await store.done(pool, job.message_id, "failed", answer.text)
            metrics.FAILURES.labels("push").inc()
            log.warning("Fo01 about %s to %s given up after %d attempt(s) (%s)",
                        job.message_id, job.party, job.attempt, answer.text)  # fmt: skip

    async def attempt(self, job: store.Fo01Job) -> push.Answer:
        """One POST; delivered on a Bv03 (never raises for what the endpoint does)."""
        assert self._client is not None
        body = fo01_of(self.ctx, job)
        signature = signature_of(self.ctx, job.party, job.secret_sealed, body, job.last_error)
        if signature is None:
            return push.Answer(False, "secret")
        headers = {
            "Content-Type": "text/xml; charset=utf-8",
            "SOAPAction": f'"{stuf.FO01.action}"',
            push.SIGNATURE_HEADER: signature,
        }
        try:
            response = await self._client.post(job.url, content=body, headers=headers)
        except httpx.TimeoutException:
            return push.Answer(False, "timeout")
        except httpx.ConnectError:
            return push.Answer(False, "connect")
        except httpx.HTTPError:
            return push.Answer(False, "protocol")
        answer = push.answer_of(response.status_code)
        receipt = stuf.answer_of(response.content[: 1024 * 1024])
        if answer.delivered and receipt != ("Bv03", reference_of(job)):
            return push.Answer(False, "protocol", response.status_code)  # not a Bv03 for it
        return answer
