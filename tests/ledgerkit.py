"""A recorded 305 for tests that need a ledger row, not a real message: the store's and the
outbox's tests share it."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from hub.infra import store


def ingress_row(
    payload: bytes = b"<Bericht/>", identificatie: str = "123456789013"
) -> store.IngressRow:
    return store.IngressRow(
        id=uuid4(),
        received_at=datetime(2025, 4, 5, 10, 0, tzinfo=UTC),
        source_node="vecozo",
        submitted_by="65656055",
        namespace="http://www.istandaarden.nl/iwmo/3_2/wmo305/schema",
        bericht_code="418",
        afzender="65656055",
        ontvanger="0363",
        identificatie=identificatie,
        status="routed",
        payload=payload,
        ingress_partition=0,
        ingress_offset=7,
    )
