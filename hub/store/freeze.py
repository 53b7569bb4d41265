"""The release freeze's SQL: parked messages in arrival order, what became of them at the
cutover, and the heenberichten of an old release that will never get their retour."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from hub.store.base import DbConnection, Pool

_PARKED_COLUMNS = """
    id, received_at, standard, release, message_type, submitted_by, source_node, sender,
    receiver, identificatie, person_key
"""


@dataclass(frozen=True, slots=True)
class Parked:
    id: UUID
    received_at: datetime
    standard: str | None
    release: str | None
    message_type: str | None
    submitted_by: str
    source_node: str
    sender: str | None
    receiver: str | None
    identificatie: str | None
    person_key: str | None
    payload: bytes = b""


def _parked(row: object) -> Parked:
    r = dict(row)  # type: ignore[call-overload]
    if r.get("payload") is not None:
        r["payload"] = bytes(r["payload"])
    return Parked(**r)


async def parked(db: Pool | DbConnection, standard: str | None = None) -> list[Parked]:
    """Messages waiting in the parked state, in arrival order."""
    rows = await db.fetch(
        f"SELECT {_PARKED_COLUMNS} FROM message WHERE status = 'parked'"
        " AND ($1::text IS NULL OR standard = $1)"
        " ORDER BY received_at, recorded_at, id",
        standard,
    )
    return [_parked(r) for r in rows]


async def take_parked(conn: DbConnection, standard: str, release: str) -> list[Parked]:
    """Lock the parked messages of one release, in arrival order, with their payloads (in
    the caller's transaction; a concurrent `release` skips what this one holds)."""
    rows = await conn.fetch(
        f"SELECT {_PARKED_COLUMNS}, payload FROM message"
        " WHERE status = 'parked' AND standard = $1 AND release = $2"
        " ORDER BY received_at, recorded_at, id FOR UPDATE SKIP LOCKED",
        standard,
        release,
    )
    return [_parked(r) for r in rows]


async def settle(
    conn: DbConnection, message_id: UUID, action: str, reason: str, released_as: UUID | None
) -> None:
    """Record what became of one parked message ('released' / 'returned')."""
    await conn.execute(
        "UPDATE message SET status = $2 WHERE id = $1 AND status = 'parked'", message_id, action
    )
    await conn.execute(
        "INSERT INTO freeze_outcome (message_id, action, released_as, reason)"
        " VALUES ($1, $2, $3, $4)",
        message_id,
        action,
        released_as,
        reason,
    )


@dataclass(frozen=True, slots=True)
class OpenHeen:
    id: UUID
    sender: str | None
    receiver: str | None
    message_type: str | None
    identificatie: str | None
    received_at: datetime
    retour_due: datetime | None


async def broken_pairs(pool: Pool, standard: str, release: str) -> list[OpenHeen]:
    """Routed heenberichten of `release` without a retour: at the full stop these pairs are
    broken (a retour in the new release cannot answer them). Per sending party."""
    rows = await pool.fetch(
        """
        SELECT id, sender, receiver, message_type, identificatie, received_at, retour_due
        FROM message
        WHERE direction = 'heen' AND status = 'accepted' AND retour_id IS NULL
          AND standard = $1 AND release = $2
        ORDER BY sender, received_at, id
        """,
        standard,
        release,
    )
    return [OpenHeen(**dict(r)) for r in rows]
