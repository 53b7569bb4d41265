"""The outbox relay: what the core must send is written with its ledger rows (see
hub.infra.store.outbox), and this relay publishes it to Kafka afterwards, so a crash at any point
neither loses nor invents a message."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from aiokafka import AIOKafkaProducer
from opentelemetry.trace import Span, SpanKind

from hub.domain import topics
from hub.domain.headers import H
from hub.domain.messages import Node
from hub.domain.records import OutboxMessage
from hub.infra import metrics, telemetry
from hub.infra.kafka import security
from hub.infra.kafka.recordbatch import send_records
from hub.infra.periodic import BACKOFF
from hub.infra.store import outbox as table
from hub.infra.store import recovery
from hub.infra.store.base import Pool
from hub.infra.store.outbox import add, backlog
from hub.settings import Settings

__all__ = ["OutboxMessage", "Relay", "add", "backlog", "egress_recovery", "make_producer"]

log = logging.getLogger(__name__)

RECOVERY_ROLE: Final = "relay"


def make_producer(settings: Settings, bootstrap: str) -> AIOKafkaProducer:
    """The relay's own producer: batching, no auto-created topics, every replica acks.

    The relay sends thousands of rows a second; it talks to aiokafka directly rather than
    through FastStream's per-message publish path, which costs more than the send itself.
    """
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id="isd-hub-outbox-relay",
        acks="all",
        linger_ms=settings.producer_linger_ms,
        max_batch_size=settings.producer_batch_bytes,
        max_request_size=32 * 1024 * 1024,
        metadata_max_age_ms=settings.metadata_max_age_ms,
        enable_idempotence=False,  # tansu refuses it; the ledger and inbox deduplicate
        **security.client_kwargs(settings),
    )


@dataclass
class Relay:
    """Publishes the outbox. Two paths, one loop:

    - direct: the core hands over (`offer`) what it queued, right after its commit, and the
      relay sends it from memory, then deletes the rows. The rows were written with a hold,
      so no relay's claim takes them meanwhile; nothing is read back from PostgreSQL.
    - claim: rows nobody is publishing (written by the adapters and the watches, by a core
      that died before its direct publish finished, or held past their hold) are claimed in
      id order and deleted in the transaction that waits for Kafka to have them.

    When a direct publish fails the relay turns "degraded": it leaves what it is offered to
    the claim, which then also takes held rows, so everything goes out in id order until the
    outbox is drained. A row sent twice on the way is absorbed by every consumer.
    """

    pool: Pool
    producer: Any  # AIOKafkaProducer (untyped library)
    batch: int = 2000
    idle_poll_s: float = 0.25
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    published: int = 0
    _stopping: bool = False
    _offered: list[tuple[Sequence[int], Sequence[OutboxMessage]]] = field(default_factory=list)
    _degraded: bool = False
    _claim_due: bool = True  # claim at the first turn: rows may be waiting from before
    _claimed_at: float = 0.0

    def stop(self) -> None:
        self._stopping = True
        self.wake.set()

    def want_claim(self) -> None:
        """Rows were written for the claim (by a watch, a recovery): claim at the next turn
        instead of at the next poll."""
        self._claim_due = True
        self.wake.set()

    def offer(self, ids: Sequence[int], messages: Sequence[OutboxMessage]) -> None:
        """Publish these committed rows now (the caller wrote them with a hold)."""
        if ids:
            self._offered.append((ids, messages))
            self.wake.set()

    async def run(self) -> None:
        while not self._stopping:
            try:
                sent = await self.publish_offered()
                # The claim costs a query: it runs when asked (want_claim), while degraded,
                # right after a claim that found rows (a backlog drains at full speed), and
                # otherwise once per poll interval, not after every direct publish.
                now = time.monotonic()
                if self._claim_due or self._degraded or now - self._claimed_at >= self.idle_poll_s:
                    self._claim_due = False
                    self._claimed_at = now
                    claimed = await self.relay_once()
                    sent += claimed
                    self._claim_due = claimed > 0
                    if claimed == 0:
                        self._degraded = False
            except asyncio.CancelledError:
                raise
            # blind: the relay tries again whatever a turn raised: what disposition() retries,
            # and a bug or a STOP too (a loop that runs unattended cannot stop its process, and
            # the rows stay in the outbox meanwhile)
            except Exception:
                metrics.FAILURES.labels("relay").inc()
                log.exception("outbox relay failed; retrying")
                self._degraded = True
                # A fixed pause, not a Periodic's backoff: the relay is woken by commits, not
                # paced by a clock, and a publish that failed is retried as soon as it may.
                await asyncio.sleep(BACKOFF["relay"].first_s)
                continue
            if sent == 0 and not self._offered:
                self.wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), self.idle_poll_s)

    async def publish_offered(self) -> int:
        """The direct path: send what was offered, then forget its rows."""
        offered, self._offered = self._offered, []
        if not offered or self._degraded:
            return 0  # degraded: the claim takes these rows, in order with the rest
        ids = [i for batch, _ in offered for i in batch]
        messages = [m for _, batch in offered for m in batch]
        await self._send(messages)
        async with self.pool.acquire() as conn:
            await table.forget(conn, ids)
        return len(messages)

    async def relay_once(self) -> int:
        """The claim path: one batch of rows nobody else is publishing."""
        async with self.pool.acquire() as conn, conn.transaction():
            messages = await table.claim(conn, self.batch, held_too=self._degraded)
            if not messages:
                return 0
            await self._send(messages)
        return len(messages)

    async def _send(self, messages: Sequence[OutboxMessage]) -> None:
        spans, headers = _trace(messages)
        try:
            # Queue every record (one batch per partition), then wait for Kafka to have all.
            futures = await send_records(
                self.producer,
                (
                    (m.topic, m.key, m.payload, [(k, v.encode()) for k, v in h.items()])
                    for m, h in zip(messages, headers, strict=True)
                ),
            )
            # Every batch settles before the outcome is judged, and each failure is read, so
            # a failed publish leaves no unread future behind (asyncio would log each one).
            results = await asyncio.gather(*futures, return_exceptions=True)
            failed = next((r for r in results if isinstance(r, BaseException)), None)
            if failed is not None:
                raise failed
        except BaseException as exc:  # blind: every way out ends the spans, failed; raised again
            for s in spans:
                telemetry.fail(s, exc)
                s.end()
            raise
        self.published += len(messages)
        _observe(messages, spans)


def egress_recovery(
    pool: Callable[[], Pool], settings: Settings, wake: Callable[[], None]
) -> Callable[[int], Awaitable[int]]:
    """The relay's part after the broker lost its data (hub.infra.kafka.brokerwatch): queue
    again the
    egress no inbox has, once per broker epoch whichever relay does it, atomically with the
    mark that it was done."""
    egress = {node.value: topics.egress_name(settings, node) for node in Node}

    async def recover(epoch: int) -> int:
        async with pool().acquire() as conn, conn.transaction():
            if not await recovery.claim(conn, RECOVERY_ROLE, epoch):
                return 0
            queued = await table.requeue_undelivered(conn, egress)
        wake()
        return queued

    return recover


def _trace(messages: Sequence[OutboxMessage]) -> tuple[list[Span], list[dict[str, str]]]:
    """A producer span per row that carries a trace (egress), child of the core's span, whose
    traceparent replaces the row's so the adapter's delivery continues the message's trace."""
    if not telemetry.enabled():
        return [], [m.headers for m in messages]
    spans: list[Span] = []
    headers: list[dict[str, str]] = []
    for m in messages:
        if "traceparent" not in m.headers:
            headers.append(m.headers)
            continue
        span = telemetry.start(
            telemetry.messaging_span_name("send", m.topic),
            telemetry.extract(m.headers),
            kind=SpanKind.PRODUCER,
            attributes={
                # The partition is the producer's choice (by key), unknown when the span starts.
                **telemetry.messaging_attributes(
                    "send", m.topic, message_id=m.headers.get(H.MESSAGE_ID.value)
                ),
                **telemetry.message_attributes(
                    message_type=m.headers.get(H.MESSAGE_TYPE.value),
                    node=m.headers.get(H.NODE.value),
                    receiver=m.headers.get(H.RECEIVER.value),
                ),
            },
        )
        h = {k: v for k, v in m.headers.items() if k not in ("traceparent", "tracestate")}
        telemetry.inject(span, h)
        spans.append(span)
        headers.append(h)
    return spans, headers


def _observe(messages: Sequence[OutboxMessage], spans: Sequence[Span]) -> None:
    now = time.time()
    kinds = Counter(metrics.topic_kind(m.topic) for m in messages)
    for kind, n in kinds.items():
        metrics.OUTBOX_PUBLISHED.labels(kind).inc(n)
    for m in messages:
        if H.RECEIVER.value in m.headers:
            metrics.EGRESS_CLOCK.stop(m.headers.get(H.MESSAGE_ID.value, ""), now)
    for s in spans:
        s.end()
