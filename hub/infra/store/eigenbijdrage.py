"""State of the eigen bijdrage (tables: 0005_eigenbijdrage.sql, 0019_eigenbijdrage_held.sql):
counting lines and told periods per person and route, the notices sent with their answers, and
the entries held beyond the iEb limits.

The operator's view of the same tables is hub.infra.store.eigenbijdrage_view."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final
from uuid import UUID

from hub.domain.eigenbijdrage.limits import Held
from hub.domain.eigenbijdrage.periods import DELETE, NEW, Entry, Facts, Period, Route
from hub.domain.history.facts import StartKey, StopKey
from hub.infra.store.base import DbConnection as Conn

PersonRef = tuple[str, str]  # (gemeente, person_key)
StateKey = tuple[str, str, Route]  # (gemeente, person_key, route)
ToewijzingRef = tuple[str, str, str, str]  # (gemeente, aanbieder, person_key, nummer)


@dataclass(frozen=True, slots=True)
class PersonState:
    """One person's state on one route: the counting lines and what the CAK was told."""

    facts: Facts = field(default_factory=Facts)
    told: dict[UUID, Period] = field(default_factory=dict)
    held: frozenset[UUID] = frozenset()  # told periods whose start was held (never sent)


@dataclass(frozen=True, slots=True)
class FactRow:
    """One counting line to write (a start when `stop` is None)."""

    gemeente: str
    person_key: str
    route: Route
    aanbieder: str
    start: StartKey
    stop: StopKey | None
    deleted: bool
    message_id: UUID


@dataclass(frozen=True, slots=True)
class NoticeRow:
    """One notice sent, with the entries it carried."""

    message_id: UUID
    gemeente: str
    person_key: str
    route: Route
    identificatie: str
    berichtsoort: str  # BerichtCode of the notice, for TR056
    source_message_id: UUID
    entries: tuple[Entry, ...]
    afzender: str = ""  # the notice's Afzender when not the gemeente (a 407's centrumgemeente)
    seq: int = 0  # order of the batch's notices and held entries (their melding writes)


@dataclass(frozen=True, slots=True)
class HeldRow:
    """One entry held beyond an iEb limit: not sent, but the period is kept as told (the
    gemeente handles it by hand), so the person's next message does not raise it again."""

    gemeente: str
    person_key: str
    route: Route
    source_message_id: UUID
    held: Held
    seq: int = 0


async def lock_persons(conn: Conn, persons: Sequence[PersonRef]) -> None:
    """Serialise work on these persons until the transaction ends (sorted: no deadlock when
    two cores touch the same persons; ingress is keyed by person, so this rarely waits)."""
    if not persons:
        return
    ordered = sorted(set(persons))
    await conn.execute(
        "SELECT count(pg_advisory_xact_lock(hashtextextended(g || '/' || p, 405)))"
        " FROM (SELECT g, p FROM unnest($1::text[], $2::text[]) AS k(g, p) ORDER BY g, p) s",
        [g for g, _ in ordered],
        [p for _, p in ordered],
    )


_PERSONS = "unnest($1::text[], $2::text[]) AS q(g, p)"
_IN_PERSON = "t.gemeente = q.g AND t.person_key = q.p"


