"""State of the history rules (controleniveau 3): identificaties, toewijzingen, starts and
stops, keyed by person hash."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from asyncpg import Record

from hub.domain.history.facts import HistoryFacts, Scope, StartKey, StopKey, ToewijzingLine
from hub.domain.history.request_facts import Omvang
from hub.domain.history.state import (
    Answer,
    ClientHistory,
    HistoryEffects,
    HistoryState,
    IdentificatieKey,
    NummerKey,
    OwnedToewijzing,
    Request,
    RequestKey,
)
from hub.infra.store.base import DbConnection, Pool
from hub.infra.store.declaraties import apply_declaraties, load_declaraties
from hub.infra.store.history_requests import apply_requests, load_requests

# --- history (controleniveau 3) ------------------------------------------------------------
# State for the berichtoverstijgende rules of hub.domain.history (tables: 0002_history.sql).
# Persons are person_key only. The caller owns the transaction: load and apply on one
# connection inside it, so the rules see the state they are written against.

# A connection as asyncpg hands it out directly or from a pool.

_HISTORY_START_ARRAYS = (
    "$1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::date[]"
)
_HISTORY_SCOPES = "unnest($1::text[], $2::text[], $3::text[]) AS q(g, a, p)"
_HISTORY_IN_SCOPE = "h.gemeente = q.g AND h.aanbieder = q.a AND h.person_key = q.p"


_TOEWIJZING_COLUMNS = (
    "h.gemeente, h.aanbieder, h.person_key, h.toewijzing_nummer, h.product_categorie,"
    " h.product_code, h.ingangsdatum, h.einddatum, h.toegewezen_op, h.reden_wijziging,"
    " h.omvang_volume, h.omvang_eenheid, h.omvang_frequentie, h.budget,"
    " h.referentie_aanbieder, h.domain"
)


def _client_scopes(facts_list: Sequence[HistoryFacts]) -> list[Scope]:
    """The clients whose own history the batch's rules read: 305/307 (starts, stops,
    toewijzingen) and 317 (the client's toewijzingen)."""
    return sorted(
        {
            f.scope
            for f in facts_list
            if f.scope is not None and (f.starts or f.stops or f.verzoek is not None)
        },
        key=lambda s: (s.gemeente, s.aanbieder, s.person),
    )


async def load_history(db: DbConnection | Pool, facts_list: Sequence[HistoryFacts]) -> HistoryState:
    """The history the rules need for a batch of messages, in one query per table."""
    idents = {IdentificatieKey(f.sender, f.berichtsoort, f.identificatie) for f in facts_list}
    scopes = _client_scopes(facts_list)
    nummers = sorted(
        {
            NummerKey(f.parties.gemeente, n)
            for f in facts_list
            if f.parties is not None
            for n in f.named_nummers
        },
        key=lambda k: (k.gemeente, k.nummer),
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
    requests = await load_requests(db, facts_list)
    declaraties = await load_declaraties(db, facts_list)  # 323/325/TR385 (two queries)
    if not scopes and not nummers:
        return HistoryState(known, {}, {}, requests, declaraties)
    args = ([s.gemeente for s in scopes], [s.aanbieder for s in scopes], [s.person for s in scopes])
    # One statement, two index lookups (the client's rows by the primary key, the named
    # numbers by history_toewijzing_nummer_idx); UNION drops a row found both ways.
    toewijzingen = await db.fetch(
        f"SELECT {_TOEWIJZING_COLUMNS} FROM history_toewijzing h"
        f" JOIN {_HISTORY_SCOPES} ON {_HISTORY_IN_SCOPE}"
        f" UNION SELECT {_TOEWIJZING_COLUMNS} FROM history_toewijzing h"
        f" JOIN unnest($4::text[], $5::text[]) AS n(g, n)"
        f" ON h.gemeente = n.g AND h.toewijzing_nummer = n.n",
        *args,
        [k.gemeente for k in nummers],
        [k.nummer for k in nummers],
    )
    lines = []
    if scopes:
        # Starts (stop columns NULL) and stops as one statement, not two.
        lines = await db.fetch(
            f"SELECT h.gemeente, h.aanbieder, h.person_key, h.toewijzing_nummer,"
            f" h.product_categorie, h.product_code, h.begindatum, h.deleted,"
            f" NULL::text, NULL::date, false"
            f" FROM history_start h JOIN {_HISTORY_SCOPES} ON {_HISTORY_IN_SCOPE}"
            f" UNION ALL SELECT h.gemeente, h.aanbieder, h.person_key, h.toewijzing_nummer,"
            f" h.product_categorie, h.product_code, h.begindatum, h.deleted,"
            f" h.reden_beeindiging, h.einddatum, true"
            f" FROM history_stop h JOIN {_HISTORY_SCOPES} ON {_HISTORY_IN_SCOPE}",
            *args,
        )
    current: dict[Scope, dict[str, ToewijzingLine]] = {s: {} for s in scopes}
    numbered: dict[NummerKey, list[OwnedToewijzing]] = {}
    start_map: dict[Scope, dict[StartKey, bool]] = {s: {} for s in scopes}
    stop_map: dict[Scope, dict[StopKey, bool]] = {s: {} for s in scopes}
    for r in toewijzingen:
        scope = Scope(r[0], r[1], r[2])
        line = _toewijzing_line(r)
        if scope in current:
            # Keyed by number alone (TR019, TR349): of an iWmo and an iJw row with one number
            # the newer one, as apply_to_client keeps it in memory.
            held = current[scope].get(line.nummer)
            if held is None or held.toegewezen_op < line.toegewezen_op:
                current[scope][line.nummer] = line
        numbered.setdefault(NummerKey(scope.gemeente, line.nummer), []).append(
            OwnedToewijzing(scope, r[15], line)
        )
    for r in lines:
        start = StartKey(r[3], r[4], r[5], r[6])
        if r[10]:
            stop_map[Scope(r[0], r[1], r[2])][StopKey(start, r[8], r[9])] = r[7]
        else:
            start_map[Scope(r[0], r[1], r[2])][start] = r[7]
    clients = {s: ClientHistory(current[s], start_map[s], stop_map[s]) for s in scopes}
    numbered_rows = {k: tuple(v) for k, v in numbered.items()}
    return HistoryState(known, clients, numbered_rows, requests, declaraties)


def _toewijzing_line(r: Record) -> ToewijzingLine:
    """A stored current version as the rules read it (location: where it is stored)."""
    volume, eenheid, frequentie = r[10], r[11], r[12]
    omvang = (
        Omvang(int(volume), str(eenheid), str(frequentie))
        if volume is not None and eenheid and frequentie
        else None
    )
    return ToewijzingLine(
        "history_toewijzing",
        str(r[3]),
        str(r[4]),
        str(r[5]),
        r[6],
        r[7],
        r[8],
        str(r[9]),
        omvang,
        None if r[13] is None else int(r[13]),
        str(r[14]),
    )


async def apply_history(
    conn: DbConnection, effects: HistoryEffects | Sequence[HistoryEffects]
) -> None:
    """Write the effects of one accepted message or of a batch, inside the caller's transaction.

    Idempotent: a start or stop row is inserted once and then flagged deleted, or live again
    when a deleted key is delivered anew (READING 7; the batch's last state of a key wins); a
    toewijzing is replaced only by a strictly newer version; request rows are inserted once
    and their answer flags only turn true. Writing the same effects again (a redelivery)
    changes nothing. One statement per table and kind.
    """
    batch = [effects] if isinstance(effects, HistoryEffects) else list(effects)
    declaratie_effects = [(e.declaratie, e.message_id) for e in batch if e.declaratie is not None]
    if declaratie_effects:
        await apply_declaraties(conn, declaratie_effects)
    idents: dict[IdentificatieKey, UUID | None] = {}
    toewijzingen: dict[tuple[Scope, str, str], tuple[ToewijzingLine, UUID | None, str]] = {}
    requests: dict[RequestKey, tuple[Request, UUID | None]] = {}
    # Per request: the answers the batch gives it and the last message that gave one (one
    # UPDATE source row per target row: PostgreSQL applies only one of several).
    answers: dict[RequestKey, tuple[set[Answer], UUID | None]] = {}
    new_starts: dict[tuple[Scope, StartKey], UUID | None] = {}
    new_stops: dict[tuple[Scope, StopKey], UUID | None] = {}
    deleted_starts: dict[tuple[Scope, StartKey], UUID | None] = {}
    deleted_stops: dict[tuple[Scope, StopKey], UUID | None] = {}
    for e in batch:
        mid = e.message_id
        if e.identificatie is not None:
            idents.setdefault(e.identificatie, mid)
        for key, request in e.new_requests:
            requests.setdefault(key, (request, mid))
        for key, answer in e.answers:
            given = answers.get(key)
            answers[key] = ((given[0] if given else set()) | {answer}, mid)
        if not e.touches_client:
            continue
        if e.scope is None:
            raise ValueError("history effects with product lines need a scope")
        scope = e.scope
        for t in e.toewijzingen:
            # One row per client, domain and number (0015): iWmo and iJw are separate.
            seen = toewijzingen.get((scope, e.domain, t.nummer))
            if seen is None or seen[0].toegewezen_op < t.toegewezen_op:
                toewijzingen[(scope, e.domain, t.nummer)] = (t, mid, e.domain)
        # Rows are inserted (or made live again) before the deletes run, so the last state
        # of a key in the batch wins: a delivery cancels an earlier delete of its key
        # (READING 7), and a delete after a delivery leaves both to run in that order.
        for start in e.new_starts:
            deleted_starts.pop((scope, start), None)
            new_starts.setdefault((scope, start), mid)
        for stop in e.new_stops:
            deleted_stops.pop((scope, stop), None)
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
        rows = [(scope, t, mid, dom) for (scope, _, _), (t, mid, dom) in toewijzingen.items()]
        lines = [t for _, t, _, _ in rows]
        await conn.execute(
            """
            INSERT INTO history_toewijzing AS h (gemeente, aanbieder, person_key,
                toewijzing_nummer, product_categorie, product_code, ingangsdatum, einddatum,
                toegewezen_op, message_id, domain, reden_wijziging, omvang_volume,
                omvang_eenheid, omvang_frequentie, budget, referentie_aanbieder)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                                 $6::text[], $7::date[], $8::date[], $9::timestamp[],
                                 $10::uuid[], $11::text[], $12::text[], $13::bigint[],
                                 $14::text[], $15::text[], $16::bigint[], $17::text[])
            ON CONFLICT (gemeente, aanbieder, person_key, domain, toewijzing_nummer) DO UPDATE SET
                product_categorie = EXCLUDED.product_categorie,
                product_code = EXCLUDED.product_code,
                ingangsdatum = EXCLUDED.ingangsdatum,
                einddatum = EXCLUDED.einddatum,
                toegewezen_op = EXCLUDED.toegewezen_op,
                message_id = EXCLUDED.message_id,
                domain = EXCLUDED.domain,
                reden_wijziging = EXCLUDED.reden_wijziging,
                omvang_volume = EXCLUDED.omvang_volume,
                omvang_eenheid = EXCLUDED.omvang_eenheid,
                omvang_frequentie = EXCLUDED.omvang_frequentie,
                budget = EXCLUDED.budget,
                referentie_aanbieder = EXCLUDED.referentie_aanbieder,
                recorded_at = now()
            WHERE h.toegewezen_op < EXCLUDED.toegewezen_op
            """,
            *_history_scope_columns([r[0] for r in rows]),
            [t.nummer for t in lines],
            [t.categorie for t in lines],
            [t.code for t in lines],
            [t.ingangsdatum for t in lines],
            [t.einddatum for t in lines],
            [t.toegewezen_op for t in lines],
            [r[2] for r in rows],
            [r[3] for r in rows],
            [t.reden_wijziging for t in lines],
            [t.omvang.volume if t.omvang else None for t in lines],
            [t.omvang.eenheid if t.omvang else None for t in lines],
            [t.omvang.frequentie if t.omvang else None for t in lines],
            [t.budget for t in lines],
            [t.referentie for t in lines],
        )
    await apply_requests(conn, requests, answers)
    if new_starts:
        await conn.execute(
            f"""
            INSERT INTO history_start (gemeente, aanbieder, person_key, toewijzing_nummer,
                product_categorie, product_code, begindatum, message_id)
            SELECT * FROM unnest({_HISTORY_START_ARRAYS}, $8::uuid[])
            ON CONFLICT ON CONSTRAINT history_start_pkey DO UPDATE SET
                deleted = false, deleted_by = NULL, message_id = EXCLUDED.message_id
            WHERE history_start.deleted
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
            ON CONFLICT ON CONSTRAINT history_stop_pkey DO UPDATE SET
                deleted = false, deleted_by = NULL, message_id = EXCLUDED.message_id
            WHERE history_stop.deleted
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
