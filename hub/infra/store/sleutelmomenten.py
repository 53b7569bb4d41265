"""The sleutelmomenten's SQL (migration 0020): write measurements, replace the OPEN rows a
message resolves, and read what intake's measuring looks up (one query over arrays of keys,
and one more for declaraties, whatever the batch's size)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Final
from uuid import UUID

import asyncpg

from hub.domain import workdays
from hub.domain.sleutelmomenten import Measurement
from hub.domain.sleutelmomenten.measure import (
    Current,
    DeclaratieKey,
    Declared,
    Lookups,
    OpenRow,
    StartOf,
    ToewijzingKey,
    Wanted,
)
from hub.infra.store.base import DbConnection as Conn

_COLUMNS: Final = (
    "moment", "outcome", "source", "domain", "gemeente", "aanbieder", "person_key",
    "toewijzing_nummer", "reference", "reference_date", "arrived_on", "werkdagen", "deadline",
    "message_id", "about_id", "line",
)  # fmt: skip
_TYPES: Final = (
    "text", "text", "text", "text", "text", "text", "text", "text", "text", "date", "date",
    "int", "int", "uuid", "uuid", "text",
)  # fmt: skip
# A message's line is measured once per moment (sleutelmoment_once): a second import of the
# same messages, or a redelivery that gets this far, adds nothing.
_INSERT_IGNORING: Final = (
    f"INSERT INTO sleutelmoment ({', '.join(_COLUMNS)})"
    f" SELECT * FROM unnest({', '.join(f'${i}::{t}[]' for i, t in enumerate(_TYPES, 1))})"
    " ON CONFLICT DO NOTHING"
)


def _record(m: Measurement) -> tuple[object, ...]:
    return (
        m.moment.value, m.outcome.value, m.source.value, m.domain, m.gemeente, m.aanbieder,
        m.person_key, m.toewijzing_nummer, m.reference, m.reference_date, m.arrived,
        m.werkdagen, m.deadline, m.message_id, m.about_id, m.line,
    )  # fmt: skip


# Up to this many rows go as one INSERT of one JSON parameter (one statement, and no array
# parameters, whose every element asyncpg checks against three abstract base classes); more
# go by COPY in a savepoint (four: the savepoint, the COPY and its data, the release), the
# cheapest per row. Fewer statements per small batch; the CPU this saves was below what
# docs/scale.md's measurements could tell apart ("Event loop, HTTP parser, collector and
# round trips").
_COPY_FROM: Final = 64
_INSERT_JSON: Final = (
    f"INSERT INTO sleutelmoment ({', '.join(_COLUMNS)}) SELECT {', '.join(_COLUMNS)}"
    f" FROM json_to_recordset($1::json) AS r("
    + ", ".join(f"{c} {t}" for c, t in zip(_COLUMNS, _TYPES, strict=True))
    + ") ON CONFLICT DO NOTHING"
)


def _json_value(value: object) -> object:
    return (
        value.isoformat()
        if isinstance(value, date)
        else str(value)
        if isinstance(value, UUID)
        else value
    )


async def insert(conn: Conn, measurements: Sequence[Measurement]) -> None:
    """Write the measurements; one already there (same message, moment and line) is left as
    it is.

    A few rows as one INSERT that skips those already there; many by COPY, in a savepoint:
    only a large batch holding a measurement already stored (an import run twice) takes the
    array INSERT after all."""
    if not measurements:
        return
    records = [_record(m) for m in measurements]
    if len(records) <= _COPY_FROM:
        rows = [{c: _json_value(v) for c, v in zip(_COLUMNS, r, strict=True)} for r in records]
        await conn.execute(_INSERT_JSON, json.dumps(rows, ensure_ascii=False))
        return
    try:
        async with conn.transaction():
            await conn.copy_records_to_table(
                "sleutelmoment", records=records, columns=list(_COLUMNS)
            )
    except asyncpg.UniqueViolationError:
        await conn.execute(_INSERT_IGNORING, *(list(c) for c in zip(*records, strict=True)))


async def resolve(conn: Conn, ids: Sequence[int]) -> None:
    """Delete the OPEN rows that a measured row replaces (the row itself is inserted)."""
    if ids:
        await conn.execute(
            "DELETE FROM sleutelmoment WHERE id = ANY($1::bigint[]) AND outcome = 'open'",
            list(ids),
        )


# The keys go as one text array, each key's parts joined by U+001F (which XML text cannot
# hold), and rows come back with the key's position: a third of the CPU that an array per
# part and the parts echoed back cost intake.
_SEP: Final = "\x1f"


def _keys(param: int) -> str:
    return (
        f"unnest(${param}::text[]) WITH ORDINALITY AS q(k, i), LATERAL (SELECT"
        " split_part(q.k, E'\\x1f', 1) AS d, split_part(q.k, E'\\x1f', 2) AS g,"
        " split_part(q.k, E'\\x1f', 3) AS a, split_part(q.k, E'\\x1f', 4) AS n) k"
    )


# A row stored before migration 0015 has domain '' and matches either domain; of several
# versions (such a row and a newer one) the newest holds, as in hub/infra/store/history.py.
_TOEWIJZINGEN: Final = f"""
SELECT DISTINCT ON (q.i) q.i, h.einddatum, h.toegewezen_op
FROM {_keys(1)}
JOIN history_toewijzing h
  ON h.gemeente = k.g AND h.toewijzing_nummer = k.n AND h.aanbieder = k.a
 AND h.domain IN (k.d, '')
