"""State of the history rules (controleniveau 3): identificaties, toewijzingen, starts and
stops, keyed by person hash."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from hub.history_facts import HistoryFacts, Scope, StartKey, StopKey, ToewijzingLine
from hub.history_state import ClientHistory, HistoryEffects, HistoryState, IdentificatieKey
from hub.store.base import DbConnection, Pool

# --- history (controleniveau 3) ------------------------------------------------------------
# State for the berichtoverstijgende rules of hub/history.py (tables: 0002_history.sql).
# Persons are person_key only. The caller owns the transaction: load and apply on one
# connection inside it, so the rules see the state they are written against.

# A connection as asyncpg hands it out directly or from a pool.

_HISTORY_START_ARRAYS = (
    "$1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::date[]"
)
_HISTORY_SCOPES = "unnest($1::text[], $2::text[], $3::text[]) AS q(g, a, p)"
_HISTORY_IN_SCOPE = "h.gemeente = q.g AND h.aanbieder = q.a AND h.person_key = q.p"


async def load_history(db: DbConnection | Pool, facts_list: Sequence[HistoryFacts]) -> HistoryState:
    """The history the rules need for a batch of messages, in one query per table."""
    idents = {IdentificatieKey(f.sender, f.berichtsoort, f.identificatie) for f in facts_list}
    scopes = sorted(
        {f.scope for f in facts_list if f.scope is not None and (f.starts or f.stops)},
        key=lambda s: (s.gemeente, s.aanbieder, s.person),
    )
    known: frozenset[IdentificatieKey] = frozenset()
    if idents:
        rows = await db.fetch(
            """
            SELECT h.afzender, h.berichtsoort, h.identificatie
            FROM history_identificatie h
            JOIN unnest($1::text[], $2::text[], $3::text[]) AS q(a, b, i)
              ON h.afzender = q.a AND h.berichtsoort = q.b AND h.identificatie = q.i
            """,
            [k.sender for k in idents],
            [k.berichtsoort for k in idents],
            [k.identificatie for k in idents],
        )
        known = frozenset(IdentificatieKey(r[0], r[1], r[2]) for r in rows)
    if not scopes:
        return HistoryState(known, {})
    args = ([s.gemeente for s in scopes], [s.aanbieder for s in scopes], [s.person for s in scopes])
    toewijzingen = await db.fetch(
        f"SELECT h.gemeente, h.aanbieder, h.person_key, h.toewijzing_nummer"
        f" FROM history_toewijzing h JOIN {_HISTORY_SCOPES} ON {_HISTORY_IN_SCOPE}",
        *args,
    )
    starts = await db.fetch(
        f"SELECT h.gemeente, h.aanbieder, h.person_key, h.toewijzing_nummer,"
        f" h.product_categorie, h.product_code, h.begindatum, h.deleted"
        f" FROM history_start h JOIN {_HISTORY_SCOPES} ON {_HISTORY_IN_SCOPE}",
        *args,
    )
    stops = await db.fetch(
        f"SELECT h.gemeente, h.aanbieder, h.person_key, h.toewijzing_nummer,"
        f" h.product_categorie, h.product_code, h.begindatum, h.reden_beeindiging,"
        f" h.einddatum, h.deleted"
        f" FROM history_stop h JOIN {_HISTORY_SCOPES} ON {_HISTORY_IN_SCOPE}",
        *args,
    )
    nummers: dict[Scope, set[str]] = {s: set() for s in scopes}
    start_map: dict[Scope, dict[StartKey, bool]] = {s: {} for s in scopes}
    stop_map: dict[Scope, dict[StopKey, bool]] = {s: {} for s in scopes}
    for r in toewijzingen:
        nummers[Scope(r[0], r[1], r[2])].add(r[3])
    for r in starts:
        start_map[Scope(r[0], r[1], r[2])][StartKey(r[3], r[4], r[5], r[6])] = r[7]
    for r in stops:
        key = StopKey(StartKey(r[3], r[4], r[5], r[6]), r[7], r[8])
        stop_map[Scope(r[0], r[1], r[2])][key] = r[9]
    clients = {s: ClientHistory(frozenset(nummers[s]), start_map[s], stop_map[s]) for s in scopes}
    return HistoryState(known, clients)


async def apply_history(
    conn: DbConnection, effects: HistoryEffects | Sequence[HistoryEffects]
) -> None:
    """Write the effects of one accepted message or of a batch, inside the caller's transaction.

    Idempotent and order-free: rows are inserted once (ON CONFLICT DO NOTHING) and then only
    flagged deleted, and a toewijzing is replaced only by a strictly newer version, so writing
    the same effects again (a redelivery) changes nothing. One statement per table and kind.
    """
    batch = [effects] if isinstance(effects, HistoryEffects) else list(effects)
    idents: dict[IdentificatieKey, UUID | None] = {}
    toewijzingen: dict[tuple[Scope, str], tuple[ToewijzingLine, UUID | None]] = {}
    new_starts: dict[tuple[Scope, StartKey], UUID | None] = {}
    new_stops: dict[tuple[Scope, StopKey], UUID | None] = {}
    deleted_starts: dict[tuple[Scope, StartKey], UUID | None] = {}
    deleted_stops: dict[tuple[Scope, StopKey], UUID | None] = {}
    for e in batch:
        mid = e.message_id
        if e.identificatie is not None:
            idents.setdefault(e.identificatie, mid)
        if not e.touches_client:
            continue
        if e.scope is None:
            raise ValueError("history effects with product lines need a scope")
        scope = e.scope
        for t in e.toewijzingen:
            seen = toewijzingen.get((scope, t.nummer))
            if seen is None or seen[0].toegewezen_op < t.toegewezen_op:
                toewijzingen[(scope, t.nummer)] = (t, mid)
        for start in e.new_starts:
            new_starts.setdefault((scope, start), mid)
        for stop in e.new_stops:
            new_stops.setdefault((scope, stop), mid)
        for start in e.deleted_starts:
            deleted_starts.setdefault((scope, start), mid)
        for stop in e.deleted_stops:
            deleted_stops.setdefault((scope, stop), mid)

    if idents:
        await conn.execute(
            """
            INSERT INTO history_identificatie (afzender, berichtsoort, identificatie, message_id)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::uuid[])
            ON CONFLICT DO NOTHING
            """,
            [k.sender for k in idents],
            [k.berichtsoort for k in idents],
            [k.identificatie for k in idents],
            list(idents.values()),
        )
    if toewijzingen:
        rows = [(scope, t, mid) for (scope, _), (t, mid) in toewijzingen.items()]
        await conn.execute(
            """
            INSERT INTO history_toewijzing AS h (gemeente, aanbieder, person_key,
                toewijzing_nummer, product_categorie, product_code, ingangsdatum, einddatum,
                toegewezen_op, message_id)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                                 $6::text[], $7::date[], $8::date[], $9::timestamp[],
                                 $10::uuid[])
            ON CONFLICT (gemeente, aanbieder, person_key, toewijzing_nummer) DO UPDATE SET
                product_categorie = EXCLUDED.product_categorie,
                product_code = EXCLUDED.product_code,
                ingangsdatum = EXCLUDED.ingangsdatum,
                einddatum = EXCLUDED.einddatum,
                toegewezen_op = EXCLUDED.toegewezen_op,
                message_id = EXCLUDED.message_id,
                recorded_at = now()
            WHERE h.toegewezen_op < EXCLUDED.toegewezen_op
            """,
            *_history_scope_columns([r[0] for r in rows]),
            [t.nummer for _, t, _ in rows],
            [t.categorie for _, t, _ in rows],
            [t.code for _, t, _ in rows],
            [t.ingangsdatum for _, t, _ in rows],
            [t.einddatum for _, t, _ in rows],
            [t.toegewezen_op for _, t, _ in rows],
            [mid for _, _, mid in rows],
        )
    if new_starts:
        await conn.execute(
            f"""
            INSERT INTO history_start (gemeente, aanbieder, person_key, toewijzing_nummer,
                product_categorie, product_code, begindatum, message_id)
            SELECT * FROM unnest({_HISTORY_START_ARRAYS}, $8::uuid[])
            ON CONFLICT DO NOTHING
            """,
            *_history_start_columns(list(new_starts)),
            list(new_starts.values()),
        )
    if new_stops:
        await conn.execute(
            f"""
            INSERT INTO history_stop (gemeente, aanbieder, person_key, toewijzing_nummer,
                product_categorie, product_code, begindatum, reden_beeindiging, einddatum,
                message_id)
            SELECT * FROM unnest({_HISTORY_START_ARRAYS}, $8::text[], $9::date[], $10::uuid[])
            ON CONFLICT DO NOTHING
            """,
            *_history_stop_columns(list(new_stops)),
            list(new_stops.values()),
        )
    if deleted_starts:
        await conn.execute(
            f"""
            UPDATE history_start h SET deleted = true, deleted_by = q.m
            FROM unnest({_HISTORY_START_ARRAYS}, $8::uuid[]) AS q(g, a, p, n, c, d, b, m)
            WHERE {_HISTORY_IN_SCOPE} AND h.toewijzing_nummer = q.n AND h.product_categorie = q.c
              AND h.product_code = q.d AND h.begindatum = q.b AND NOT h.deleted
            """,
            *_history_start_columns(list(deleted_starts)),
            list(deleted_starts.values()),
        )
    if deleted_stops:
        await conn.execute(
            f"""
            UPDATE history_stop h SET deleted = true, deleted_by = q.m
            FROM unnest({_HISTORY_START_ARRAYS}, $8::text[], $9::date[], $10::uuid[])
                AS q(g, a, p, n, c, d, b, r, e, m)
            WHERE {_HISTORY_IN_SCOPE} AND h.toewijzing_nummer = q.n AND h.product_categorie = q.c
              AND h.product_code = q.d AND h.begindatum = q.b AND h.reden_beeindiging = q.r
              AND h.einddatum = q.e AND NOT h.deleted
            """,
            *_history_stop_columns(list(deleted_stops)),
            list(deleted_stops.values()),
        )


def _history_scope_columns(scopes: Sequence[Scope]) -> tuple[list[str], list[str], list[str]]:
    return (
        [s.gemeente for s in scopes],
        [s.aanbieder for s in scopes],
        [s.person for s in scopes],
    )


def _history_start_columns(rows: Sequence[tuple[Scope, StartKey]]) -> list[Sequence[object]]:
    return [
        *_history_scope_columns([s for s, _ in rows]),
        [k.toewijzing for _, k in rows],
        [k.categorie for _, k in rows],
        [k.code for _, k in rows],
        [k.begindatum for _, k in rows],
    ]


def _history_stop_columns(rows: Sequence[tuple[Scope, StopKey]]) -> list[Sequence[object]]:
    return [
        *_history_start_columns([(s, k.start) for s, k in rows]),
        [k.reden for _, k in rows],
        [k.einddatum for _, k in rows],
    ]