# A person's starts (0), stops (1) and told periods (2) as one statement, not three: columns a
# kind lacks are NULL.
_STATES: Final = f"""
SELECT 0, t.gemeente, t.person_key, t.route, t.aanbieder, t.toewijzing_nummer,
       t.product_categorie, t.product_code, t.begindatum, NULL::text, NULL::date, t.deleted,
       NULL::uuid, NULL::boolean
FROM eb_start t JOIN {_PERSONS} ON {_IN_PERSON}
UNION ALL
SELECT 1, t.gemeente, t.person_key, t.route, t.aanbieder, t.toewijzing_nummer,
       t.product_categorie, t.product_code, t.begindatum, t.reden_beeindiging, t.einddatum,
       t.deleted, NULL, NULL
FROM eb_stop t JOIN {_PERSONS} ON {_IN_PERSON}
UNION ALL
SELECT 2, t.gemeente, t.person_key, t.route, NULL, NULL, NULL, NULL, t.begindatum, NULL,
       t.einddatum, NULL, t.melding_id, t.held
FROM eb_melding t JOIN {_PERSONS} ON {_IN_PERSON} WHERE NOT t.retracted
"""
# With the sources that already caused a notice or a held entry (3): read after the persons'
# lock, in the same round trip, so a notice another core committed while this one waited is
# seen (notified_sources, for one source's check alone).
_STATES_AND_SOURCES: Final = f"""{_STATES}
UNION ALL
SELECT 3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, n.source_message_id,
       NULL
FROM eb_notice n WHERE n.source_message_id = ANY($3::uuid[])
UNION ALL
SELECT 3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, h.source_message_id,
       NULL
FROM eb_held h WHERE h.source_message_id = ANY($3::uuid[])
"""


async def load_states(conn: Conn, persons: Sequence[PersonRef]) -> dict[StateKey, PersonState]:
    """Every route's state of these persons (absent: nothing known yet)."""
    states, _ = await load_batch(conn, persons, ())
    return states


async def load_batch(
    conn: Conn, persons: Sequence[PersonRef], sources: Sequence[UUID]
) -> tuple[dict[StateKey, PersonState], set[UUID]]:
    """`load_states` of these persons, and which of `sources` already caused a notice or a
    held entry (the idempotency guard), in one round trip; lock the persons first."""
    if not persons:
        return {}, await notified_sources(conn, sources)
    unique = sorted(set(persons))
    args: list[object] = [[g for g, _ in unique], [p for _, p in unique]]
    if sources:
        rows = await conn.fetch(_STATES_AND_SOURCES, *args, list(sources))
    else:
        rows = await conn.fetch(_STATES, *args)
    start_maps: dict[StateKey, dict[tuple[str, StartKey], bool]] = {}
    stop_maps: dict[StateKey, dict[tuple[str, StopKey], bool]] = {}
    told_maps: dict[StateKey, dict[UUID, Period]] = {}
    held_sets: dict[StateKey, set[UUID]] = {}
    notified: set[UUID] = set()
    for r in rows:
        kind = r[0]
        if kind == 3:
            notified.add(r[12])
            continue
        key = (r[1], r[2], Route(r[3]))
        if kind == 0:
            start_maps.setdefault(key, {})[(r[4], StartKey(r[5], r[6], r[7], r[8]))] = r[11]
        elif kind == 1:
            stop = StopKey(StartKey(r[5], r[6], r[7], r[8]), r[9], r[10])
            stop_maps.setdefault(key, {})[(r[4], stop)] = r[11]
        else:
            told_maps.setdefault(key, {})[r[12]] = Period(r[8], r[10])
            if r[13]:
                held_sets.setdefault(key, set()).add(r[12])
    keys = set(start_maps) | set(stop_maps) | set(told_maps)
    states = {
        k: PersonState(
            Facts(start_maps.get(k, {}), stop_maps.get(k, {})),
            dict(told_maps.get(k, {})),
            frozenset(held_sets.get(k, ())),
        )
        for k in keys
    }
    return states, notified


async def toewijzing_categories(
    conn: Conn, refs: Sequence[ToewijzingRef]
) -> dict[ToewijzingRef, str]:
    """The product category of these toewijzingen (their newest version), for lines that
    name a ToewijzingNummer but no Product."""
    if not refs:
        return {}
    unique = sorted(set(refs))
    rows = await conn.fetch(
        """
        SELECT h.gemeente, h.aanbieder, h.person_key, h.toewijzing_nummer, h.product_categorie
        FROM history_toewijzing h
        JOIN unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS q(g, a, p, n)
          ON h.gemeente = q.g AND h.aanbieder = q.a AND h.person_key = q.p
         AND h.toewijzing_nummer = q.n
        """,
        *([r[i] for r in unique] for i in range(4)),
    )
    return {(r[0], r[1], r[2], r[3]): r[4] for r in rows}