ORDER BY q.i, h.toegewezen_op DESC
"""
# The first 301's receipt, and the OPEN rows a 307 (stop) or a 301 (aanpassing) replaces.
# Per key (LATERAL), through index sleutelmoment_toewijzing (its predicate repeated so the
# planner may use it): a join over the whole table would read every toewijzing measured.
_MOMENTS: Final = f"""
SELECT q.i, s.moment, s.id, s.reference_date, s.arrived_on, s.about_id
FROM {_keys(2)}, LATERAL (
    SELECT s.moment, s.id, s.reference_date, s.arrived_on, s.about_id FROM sleutelmoment s
    WHERE s.gemeente = k.g AND s.aanbieder = k.a AND s.toewijzing_nummer = k.n
      AND s.toewijzing_nummer <> '' AND s.moment IN ('toewijzing', 'stop', 'aanpassing')
      AND s.domain IN (k.d, '')
      AND (s.moment = 'toewijzing' AND s.arrived_on IS NOT NULL
           OR s.moment <> 'toewijzing' AND s.outcome = 'open' AND s.message_id IS NULL)
) s
ORDER BY s.id
"""
# Keys: gemeente, aanbieder, person, ToewijzingNummer, Categorie, Code (joined), Begindatum.
_TEMPORARY_STOPS: Final = """
SELECT q.i
FROM unnest($3::text[], $4::date[]) WITH ORDINALITY AS q(k, b, i)
WHERE EXISTS (
    SELECT 1 FROM history_stop h
    WHERE h.gemeente = split_part(q.k, E'\\x1f', 1) AND h.aanbieder = split_part(q.k, E'\\x1f', 2)
      AND h.person_key = split_part(q.k, E'\\x1f', 3)
      AND h.toewijzing_nummer = split_part(q.k, E'\\x1f', 4)
      AND h.product_categorie = split_part(q.k, E'\\x1f', 5)
      AND h.product_code = split_part(q.k, E'\\x1f', 6)
      AND h.begindatum = q.b AND h.reden_beeindiging = '20' AND NOT h.deleted)
"""
# The three above as one statement, each row tagged with its kind (0, 1, 2); the moments in
# id order, as _MOMENTS has them.
_LOOKUP: Final = f"""
SELECT 0, t.i, t.einddatum, t.toegewezen_op, NULL::text, NULL::bigint, NULL::date, NULL::date,
       NULL::uuid
