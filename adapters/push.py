"""Push delivery at one adapter: POSTs each inbox message of a party with an endpoint to it,
signed, at least once, retried with a capped exponential backoff until HUB_PUSH_GIVE_UP_S.

A `Periodic` claims due pushes (hub/infra/store/push.py) as slots free up: at most
HUB_PUSH_CONCURRENCY at once and one per party, so a slow, redirecting or broken endpoint holds
one slot and never the other parties' pushes. What an answer means, the signature and when to
give up are decided in hub/domain/push.py. A push that succeeds marks the inbox item
downloaded (not acknowledged: the pull inbox keeps listing it until the party acknowledges);
one given up raises delivery.push-failed and stays in the pull inbox.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import ssl
import time
from dataclasses import dataclass, field

import httpx

from adapters import ggkpush
from adapters.context import AdapterContext
from hub.domain import events, push
from hub.domain.errors import ConfigError
from hub.infra import metrics, outbox, pushmetrics
from hub.infra.periodic import Backoff, Periodic
from hub.infra.store import ledger
from hub.infra.store import push as store
from hub.settings import Settings

log = logging.getLogger(__name__)

_USER_AGENT = "isd-hub-push/1"


def client_of(settings: Settings) -> httpx.AsyncClient:
    """The HTTP client of the pushes (and the GGk door's Fo01s): no redirects followed, the
    per-attempt timeout, the CAs of HUB_PUSH_CA_FILE (else the system's), the hub's client
    certificate HUB_PUSH_CLIENT_CERT_FILE when set (mTLS), no proxy from the environment."""
    verify: ssl.SSLContext | bool = True
    cert, key = settings.push_client_cert_file, settings.push_client_key_file
    if settings.push_ca_file is not None or cert is not None:
        ca = str(settings.push_ca_file) if settings.push_ca_file is not None else None
        verify = ssl.create_default_context(cafile=ca)
        if cert is not None:
            # The endpoint may ask for it (as a gemeente's SOAP endpoint does): it names the hub.
            verify.load_cert_chain(str(cert), str(key) if key is not None else None)
    return httpx.AsyncClient(
        verify=verify,
        follow_redirects=False,
        timeout=httpx.Timeout(settings.push_timeout_s),
        limits=httpx.Limits(max_connections=settings.push_concurrency),
        trust_env=False,
        headers={"User-Agent": _USER_AGENT},
    )


@dataclass
class PushLoop:
    """The push loop of one adapter (one of its background loops)."""

    ctx: AdapterContext
    periodic: Periodic = field(init=False)
    in_flight: dict[str, asyncio.Task[None]] = field(default_factory=dict)  # party -> its push
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _client: httpx.AsyncClient | None = None
    _gauged: float = float("-inf")  # when the pending gauge was last refreshed (monotonic)

    def __post_init__(self) -> None:
        settings = self.ctx.settings
        self.retry_backoff = Backoff(settings.push_retry_first_s, settings.push_retry_max_s)
        self.periodic = Periodic(
            "push",
            self.step,
            settings.push_interval_s,
            failure="push claim failed; will retry",
            log=log,
            wait=self._wait,
        )

    def stop(self) -> None:
        self.periodic.stop()

    async def run(self) -> None:
        self._client = client_of(self.ctx.settings)
        try:
            await self.periodic.run()
        finally:
            # A push under way is dropped: its row's lease ends and it is claimed again.
            for task in self.in_flight.values():
                task.cancel()
            await asyncio.gather(*self.in_flight.values(), return_exceptions=True)
            await self._client.aclose()

    async def step(self) -> None:
        """Refresh the gauge, then start as many due pushes as there are free slots."""
        settings, node, pool = self.ctx.settings, self.ctx.node, self.ctx.runtime.pool
        # The gauge once an interval, not on every wake (a busy adapter wakes per push).
        if time.monotonic() - self._gauged >= settings.push_interval_s:
            count, oldest_s = await store.pending(pool, node)
            pushmetrics.pending(node, count, oldest_s)
            self._gauged = time.monotonic()
        slots = settings.push_concurrency - len(self.in_flight)
        jobs = await store.claim(pool, node, list(self.in_flight), slots, settings.push_timeout_s)
        for job in jobs:
            task = asyncio.create_task(self._push(job), name=f"push-{job.delivery_id}")
            self.in_flight[job.party] = task
            task.add_done_callback(functools.partial(self._done, job.party))

    def _done(self, party: str, _: asyncio.Task[None]) -> None:
        self.in_flight.pop(party, None)
        self._wake.set()  # a slot is free: claim again now, not at the next interval

    async def _wait(self, stop: asyncio.Event, seconds: float) -> None:
        """Periodic's pause, cut short by `stop` or by a push that finished."""
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
            self._wake.clear()

    async def _push(self, job: store.Job) -> None:
        node = self.ctx.node
        try:
            answer = await self.attempt(job)
            pushmetrics.attempted(node, answer)
            if answer.delivered:
                await self._delivered(job)
            else:
                await self._failed_attempt(job, answer)
        except asyncio.CancelledError:
            raise
        # blind: the bookkeeping of one push failed (database away, a bug): logged and left,
        # its lease ends and it is pushed again (at least once); other pushes go on
        except Exception:
            metrics.FAILURES.labels("push").inc()
            log.exception("push %s: bookkeeping failed; it will be tried again", job.delivery_id)

    async def attempt(self, job: store.Job) -> push.Answer:
        """One POST of `job`; what it came to (never raises for what the endpoint does)."""
        if job.purged:
            return push.Answer(False, "purged")
        if job.kind == "ggk-soap":  # in a StUF-GGk envelope, until a Bv03 (issue #21)
            assert self._client is not None
            return await ggkpush.attempt(self.ctx, self._client, job)
        settings = self.ctx.settings
        try:
            secret = store.unseal(
                settings.person_key_secret.get_secret_value(), job.party, job.secret_sealed
            )
        except ConfigError as exc:
            # A failed attempt like any other (retried, given up at HUB_PUSH_GIVE_UP_S), said
            # once per push, not on every lease: only the operator can mend it.
            if job.last_error != "secret":
                log.error("push %s: %s", job.message_id, exc)
            return push.Answer(False, "secret")
        headers = {
            "Content-Type": "application/xml",
            push.SIGNATURE_HEADER: push.sign(secret, job.payload, int(time.time())),
            push.MESSAGE_ID_HEADER: str(job.message_id),
            push.ATTEMPT_HEADER: str(job.attempt),
        }
        if job.bericht_code:
            headers[push.BERICHT_CODE_HEADER] = job.bericht_code
        assert self._client is not None
        try:
            # One deadline for the whole attempt: httpx's timeout is per read, so an endpoint
            # that trickles its answer byte by byte would otherwise hold the slot for ever.
            async with asyncio.timeout(settings.push_timeout_s):
                request = self._client.stream("POST", job.url, content=job.payload, headers=headers)
                async with request as response:
                    return push.answer_of(response.status_code)  # its body is never read
        except TimeoutError:
            return push.Answer(False, "timeout")
        except httpx.TimeoutException:
            return push.Answer(False, "timeout")
        except httpx.ConnectError as exc:
            return push.Answer(False, "tls" if _is_tls(exc) else "connect")
        except httpx.HTTPError:
            return push.Answer(False, "protocol")  # garbage, a reset, an unreadable answer

    async def _delivered(self, job: store.Job) -> None:
        """Mark it delivered and downloaded; the first download raises message.downloaded."""
        ctx = self.ctx
        async with ctx.runtime.pool.acquire() as conn, conn.transaction():
            first = await store.delivered(conn, job.delivery_id)
            rows = await ledger.event_rows(conn, [job.message_id]) if first else {}
            if job.message_id in rows:
                data = {"node": ctx.node, "by": job.party}
                record = events.to_outbox(
                    ctx.events_topic, "message.downloaded", rows[job.message_id], data
                )
                await outbox.add(conn, [record])
        ctx.runtime.wake_relay()
        pushmetrics.finished(ctx.node, delivered=True)

    async def _failed_attempt(self, job: store.Job, answer: push.Answer) -> None:
        """Retry after the backoff, or give up: failed, delivery.push-failed, pull inbox."""
        ctx, settings = self.ctx, self.ctx.settings
        pause = self.retry_backoff.after(job.attempt)
        again = push.retry_in(answer, job.age_s, pause, settings.push_give_up_s)
        if again is not None:
            await store.retry(ctx.runtime.pool, job.delivery_id, again, answer.text)
            return
        async with ctx.runtime.pool.acquire() as conn, conn.transaction():
            if not await store.failed(conn, job.delivery_id, answer.text):
                return
            rows = await ledger.event_rows(conn, [job.message_id])
            if job.message_id in rows:
                data = {
                    "node": ctx.node,
                    "inbox": job.party,
                    "attempts": job.attempt,
                    "reason": answer.reason,
                    "status": answer.status,
                    "queued_at": job.created_at,
                }
                record = events.to_outbox(
                    ctx.events_topic, "delivery.push-failed", rows[job.message_id], data
                )
                await outbox.add(conn, [record])
        ctx.runtime.wake_relay()
        pushmetrics.finished(ctx.node, delivered=False)
        log.warning(
            "push %s to party %s given up after %d attempt(s) (%s); it stays in the pull inbox",
            job.message_id,
            job.party,
            job.attempt,
            answer.text,
        )


def _is_tls(exc: BaseException) -> bool:
    """Whether a connect error was the TLS handshake (an untrusted or wrong certificate)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
