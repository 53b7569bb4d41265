"""The egress consumer of one node: it fills the parties' inboxes from the node's egress topic."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka.annotations import KafkaMessage
from opentelemetry.trace import Span, SpanKind

from adapters.context import AdapterContext
from hub.domain import events, topics
from hub.domain.headers import H
from hub.infra import metrics, outbox, store, telemetry
from hub.infra.periodic import BACKOFF
from hub.infra.store import ledger

log = logging.getLogger(__name__)


def subscribe(ctx: AdapterContext) -> None:
    """Register this node's egress consumer on the runtime's broker (started with the app)."""
    settings = ctx.settings

    @ctx.runtime.broker.subscriber(
        topics.egress_name(settings, ctx.adapter.node),
        group_id=ctx.group,
        batch=True,
        max_records=settings.batch_max_records,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
        fetch_min_bytes=settings.fetch_min_bytes,
        session_timeout_ms=settings.consumer_session_timeout_ms,
        heartbeat_interval_ms=settings.consumer_heartbeat_ms,
        # Commit only once the inbox has the batch; the inbox ignores redelivered pairs.
        ack_policy=AckPolicy.NACK_ON_ERROR,
    )
    async def deliver(body: list[bytes], msg: KafkaMessage) -> None:
        # No docstring: FastStream would show it as the subscriber's AsyncAPI description.
        records = msg.raw_message if isinstance(msg.raw_message, tuple) else (msg.raw_message,)
        await fill(ctx, records)

    _ = deliver  # registered by the decorator


async def fill(ctx: AdapterContext, records: Sequence[ConsumerRecord[Any, Any]]) -> None:
    """Put one batch of egress records into the inboxes, each in its message's trace.

    Raised after a back-off when the inbox write fails, so the batch is redelivered."""
    node, runtime = ctx.node, ctx.runtime
    items: list[tuple[UUID, str]] = []
    kinds: dict[UUID, str] = {}
    spans: list[Span] = []
    for record in records:
        headers = {k: bytes(v).decode() for k, v in record.headers or ()}
        try:
            items.append((UUID(headers[H.MESSAGE_ID.value]), headers[H.RECEIVER.value]))
        except (KeyError, ValueError):
            log.error("egress record %s/%s lacks hub headers", record.partition, record.offset)
            continue
        kinds[items[-1][0]] = headers.get(H.MESSAGE_TYPE.value, "")
        if telemetry.enabled():
            spans.append(
                _delivery_span(
                    headers,
                    items[-1][0],
                    node,
                    topic=record.topic,
                    partition=record.partition,
                    offset=record.offset,
                    group=ctx.group,
                )
            )
    try:
        async with runtime.pool.acquire() as conn, conn.transaction():
            fresh = await store.deliver(conn, node, items)
            rows = await ledger.event_rows(conn, [m for m, _ in fresh])
            await outbox.add(
                conn,
                [
                    events.to_outbox(
                        ctx.events_topic, "message.delivered", rows[m], {"node": node, "inbox": p}
                    )
                    for m, p in fresh
                    if m in rows
                ],
            )
        runtime.wake_relay()
    # blind: counted, its spans ended, and raised again: the batch is redelivered whatever
    # disposition() says (the inbox write is I/O, no message of the batch is to blame)
    except Exception as exc:
        metrics.FAILURES.labels("delivery").inc()
        for span in spans:
            telemetry.fail(span, exc)
            span.end()
        log.exception("inbox write of %d failed; the batch will be redelivered", len(items))
        await asyncio.sleep(BACKOFF["delivery"].first_s)
        raise
    new = {m for m, _ in fresh}
    for m, _ in items:
        outcome = "delivered" if m in new else "duplicate"
        kind = kinds.get(m)
        metrics.count("delivery", outcome, message_type_=kind, node=node)
    for span in spans:
        span.end()


def _delivery_span(
    headers: dict[str, str],
    message_id: UUID,
    node: str,
    *,
    topic: str,
    partition: int,
    offset: int,
    group: str,
) -> Span:
    """The delivery of one egress record into an inbox, in the message's trace: the messaging
    conventions' "process <egress topic>" for that one record."""
    return telemetry.start(
        telemetry.messaging_span_name("process", topic),
        telemetry.extract(headers),
        kind=SpanKind.CONSUMER,
        attributes={
            **telemetry.messaging_attributes(
                "process",
                topic,
                partition=partition,
                offset=offset,
                group=group,
                message_id=str(message_id),
            ),
            **telemetry.message_attributes(
                message_id=message_id,
                message_type=headers.get(H.MESSAGE_TYPE.value),
                node=node,
                receiver=headers.get(H.RECEIVER.value),
            ),
        },
    )