FROM ({_TOEWIJZINGEN}) t
UNION ALL
SELECT 1, m.i, NULL, NULL, m.moment, m.id, m.reference_date, m.arrived_on, m.about_id
FROM ({_MOMENTS}) m
UNION ALL
SELECT 2, s.i, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM ({_TEMPORARY_STOPS}) s
ORDER BY 1, 6
"""
# A 323's receipt from the ledger; one the ledger does not hold (imported history, purged)
# by its Dagtekening, as an imported message's arrival is.
_DECLARATIES: Final = """
SELECT q.i, d.dagtekening, d.message_id, m.received_at
FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS q(d, a, x, i)
CROSS JOIN LATERAL (
    SELECT h.dagtekening, h.message_id FROM history_declaratie h
    WHERE h.domain = q.d AND h.aanbieder = q.a AND h.identificatie = q.x
) d
LEFT JOIN LATERAL (SELECT received_at FROM message WHERE id = d.message_id) m ON true
"""


def _joined(keys: list[ToewijzingKey]) -> list[str]:
    return [_SEP.join(k) for k in keys]


async def lookups(conn: Conn, wanted: Wanted) -> Lookups:
    """What measuring the batch reads: the history and sleutelmomenten as they were before
    it, for the keys `wanted` names (one query, and one more for declaraties; none when no
    key is wanted)."""
    current: dict[ToewijzingKey, Current] = {}
    first: dict[ToewijzingKey, date] = {}
    open_stops: dict[ToewijzingKey, tuple[int, ...]] = {}
    open_aanpassingen: dict[ToewijzingKey, OpenRow] = {}
    temporary: set[StartOf] = set()
    toewijzingen = list(wanted.toewijzingen)
    moments = list(wanted.first_arrivals | wanted.open_stops | wanted.open_aanpassingen)
    starts = list(wanted.temporary_stops)
    if toewijzingen or moments or starts:
        rows = await conn.fetch(
            _LOOKUP,
            _joined(toewijzingen),
            _joined(moments),
            [_SEP.join((g, a, p, *s.product)) for g, a, p, s in starts],
            [s[3].begindatum for s in starts],
        )
        for r in rows:
            kind, at = r[0], r[1] - 1
            if kind == 0:
                current[toewijzingen[at]] = Current(r[2], r[3])
            elif kind == 2:
                temporary.add(starts[at])
            elif r[4] == "toewijzing":
                key = moments[at]
                held = first.get(key)
                first[key] = r[7] if held is None or r[7] < held else held
            elif r[4] == "stop":
                key = moments[at]
                open_stops[key] = (*open_stops.get(key, ()), r[5])
            else:
                open_aanpassingen.setdefault(moments[at], OpenRow(r[5], r[6], r[8]))
    declaraties: dict[DeclaratieKey, Declared] = {}
    if wanted.declaraties:
        wanted_d = list(wanted.declaraties)
        rows = await conn.fetch(_DECLARATIES, *([k[i] for k in wanted_d] for i in range(3)))
        for r in rows:
            received = workdays.local_date(r[3]) if r[3] is not None else r[1]
            declaraties[wanted_d[r[0] - 1]] = Declared(received, r[2])
    return Lookups(current, first, frozenset(temporary), open_stops, open_aanpassingen, declaraties)


# SQLSTATE classes of an error in the statement itself, not in the connection or the server:
# data (22), integrity (23), syntax or access, a missing table or column (42), cardinality
# (21), a feature not supported (0A). Rolling back the savepoint leaves the connection usable.
_STATEMENT_CLASSES: Final = frozenset({"21", "22", "23", "42", "0A"})


def statement_error(exc: BaseException) -> bool:
    """Whether `exc` is PostgreSQL refusing the statement for what it says (its data, a
    constraint, the schema): the same statement would fail again, and the connection is fine.
    hub.infra.transient counts every PostgresError as transient (intake retries the batch);
    measuring, which must never hold a message up, tells these apart."""
    if not isinstance(exc, asyncpg.PostgresError):
        return False
    state = str(getattr(exc, "sqlstate", "") or "")
    return state[:2] in _STATEMENT_CLASSES
