"""The hub's Kafka wiring: one place that turns settings into a FastStream KafkaBroker."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from faststream.kafka import KafkaBroker

from hub.infra.kafka.security import faststream_security
from hub.settings import Settings

log = logging.getLogger(__name__)


def build_broker(
    settings: Settings,
    bootstrap: str,
    *,
    client_id: str,
    middlewares: Sequence[Any] = (),
) -> KafkaBroker:
    """A broker whose producer batches (not aiokafka's 16 KiB default) and never auto-creates
    topics; subscribers choose their own ack policy explicitly. Its SASL / TLS come from
    hub.infra.kafka.security, like every other Kafka client of the hub."""
    return KafkaBroker(
        bootstrap,
        security=faststream_security(settings),
        client_id=client_id,
        allow_auto_create_topics=False,
        acks="all",
        linger_ms=settings.producer_linger_ms,
        max_batch_size=settings.producer_batch_bytes,
        max_request_size=32 * 1024 * 1024,  # a 25 MB message plus headers must fit
        request_timeout_ms=int(settings.startup_timeout_s * 1000) + 15_000,
        metadata_max_age_ms=settings.metadata_max_age_ms,
        graceful_timeout=10.0,
        middlewares=tuple(middlewares),
        logger=logging.getLogger(f"hub.kafka.{client_id}"),
        log_level=logging.DEBUG,
    )
