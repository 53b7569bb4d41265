"""The toewijzing signals' SQL: find, and mark as raised, toewijzingen whose start or stop
message is overdue (from the history tables the history rules keep)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from hub.infra.store.base import DbConnection


@dataclass(frozen=True, slots=True)
class OverdueToewijzing:
    kind: str  # 'no-start' / 'no-stop'
    gemeente: str
    aanbieder: str
    person_key: str
    toewijzing_nummer: str
    product_categorie: str
    ingangsdatum: date
    einddatum: date | None
    message_id: UUID | None  # the toewijzing's 301
    domain: str  # iwmo / ijw ('' for a row stored before migration 0012)


# A toewijzing deleted by the gemeente (Einddatum = Ingangsdatum, RedenWijziging 13) expects
# neither a start nor a stop; taakgericht lines have no ToewijzingNummer and are not linked.
_LIVE = "t.toewijzing_nummer <> '' AND (t.einddatum IS NULL OR t.einddatum > t.ingangsdatum)"


def _not_raised(kind: str) -> str:
    """Leaves out what was raised before: without it the oldest `limit` overdue toewijzingen,
    once raised and still without their message, filled every pass and nothing later was
    ever raised (issue #22). signal_raised's primary key answers it."""
    return f"""NOT EXISTS (
          SELECT 1 FROM signal_raised r
          WHERE r.kind = '{kind}' AND r.gemeente = t.gemeente AND r.aanbieder = t.aanbieder
            AND r.person_key = t.person_key AND r.toewijzing_nummer = t.toewijzing_nummer)"""


# The oldest first, ties in key order, so a pass that finds more than `limit` takes the
# `limit` oldest not raised yet and the next pass goes on from there: every pass progresses.
_ORDER = "t.gemeente, t.aanbieder, t.person_key, t.toewijzing_nummer"

_NO_START = f"""
WITH due AS (
    SELECT t.* FROM history_toewijzing t
    WHERE {_LIVE} AND t.ingangsdatum < $1
      AND NOT EXISTS (
          SELECT 1 FROM history_start s
          WHERE s.gemeente = t.gemeente AND s.aanbieder = t.aanbieder
            AND s.person_key = t.person_key AND s.toewijzing_nummer = t.toewijzing_nummer
            AND NOT s.deleted)
      AND {_not_raised("no-start")}
    ORDER BY t.ingangsdatum, {_ORDER} LIMIT $2
), raised AS (
    INSERT INTO signal_raised (kind, gemeente, aanbieder, person_key, toewijzing_nummer)
    SELECT 'no-start', gemeente, aanbieder, person_key, toewijzing_nummer FROM due
    ON CONFLICT DO NOTHING
    RETURNING gemeente, aanbieder, person_key, toewijzing_nummer
)
SELECT 'no-start' AS kind, d.gemeente, d.aanbieder, d.person_key, d.toewijzing_nummer,
       d.product_categorie, d.ingangsdatum, d.einddatum, d.message_id, d.domain
FROM due d JOIN raised r USING (gemeente, aanbieder, person_key, toewijzing_nummer)
"""

_NO_STOP = f"""
WITH due AS (
    SELECT t.* FROM history_toewijzing t
    WHERE {_LIVE} AND t.einddatum < $1
      AND EXISTS (
          SELECT 1 FROM history_start s
          WHERE s.gemeente = t.gemeente AND s.aanbieder = t.aanbieder
            AND s.person_key = t.person_key AND s.toewijzing_nummer = t.toewijzing_nummer
            AND NOT s.deleted)
      AND NOT EXISTS (
          SELECT 1 FROM history_stop p
          WHERE p.gemeente = t.gemeente AND p.aanbieder = t.aanbieder
            AND p.person_key = t.person_key AND p.toewijzing_nummer = t.toewijzing_nummer
            AND NOT p.deleted AND p.reden_beeindiging <> '20')
      AND {_not_raised("no-stop")}
    ORDER BY t.einddatum, {_ORDER} LIMIT $2
), raised AS (
    INSERT INTO signal_raised (kind, gemeente, aanbieder, person_key, toewijzing_nummer)
    SELECT 'no-stop', gemeente, aanbieder, person_key, toewijzing_nummer FROM due
    ON CONFLICT DO NOTHING
    RETURNING gemeente, aanbieder, person_key, toewijzing_nummer
)
SELECT 'no-stop' AS kind, d.gemeente, d.aanbieder, d.person_key, d.toewijzing_nummer,
       d.product_categorie, d.ingangsdatum, d.einddatum, d.message_id, d.domain
FROM due d JOIN raised r USING (gemeente, aanbieder, person_key, toewijzing_nummer)
"""


async def claim_without_start(
    conn: DbConnection, ingang_before: date, limit: int = 1000
) -> list[OverdueToewijzing]:
    """Toewijzingen that started before the date with no (undeleted) start, not yet
    signalled; marks them signalled in the caller's transaction."""
    rows = await conn.fetch(_NO_START, ingang_before, limit)
    return [OverdueToewijzing(**dict(r)) for r in rows]


async def claim_without_stop(
    conn: DbConnection, ended_before: date, limit: int = 1000
) -> list[OverdueToewijzing]:
    """Started toewijzingen whose Einddatum lies before the date and that have no definitive
    stop, not yet signalled; marks them signalled in the caller's transaction."""
    rows = await conn.fetch(_NO_STOP, ended_before, limit)
    return [OverdueToewijzing(**dict(r)) for r in rows]
