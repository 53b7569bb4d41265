"""The sleutelmomenten report's SQL: figures per moment, group and month aggregated in
PostgreSQL, the lateness distribution, the worst toewijzingen and the productperiode conflicts,
each bounded by the period through the indexes of migrations 0020 and 0021."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Final

import asyncpg

from hub.domain.sleutelmomenten import Moment
from hub.domain.sleutelmomenten.report import (
    PERSON_PREFIX,
    By,
    ConflictRow,
    Figures,
    Report,
    Worst,
)
from hub.domain.workdays import AMSTERDAM
from hub.infra.store.base import DbConnection as Conn
from hub.infra.store.base import Pool

WORST_PER_MOMENT: Final = 10
CONFLICTS_SHOWN: Final = 200

# Measured rows count by the day they arrived, open rows (no arrival yet) by the day their clock
# runs from: each branch is one range scan of its own partial index (sleutelmoment_arrived,
# sleutelmoment_open). $3 / $4 / $5 filter on gemeente / aanbieder / domain when given.
_FILTER: Final = """
       AND ($3::text IS NULL OR gemeente = $3) AND ($4::text IS NULL OR aanbieder = $4)
       AND ($5::text IS NULL OR domain = $5)"""
_ROWS: Final = f"""
    SELECT moment, outcome, domain, gemeente, aanbieder, werkdagen,
           date_trunc('month', arrived_on)::date AS month
      FROM sleutelmoment
     WHERE arrived_on BETWEEN $1 AND $2 AND outcome <> 'open'{_FILTER}
    UNION ALL
    SELECT moment, outcome, domain, gemeente, aanbieder, NULL,
           date_trunc('month', reference_date)::date
      FROM sleutelmoment
     WHERE outcome = 'open' AND reference_date BETWEEN $1 AND $2{_FILTER}
"""

# Per moment: over all, per gemeente, per aanbieder; each per month and over the whole period.
# A gemeente's (aanbieder's) figures are per domain: its Wmo and Jeugd teams each see their own.
# GROUPING(...) tells the sets apart (a grouped-away column reads NULL).
_FIGURES: Final = f"""
WITH r AS ({_ROWS})
SELECT moment, month, domain, gemeente, aanbieder,
       GROUPING(gemeente) AS no_gemeente, GROUPING(aanbieder) AS no_aanbieder,
       count(*) FILTER (WHERE outcome = 'on_time') AS on_time,
       count(*) FILTER (WHERE outcome = 'late') AS late,
       count(*) FILTER (WHERE outcome = 'measured') AS measured,
       count(*) FILTER (WHERE outcome = 'open') AS open,
       count(*) FILTER (WHERE outcome = 'implausible') AS implausible,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY werkdagen)
           FILTER (WHERE outcome IN ('on_time', 'late', 'measured')) AS median,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY werkdagen)
           FILTER (WHERE outcome IN ('on_time', 'late', 'measured')) AS p90
  FROM r
 GROUP BY GROUPING SETS ((moment, month), (moment),
                         (moment, month, domain, gemeente), (moment, domain, gemeente),
                         (moment, month, domain, aanbieder), (moment, domain, aanbieder))
"""

_DISTRIBUTION: Final = f"""
SELECT moment, werkdagen, count(*) AS n
  FROM sleutelmoment
 WHERE arrived_on BETWEEN $1 AND $2 AND outcome IN ('on_time', 'late', 'measured'){_FILTER}
 GROUP BY moment, werkdagen
"""

# The latest rows (most werkdagen late) per moment: late (or, without a deadline, measured)
# and at least a werkdag after the clock; implausible rows are not lateness and would swamp
# the list.
_WORST: Final = f"""
SELECT * FROM (
    SELECT moment, toewijzing_nummer, domain, reference, gemeente, aanbieder,
           coalesce(left(person_key, {PERSON_PREFIX}), '') AS person,
           reference_date, arrived_on, werkdagen, deadline, message_id,
           row_number() OVER (PARTITION BY moment
                              ORDER BY werkdagen DESC, arrived_on DESC, id) AS place
      FROM sleutelmoment
     WHERE arrived_on BETWEEN $1 AND $2 AND outcome IN ('late', 'measured') AND werkdagen > 0
           {_FILTER}
) ranked
 WHERE place <= $6
 ORDER BY moment, place
