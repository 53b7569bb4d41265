"""The inbox as a caller sees it: one party's, or an intermediary's spanning its parties.

The same queries as hub/infra/store/inbox.py and gauges.download, over a list of receiving
parties (Party.inbox_parties): a party's own code, or the codes of the parties that authorised
an intermediary. Each message is delivered to its one Ontvanger, so it is listed once. The
listing pages by delivery id: a position that only grows, so a walk sees each message once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from hub.infra.store.base import DbConnection, Pool
from hub.infra.store.gauges import Download


@dataclass(frozen=True, slots=True)
class Answered:
    """The heenbericht a listed retour answers."""

    id: UUID
    bericht_code: str | None
    identificatie: str | None


@dataclass(frozen=True, slots=True)
class Listed:
    """One waiting message as the inbox lists it; `position` orders the listing (a cursor)."""

    position: int
    message_id: UUID
    party: str
    bericht_code: str | None
    afzender: str | None
    identificatie: str | None
    available_at: datetime
    downloaded_at: datetime | None
    retourcodes: tuple[str, ...]
    answers: Answered | None


async def inbox(
    pool: Pool, node: str, parties: Sequence[str], limit: int, after: int = 0
) -> list[Listed]:
    """At most `limit` waiting messages of these parties after position `after`, in delivery
    order (oldest first); a retour names the heenbericht it answers (one query: a join).

    Each party's waiting deliveries are read in order up to `limit` (the inbox index is by
    node, party and position), then merged: with `party = ANY(...)` the index gives no order
    across parties, so every waiting delivery was read and sorted for each page."""
    rows = await pool.fetch(
        """
        SELECT w.*, h.id AS h_id, h.bericht_code AS h_bericht_code,
               h.identificatie AS h_identificatie
        FROM (SELECT DISTINCT unnest($2::text[])) AS p(party)
        CROSS JOIN LATERAL (
            SELECT d.id AS position, d.message_id, d.party, m.bericht_code, m.afzender,
                   m.identificatie, d.available_at, d.downloaded_at, m.retourcodes, m.answers
            FROM delivery d JOIN message m ON m.id = d.message_id
            WHERE d.node = $1 AND d.party = p.party
              AND d.acked_at IS NULL AND NOT d.payload_purged
              AND m.purged_at IS NULL AND d.id > $3
            ORDER BY d.id
            LIMIT $4) w
        LEFT JOIN message h ON h.id = w.answers
        ORDER BY w.position
        LIMIT $4
        """,
        node,
        list(parties),
        after,
        limit,
    )
    return [
        Listed(
            position=r["position"],
            message_id=r["message_id"],
            party=r["party"],
            bericht_code=r["bericht_code"],
            afzender=r["afzender"],
            identificatie=r["identificatie"],
            available_at=r["available_at"],
            downloaded_at=r["downloaded_at"],
            retourcodes=tuple(r["retourcodes"] or ()),
            answers=None
            if r["h_id"] is None
            else Answered(r["h_id"], r["h_bericht_code"], r["h_identificatie"]),
        )
        for r in rows
    ]


async def download(
    conn: Pool | DbConnection, node: str, parties: Sequence[str], message_id: UUID
) -> tuple[Download, str] | None:
    """The message if it is in one of these parties' inboxes, and whose inbox (the first
    delivery of it); whether this is that delivery's first download times upload to download."""
    row = await conn.fetchrow(
        """
        WITH prev AS (
            SELECT id, downloaded_at FROM delivery
            WHERE node = $1 AND party = ANY($2::text[]) AND message_id = $3
            ORDER BY id LIMIT 1 FOR UPDATE)
        UPDATE delivery d SET downloaded_at = coalesce(d.downloaded_at, now())
        FROM message m, prev
        WHERE d.id = prev.id AND m.id = d.message_id
          AND m.purged_at IS NULL  -- a purged payload is gone, as if never delivered
        RETURNING d.party, m.payload, m.received_at, m.message_type,
                  prev.downloaded_at IS NULL AS first
        """,
        node,
        list(parties),
        message_id,
    )
    if row is None:
        return None
    found = Download(bytes(row["payload"]), row["received_at"], row["message_type"], row["first"])
    return found, str(row["party"])


async def acknowledge(pool: Pool, node: str, parties: Sequence[str], message_id: UUID) -> bool:
    """Mark the message received in each of these parties' inboxes that has it; False when
    none has."""
    result = await pool.execute(
        "UPDATE delivery SET acked_at = coalesce(acked_at, now())"
        " WHERE node = $1 AND party = ANY($2::text[]) AND message_id = $3",
        node,
        list(parties),
        message_id,
    )
    return result.split()[-1] != "0"
