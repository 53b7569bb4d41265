"""Ledger rows for tests that need one, not a real message: a recorded 305 (the store's and
the outbox's tests) and a routed iWmo 3.2 heenbericht with only the columns scans read (the
freeze's unsent count, the migrations' backfills)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

import asyncpg

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


async def routed_message(
    db: asyncpg.Connection | store.Pool,
    *,
    status: str = "accepted",
    receiver_node: str | None = "vecozo",
    purged: bool = False,
) -> UUID:
    """A heenbericht from 0363 to 65656055 (routed to the VECOZO side unless told)."""
    message_id = uuid4()
    await db.execute(
        "INSERT INTO message (id, received_at, source_node, submitted_by, status, payload,"
        " payload_sha256, standard, release, direction, receiver, receiver_node, purged_at)"
        " VALUES ($1, now(), 'ggk', '0363', $2, ''::bytea, '\\x00'::bytea, 'iwmo', '3.2',"
        " 'heen', '65656055', $3, CASE WHEN $4 THEN now() END)",
        message_id,
        status,
        receiver_node,
        purged,
    )
    return message_id
