"""Kafka header names the hub sets and reads, declared once."""

from __future__ import annotations

from enum import StrEnum


class H(StrEnum):
    """Header names on every hub topic (values are UTF-8 strings)."""

    MESSAGE_ID = "hub-message-id"  # the upload id, stable across every hop
    NODE = "hub-node"  # node the message entered through (ggk / vecozo)
    PARTY = "hub-party"  # authenticated party that uploaded it
    RECEIVED_AT = "hub-received-at"  # ISO-8601 UTC moment the adapter accepted it
    RECEIVER = "hub-receiver"  # party a message on an egress topic is for
    MESSAGE_TYPE = "hub-message-type"  # e.g. WMO305, once the core knows it
    # Dead-letter context (the stage and error that sent a message there).
    DLQ_STAGE = "hub-dlq-stage"
    DLQ_ERROR = "hub-dlq-error"
    DLQ_REASON = "hub-dlq-reason"
    DLQ_ORIGIN = "hub-dlq-origin"  # topic/partition/offset


def encode(headers: dict[H, str]) -> dict[str, str]:
    return {k.value: v for k, v in headers.items()}
