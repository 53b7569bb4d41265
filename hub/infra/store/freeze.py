"""The release freeze's SQL: parked messages in arrival order, what became of them at the
cutover, and the heenberichten of an old release that will never get their retour."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from hub.infra.store.base import DbConnection, Pool

_PARKED_COLUMNS = """
    id, received_at, standard, release, message_type, submitted_by, source_node, sender,
    receiver, identificatie, person_key, receiver_node, built_by_hub
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
    receiver_node: str | None = None
    built_by_hub: bool = False  # a notice the hub made itself: sent on, never returned
    payload: bytes = b""

    # What an event needs beyond the columns above (hub.domain.events.MessageRowLike).
    @property
    def retourcodes(self) -> tuple[str, ...]:
        return ()

    @property
    def retour_due(self) -> datetime | None:
        return None


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


async def sent_on(conn: DbConnection, message_id: UUID, retour_due: datetime) -> None:
    """A parked notice the hub built, sent to its receiver at the cutover under its own id:
    from now on a routed heenbericht like any other (its retour is linked to it)."""
    await conn.execute(
        "UPDATE message SET status = 'accepted', retour_due = $2"
        " WHERE id = $1 AND status = 'parked'",
        message_id,
        retour_due,
    )
    await conn.execute(
        "INSERT INTO freeze_outcome (message_id, action, released_as, reason)"
        " VALUES ($1, 'released', NULL, 'sent to its receiver at the cutover')",
        message_id,
    )


async def parked_counts(db: Pool | DbConnection) -> dict[tuple[str, str], int]:
    """Parked messages per (standard, release), for the gauges."""
    rows = await db.fetch(
        "SELECT standard, release, count(*) AS n FROM message WHERE status = 'parked'"
        " GROUP BY standard, release"
    )
    return {(r["standard"] or "", r["release"] or ""): int(r["n"]) for r in rows}


async def unsent(db: Pool | DbConnection) -> dict[tuple[str, str], tuple[int, int]]:
    """Per (standard, release), the routed messages (retours the hub built included) that are
    in no inbox yet, and those in an inbox but neither downloaded nor acknowledged: what a
    freeze leaves behind when it moves on. Releases with neither are left out.

    The core samples this while a freeze is under way, so it reads what is unsent, not the
    ledger: the routed messages without a delivery are in `awaiting_delivery`, the deliveries
    not fetched in `delivery_pending_idx` (migration 0031); each is read with its message by
    id, and one statement serves every standard.
    """
    rows = await db.fetch(
        """
        SELECT m.standard, m.release,
               count(*) FILTER (WHERE u.undelivered) AS undelivered,
               count(*) FILTER (WHERE NOT u.undelivered) AS not_downloaded
        FROM (SELECT message_id, true AS undelivered FROM awaiting_delivery a
              -- A guard, one probe a row: a delivery committed while the cutover sent
              -- its message on (no flow does that) would leave a row nothing removes.
              WHERE NOT EXISTS (SELECT 1 FROM delivery d WHERE d.message_id = a.message_id)
              UNION ALL
              SELECT DISTINCT message_id, false FROM delivery
              WHERE downloaded_at IS NULL AND acked_at IS NULL) u
        JOIN message m ON m.id = u.message_id
        WHERE m.status = 'accepted' AND m.receiver_node IS NOT NULL
        GROUP BY 1, 2
        """
    )
    return {
        (r["standard"] or "", r["release"] or ""): (int(r["undelivered"]), int(r["not_downloaded"]))
        for r in rows
    }


async def unsent_counts(db: Pool | DbConnection, standard: str, release: str) -> tuple[int, int]:
    """`unsent` of one release: (undelivered, not downloaded)."""
    return (await unsent(db)).get((standard, release), (0, 0))


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
    broken (a retour in the new release cannot answer them). Per sending party.

    Every heenbericht the core accepts gets its retour deadline (`retour_due`, also one
    released from parking at the cutover), so those without a retour are exactly what
    `message_awaiting_retour_idx` holds: the report reads them, not the release's ledger."""
    rows = await pool.fetch(
        """
        SELECT id, sender, receiver, message_type, identificatie, received_at, retour_due
        FROM message
        WHERE retour_due IS NOT NULL AND retour_id IS NULL
          AND direction = 'heen' AND status = 'accepted'
          AND standard = $1 AND release = $2
        ORDER BY sender, received_at, id
        """,
        standard,
        release,
    )
    return [OpenHeen(**dict(r)) for r in rows]
