"""Intake at its simplest: record every ingress message in the ledger and pass it on to the
receiver's node. Validation, retours, dedup and the outbox come with the routing core."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from faststream import AckPolicy
from faststream.kafka import KafkaRouter
from faststream.kafka.annotations import KafkaMessage

from hub import routing, store, topics, xmlcodec
from hub.headers import H
from hub.messages import Node
from hub.runtime import Runtime

log = logging.getLogger(__name__)

_BACKOFF_S = 1.0  # pause before a failed batch is fetched again, so an outage is no hot loop


@dataclass(frozen=True, slots=True)
class Routed:
    row: store.IngressRow
    node: Node | None
    receiver: str | None


def _header(record: Any, name: H) -> str | None:
    for key, value in record.headers or ():
        if key == name.value:
            return bytes(value).decode("utf-8", errors="replace")
    return None


def _decide(record: Any) -> Routed:
    """Read the envelope and route it by message type and header parties."""
    raw_id = _header(record, H.MESSAGE_ID)
    node_name = _header(record, H.NODE) or ""
    party = _header(record, H.PARTY) or ""
    received = _header(record, H.RECEIVED_AT)
    payload: bytes = record.value or b""
    message_id = UUID(raw_id) if raw_id else UUID(int=0)
    received_at = datetime.fromisoformat(received) if received else datetime.now(UTC)
    envelope: xmlcodec.Envelope | None
    try:
        envelope = xmlcodec.read_envelope(xmlcodec.parse_message(payload))
    except xmlcodec.XmlRejected:
        envelope = None
    found = routing.route(envelope) if envelope is not None else None
    target = found.node if found is not None else None
    receiver = found.receiver if found is not None else None
    row = store.IngressRow(
        id=message_id,
        received_at=received_at,
        source_node=node_name,
        submitted_by=party,
        namespace=envelope.namespace if envelope else None,
        bericht_code=envelope.bericht_code if envelope else None,
        afzender=envelope.afzender if envelope else None,
        ontvanger=envelope.ontvanger if envelope else None,
        identificatie=envelope.identificatie if envelope else None,
        status="routed" if target else "unroutable",
        payload=payload,
        ingress_partition=record.partition,
        ingress_offset=record.offset,
    )
    return Routed(row=row, node=target, receiver=receiver)


def build_router(runtime: Runtime) -> KafkaRouter:
    settings = runtime.settings
    router = KafkaRouter()

    @router.subscriber(
        topics.name(settings, topics.INGRESS),
        group_id=settings.consumer_group,
        batch=True,
        max_records=settings.batch_max_records,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
        # Offsets are committed only after the ledger and egress have the batch;
        # an error seeks back so the batch is redelivered (at-least-once).
        ack_policy=AckPolicy.NACK_ON_ERROR,
    )
    async def intake(body: list[bytes], msg: KafkaMessage) -> None:
        records = msg.raw_message if isinstance(msg.raw_message, tuple) else (msg.raw_message,)
        decided = [_decide(r) for r in records]
        try:
            await store.record_messages(runtime.pool, [d.row for d in decided])
            sends = []
            for d in decided:
                if d.node is None or d.receiver is None:
                    log.warning("message %s has no route; kept in the ledger", d.row.id)
                    continue
                sends.append(
                    runtime.broker.publish(
                        d.row.payload,
                        topics.egress_name(settings, d.node),
                        key=d.receiver.encode(),
                        headers={
                            H.MESSAGE_ID.value: str(d.row.id),
                            H.RECEIVER.value: d.receiver,
                            H.NODE.value: d.row.source_node,
                        },
                    )
                )
            await asyncio.gather(*sends)
        except Exception:
            log.exception("intake batch of %d failed; it will be redelivered", len(records))
            await asyncio.sleep(_BACKOFF_S)
            raise

    return router
