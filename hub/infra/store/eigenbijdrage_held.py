"""The operator's list of notice entries held beyond the iEb limits (`hub eb held`), read from
the eb_held table (0019_eigenbijdrage_held.sql) that hub.infra.store.eigenbijdrage writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from hub.infra.store.base import Pool


@dataclass(frozen=True, slots=True)
class HeldView:
    """One held entry: which period of which person, why, and the message that caused it."""

    held_at: datetime
    gemeente: str
    person_key: str
    route: str
    reason: str
    melding_id: UUID
    status: str
    begindatum: date
    einddatum: date | None
    limit_months: int
    cutoff: date | None
    source_message_id: UUID


async def list_held(pool: Pool, gemeente: str | None = None, limit: int = 200) -> list[HeldView]:
    """The held entries, newest first, of one gemeente or of all."""
    rows = await pool.fetch(
        "SELECT held_at, gemeente, person_key, route, reason, melding_id, status, begindatum,"
        " einddatum, limit_months, cutoff, source_message_id FROM eb_held"
        " WHERE $1::text IS NULL OR gemeente = $1 ORDER BY held_at DESC, id DESC LIMIT $2",
        gemeente,
        limit,
    )
    return [HeldView(*r) for r in rows]