async def notified_sources(conn: Conn, source_ids: Sequence[UUID]) -> set[UUID]:
    """Which of these source messages already caused a notice or a held entry (idempotency
    guard)."""
    if not source_ids:
        return set()
    rows = await conn.fetch(
        "SELECT source_message_id FROM eb_notice WHERE source_message_id = ANY($1::uuid[])"
        " UNION SELECT source_message_id FROM eb_held WHERE source_message_id = ANY($1::uuid[])",
        list(source_ids),
    )
    return {r[0] for r in rows}


async def next_identificaties(conn: Conn, count: int) -> list[str]:
    if count == 0:
        return []
    rows = await conn.fetch(
        "SELECT nextval('eb_identificatie_seq') AS n FROM generate_series(1, $1)", count
    )
    return [f"EB{r['n']:010d}" for r in rows]


async def save(
    conn: Conn,
    facts: Sequence[FactRow],
    notices: Sequence[NoticeRow],
    now: datetime,
    held: Sequence[HeldRow] = (),
) -> None:
    """Write a batch's lines, the periods its notices (and held entries) changed, the notices
    and the held entries, inside the caller's transaction. Lines are idempotent (insert once,
    delete one-way)."""
    starts = [f for f in facts if f.stop is None]
    stops = [f for f in facts if f.stop is not None]
    if starts:
        await conn.executemany(
            """
            INSERT INTO eb_start (gemeente, person_key, route, aanbieder, toewijzing_nummer,
                                  product_categorie, product_code, begindatum, deleted,
                                  message_id, deleted_by)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::boolean, $10::uuid,
                    CASE WHEN $9::boolean THEN $10::uuid END)
            ON CONFLICT (gemeente, person_key, route, aanbieder, toewijzing_nummer,
                         product_categorie, product_code, begindatum)
            DO UPDATE SET deleted = true, deleted_by = coalesce(eb_start.deleted_by, $10)
            WHERE $9 AND NOT eb_start.deleted
            """,
            [
                (f.gemeente, f.person_key, f.route.value, f.aanbieder, f.start.toewijzing,
                 f.start.categorie, f.start.code, f.start.begindatum, f.deleted, f.message_id)
                for f in starts
            ],
        )  # fmt: skip
    if stops:
        await conn.executemany(
            """
            INSERT INTO eb_stop (gemeente, person_key, route, aanbieder, toewijzing_nummer,
                                 product_categorie, product_code, begindatum,
                                 reden_beeindiging, einddatum, deleted, message_id, deleted_by)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::boolean, $12::uuid,
                    CASE WHEN $11::boolean THEN $12::uuid END)
            ON CONFLICT (gemeente, person_key, route, aanbieder, toewijzing_nummer,
                         product_categorie, product_code, begindatum, reden_beeindiging,
                         einddatum)
            DO UPDATE SET deleted = true, deleted_by = coalesce(eb_stop.deleted_by, $12)
            WHERE $11 AND NOT eb_stop.deleted
            """,
            [
                (f.gemeente, f.person_key, f.route.value, f.aanbieder, f.start.toewijzing,
                 f.start.categorie, f.start.code, f.start.begindatum, f.stop.reden,
                 f.stop.einddatum, f.deleted, f.message_id)
                for f in stops
                if f.stop is not None
            ],
        )  # fmt: skip
    # Every new melding first, then the changes in the order the notices and held entries
    # made them (a melding told earlier in the same batch may be changed by a later one).
    entries = sorted(
        [(n.seq, n, e, False) for n in notices for e in n.entries]
        + [(h.seq, h, h.held.entry, True) for h in held],
        key=lambda t: t[0],
    )
    created = [(n, e, by_hand) for _, n, e, by_hand in entries if e.status == NEW]
    changed = [(n, e) for _, n, e, _ in entries if e.status != NEW]
    if created:
        await conn.executemany(
            "INSERT INTO eb_melding (melding_id, gemeente, person_key, route,"
            " begindatum, einddatum, created_by, created_at, updated_at, held)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)",
            [
                (e.melding_id, n.gemeente, n.person_key, n.route.value, e.period.begin,
                 e.period.end, n.source_message_id, now, by_hand)
                for n, e, by_hand in created
            ],
        )  # fmt: skip
    if changed:
        await conn.executemany(
            "UPDATE eb_melding SET begindatum = $2, einddatum = $3, retracted = $4,"
            " updated_at = $5 WHERE melding_id = $1",
            [
                (e.melding_id, e.period.begin, e.period.end, e.status == DELETE, now)
                for _, e in changed
            ],
        )  # fmt: skip
    if notices:
        await conn.executemany(
            "INSERT INTO eb_notice (message_id, gemeente, person_key, route, identificatie,"
            " source_message_id, entries, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            [
                (n.message_id, n.gemeente, n.person_key, n.route.value, n.identificatie,
                 n.source_message_id, json.dumps([_entry_json(e) for e in n.entries]), now)
                for n in notices
            ],
        )  # fmt: skip
        # TR056: a gemeente that uploads a 405 itself may not reuse the hub's Identificatie.
        await conn.executemany(
            "INSERT INTO history_identificatie (afzender, berichtsoort, identificatie,"
            " message_id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            [
                (n.afzender or n.gemeente, n.berichtsoort, n.identificatie, n.message_id)
                for n in notices
            ],
        )
    if held:
        await conn.executemany(
            "INSERT INTO eb_held (gemeente, person_key, route, reason, melding_id, status,"
            " begindatum, einddatum, limit_months, cutoff, source_message_id, held_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
            " ON CONFLICT (source_message_id, route, melding_id) DO NOTHING",
            [
                (h.gemeente, h.person_key, h.route.value, h.held.reason.value,
                 h.held.entry.melding_id, h.held.entry.status, h.held.entry.period.begin,
                 h.held.entry.period.end, h.held.limit_months, h.held.cutoff,
                 h.source_message_id, now)
                for h in held
            ],
        )  # fmt: skip


