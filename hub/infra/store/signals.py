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


# Each lookup a LATERAL ... LIMIT 1 on its table's primary key, run per examined row: as
# EXISTS in the select list the planner may hash the whole table instead (issue #22).
def _lookup(name: str, table: str, extra: str = "") -> str:
    return f"""LEFT JOIN LATERAL (
          SELECT true AS found FROM {table} x
          WHERE x.gemeente = t.gemeente AND x.aanbieder = t.aanbieder
            AND x.person_key = t.person_key AND x.toewijzing_nummer = t.toewijzing_nummer
            {extra}
          LIMIT 1) {name} ON true
    """


_LOOKUPS = {
    # A signal raised before: without leaving those out, the oldest `limit` overdue
    # toewijzingen, once raised and still without their message, filled every pass and
    # nothing later was ever raised (issue #22).
    "no-start": _lookup("started", "history_start", "AND NOT x.deleted")
    + _lookup("raised", "signal_raised", "AND x.kind = 'no-start'"),
    "no-stop": _lookup("started", "history_start", "AND NOT x.deleted")
    + _lookup("stopped", "history_stop", "AND NOT x.deleted AND x.reden_beeindiging <> '20'")
    + _lookup("raised", "signal_raised", "AND x.kind = 'no-stop'"),
}
_DUE = {
    "no-start": "started.found IS NULL AND raised.found IS NULL",
    # A toewijzing without a start is the no-start scan's: this one settles it unraised.
    "no-stop": "started.found AND stopped.found IS NULL AND raised.found IS NULL",
}

# The oldest first, ties in key order, so a pass that finds more than `limit` takes the
# `limit` oldest not raised yet and the next pass goes on from there: every pass progresses.
_ORDER = "gemeente, aanbieder, person_key, toewijzing_nummer"


def _claim(kind: str, clock: str, settled: str) -> str:
    """A pass of one scan (migration 0028): the oldest `$3` toewijzingen its watch index
    holds (not settled, `clock` before $1) are examined; the `$2` oldest that are due are
    raised; what was examined is settled except what is due and left for the next pass.
    So a pass reads at most $3 toewijzingen, whatever the size of the history."""
    return f"""
WITH seen AS (
    SELECT t.tid, t.gemeente, t.aanbieder, t.person_key, t.domain, t.toewijzing_nummer,
           t.product_categorie, t.ingangsdatum, t.einddatum, t.message_id,
           coalesce({_LIVE} AND {_DUE[kind]}, false) AS due
    FROM (SELECT *, ctid AS tid FROM history_toewijzing
          WHERE {settled} IS NULL AND {clock} < $1
          ORDER BY {clock} LIMIT $3) t
    {_LOOKUPS[kind]}
), ranked AS (
    SELECT seen.*, row_number() OVER (
        PARTITION BY due ORDER BY {clock}, {_ORDER}, domain) AS n
    FROM seen
), settle AS (
    -- By the rows' own addresses (a TID scan): joined on the key, the planner may hash
    -- the whole table for the 10,000 rows a pass settles.
    UPDATE history_toewijzing SET {settled} = true
    WHERE ctid = ANY(ARRAY(SELECT tid FROM ranked WHERE NOT due OR n <= $2))
), picked AS (
    SELECT * FROM ranked WHERE due AND n <= $2
), raised AS (
    INSERT INTO signal_raised (kind, gemeente, aanbieder, person_key, toewijzing_nummer)
    SELECT DISTINCT '{kind}', gemeente, aanbieder, person_key, toewijzing_nummer FROM picked
    ON CONFLICT DO NOTHING
    RETURNING gemeente, aanbieder, person_key, toewijzing_nummer
)
SELECT '{kind}' AS kind, d.gemeente, d.aanbieder, d.person_key, d.toewijzing_nummer,
       d.product_categorie, d.ingangsdatum, d.einddatum, d.message_id, d.domain
FROM picked d JOIN raised r USING (gemeente, aanbieder, person_key, toewijzing_nummer)
ORDER BY d.{clock}, d.gemeente, d.aanbieder, d.person_key, d.toewijzing_nummer
"""


_NO_START = _claim("no-start", "ingangsdatum", "start_settled")
_NO_STOP = _claim("no-stop", "einddatum", "stop_settled")

# How many toewijzingen one pass examines for each one it may raise: started ones are
# settled without a signal, and a history import brings many at once.
_EXAMINE = 10


async def claim_without_start(
    conn: DbConnection, ingang_before: date, limit: int = 1000
) -> list[OverdueToewijzing]:
    """Toewijzingen that started before the date with no (undeleted) start, not yet
    signalled; marks them signalled in the caller's transaction."""
    rows = await conn.fetch(_NO_START, ingang_before, limit, limit * _EXAMINE)
    return [OverdueToewijzing(**dict(r)) for r in rows]


async def claim_without_stop(
    conn: DbConnection, ended_before: date, limit: int = 1000
) -> list[OverdueToewijzing]:
    """Started toewijzingen whose Einddatum lies before the date and that have no definitive
    stop, not yet signalled; marks them signalled in the caller's transaction."""
    rows = await conn.fetch(_NO_STOP, ended_before, limit, limit * _EXAMINE)
    return [OverdueToewijzing(**dict(r)) for r in rows]