"""

_CONFLICTS: Final = f"""
SELECT raised_at, domain, gemeente, aanbieder, left(person_key, {PERSON_PREFIX}) AS person,
       toewijzing_nummer, einddatum, previous_einddatum, declaratie, referentie_nummers,
       periode_begin, periode_eind, relation, message_id, count(*) OVER () AS total
  FROM productperiode_conflict
 WHERE raised_at >= $1 AND raised_at < $2{_FILTER}
 ORDER BY raised_at DESC, id DESC
 LIMIT $6
"""


def _by(row: asyncpg.Record) -> tuple[By, str, str]:
    if not row["no_gemeente"]:
        return "gemeente", row["domain"], row["gemeente"]
    if not row["no_aanbieder"]:
        return "aanbieder", row["domain"], row["aanbieder"]
    return "all", "", ""


def _figures(row: asyncpg.Record) -> Figures:
    by, domain, group = _by(row)
    return Figures(
        moment=Moment(row["moment"]),
        by=by,
        domain=domain,
        group=group,
        month=row["month"],
        on_time=row["on_time"],
        late=row["late"],
        measured=row["measured"],
        open=row["open"],
        implausible=row["implausible"],
        median=row["median"],
        p90=row["p90"],
    )


def _day_start(day: date) -> datetime:
    """Midnight in Amsterdam: the report's days are the hub's (workdays.local_date)."""
    return datetime.combine(day, time(), tzinfo=AMSTERDAM)


async def _conflicts(
    conn: Conn, start: date, end: date, filters: Sequence[str | None]
) -> tuple[list[ConflictRow], int]:
    # The table comes with migration 0021; a hub whose schema predates it has none to show.
    if await conn.fetchval("SELECT to_regclass('productperiode_conflict')") is None:
        return [], 0
    rows = await conn.fetch(
        _CONFLICTS,
        _day_start(start),
        _day_start(end + timedelta(days=1)),
        *filters,
        CONFLICTS_SHOWN,
    )
    found = [
        ConflictRow(
            raised_at=r["raised_at"],
            domain=r["domain"],
            gemeente=r["gemeente"],
            aanbieder=r["aanbieder"],
            person=r["person"],
            toewijzing_nummer=r["toewijzing_nummer"],
            einddatum=r["einddatum"],
            previous_einddatum=r["previous_einddatum"],
            declaratie=r["declaratie"],
            referentie_nummers=tuple(r["referentie_nummers"]),
            periode_begin=r["periode_begin"],
            periode_eind=r["periode_eind"],
            relation=r["relation"],
            message_id=r["message_id"],
        )
        for r in rows
    ]
    return found, (rows[0]["total"] if rows else 0)


async def read(
    pool: Pool,
    start: date,
    end: date,
    gemeente: str | None = None,
    aanbieder: str | None = None,
    domain: str | None = None,
) -> Report:
    """The report over [start, end] (both included), optionally for one gemeente / aanbieder /
    domain (iwmo, ijw), read in one repeatable-read snapshot so its figures, lists and totals
    agree."""
    filters = (gemeente, aanbieder, domain)
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        figures = [_figures(r) for r in await conn.fetch(_FIGURES, start, end, *filters)]
        distribution: dict[Moment, dict[int, int]] = {}
        for r in await conn.fetch(_DISTRIBUTION, start, end, *filters):
            distribution.setdefault(Moment(r["moment"]), {})[r["werkdagen"]] = r["n"]
        worst = [
            Worst(
                moment=Moment(r["moment"]),
                toewijzing_nummer=r["toewijzing_nummer"],
                domain=r["domain"],
                reference=r["reference"],
                gemeente=r["gemeente"],
                aanbieder=r["aanbieder"],
                person=r["person"],
                reference_date=r["reference_date"],
                arrived_on=r["arrived_on"],
                werkdagen=r["werkdagen"],
                deadline=r["deadline"],
                message_id=r["message_id"],
            )
            for r in await conn.fetch(_WORST, start, end, *filters, WORST_PER_MOMENT)
        ]
        conflicts, conflicts_total = await _conflicts(conn, start, end, filters)
    return Report(
        start=start,
        end=end,
        gemeente=gemeente,
        aanbieder=aanbieder,
        domain=domain,
        figures=tuple(figures),
        distribution=distribution,
        worst=tuple(worst),
        conflicts=tuple(conflicts),
        conflicts_total=conflicts_total,
    )