def _entry_json(e: Entry) -> dict[str, object]:
    return {
        "melding_id": str(e.melding_id),
        "status": e.status,
        "begindatum": e.period.begin.isoformat(),
        "einddatum": e.period.end.isoformat() if e.period.end else None,
    }


@dataclass(frozen=True, slots=True)
class NoticeAnswer:
    notice_id: UUID
    retour_id: UUID
    retourcodes: tuple[str, ...]
    rejected: bool
    at: datetime


async def record_answers(conn: Conn, answers: Sequence[NoticeAnswer]) -> dict[UUID, list[UUID]]:
    """Record the CAK's 406/408 on the notices they answer; returns the MeldingIDs of each
    answered notice (absent: the heen was no hub-built notice)."""
    if not answers:
        return {}
    rows = await conn.fetch(
        """
        UPDATE eb_notice n SET outcome = a.outcome, retour_id = a.retour_id,
               retourcodes = string_to_array(a.codes, ','), answered_at = a.at
        FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[])
             AS a(notice_id, retour_id, codes, outcome, at)
        WHERE n.message_id = a.notice_id
        RETURNING n.message_id, n.entries
        """,
        [a.notice_id for a in answers],
        [a.retour_id for a in answers],
        [",".join(a.retourcodes) for a in answers],
        ["rejected" if a.rejected else "accepted" for a in answers],
        [a.at for a in answers],
    )
    return {r[0]: [UUID(e["melding_id"]) for e in json.loads(r[1])] for r in rows}
