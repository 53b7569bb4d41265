"""The sleutelmomenten's SQL (migration 0020): write measurements, replace the OPEN rows a
message resolves, and read what intake's measuring looks up (one query per table, over
arrays of keys, whatever the batch's size)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Final

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
_INSERT: Final = (
    f"INSERT INTO sleutelmoment ({', '.join(_COLUMNS)})"
    f" SELECT * FROM unnest({', '.join(f'${i}::{t}[]' for i, t in enumerate(_TYPES, 1))})"
    " ON CONFLICT DO NOTHING"
)


async def insert(conn: Conn, measurements: Sequence[Measurement]) -> None:
    """Insert the measurements in one statement, whatever their number; one already there
    (same message, moment and line) is left as it is."""
    if not measurements:
        return
    columns: tuple[list[object], ...] = tuple([] for _ in _COLUMNS)
    for m in measurements:
        for column, value in zip(
            columns,
            (
                m.moment.value, m.outcome.value, m.source.value, m.domain, m.gemeente,
                m.aanbieder, m.person_key, m.toewijzing_nummer, m.reference, m.reference_date,
                m.arrived, m.werkdagen, m.deadline, m.message_id, m.about_id, m.line,
            ),
            strict=True,
        ):  # fmt: skip
            column.append(value)
    await conn.execute(_INSERT, *columns)


async def resolve(conn: Conn, ids: Sequence[int]) -> None:
    """Delete the OPEN rows that a measured row replaces (the row itself is inserted)."""
    if ids:
        await conn.execute(
            "DELETE FROM sleutelmoment WHERE id = ANY($1::bigint[]) AND outcome = 'open'",
            list(ids),
        )


# A row stored before migration 0015 has domain '' and matches either domain; of several
# versions (such a row and a newer one) the newest holds, as in hub/infra/store/history.py.
_TOEWIJZINGEN: Final = """
SELECT DISTINCT ON (k.d, k.g, k.a, k.n) k.d, k.g, k.a, k.n, h.einddatum, h.toegewezen_op
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS k(d, g, a, n)
JOIN history_toewijzing h
  ON h.gemeente = k.g AND h.toewijzing_nummer = k.n AND h.aanbieder = k.a
 AND h.domain IN (k.d, '')
ORDER BY k.d, k.g, k.a, k.n, h.toegewezen_op DESC
"""
# The first 301's receipt, and the OPEN rows a 307 (stop) or a 301 (aanpassing) replaces.
_MOMENTS: Final = """
SELECT k.d, k.g, k.a, k.n, s.moment, s.id, s.reference_date, s.arrived_on, s.about_id
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS k(d, g, a, n)
JOIN sleutelmoment s
  ON s.gemeente = k.g AND s.aanbieder = k.a AND s.toewijzing_nummer = k.n
 AND s.domain IN (k.d, '')
WHERE (s.moment = 'toewijzing' AND s.arrived_on IS NOT NULL)
   OR (s.moment IN ('stop', 'aanpassing') AND s.outcome = 'open' AND s.message_id IS NULL)
ORDER BY s.id
"""
_TEMPORARY_STOPS: Final = """
SELECT k.g, k.a, k.p, k.n, k.c, k.o, k.b
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::date[])
  AS k(g, a, p, n, c, o, b)
WHERE EXISTS (
    SELECT 1 FROM history_stop h
    WHERE h.gemeente = k.g AND h.aanbieder = k.a AND h.person_key = k.p
      AND h.toewijzing_nummer = k.n AND h.product_categorie = k.c AND h.product_code = k.o
      AND h.begindatum = k.b AND h.reden_beeindiging = '20' AND NOT h.deleted)
"""
# A 323's receipt from the ledger; one the ledger does not hold (imported history, purged)
# by its Dagtekening, as an imported message's arrival is.
_DECLARATIES: Final = """
SELECT k.d, k.a, k.i, d.dagtekening, d.message_id, m.received_at
FROM unnest($1::text[], $2::text[], $3::text[]) AS k(d, a, i)
JOIN history_declaratie d ON d.domain = k.d AND d.aanbieder = k.a AND d.identificatie = k.i
LEFT JOIN message m ON m.id = d.message_id
"""


def _columns(keys: frozenset[ToewijzingKey]) -> tuple[list[str], ...]:
    ordered = sorted(keys)
    return tuple([k[i] for k in ordered] for i in range(4))


async def lookups(conn: Conn, wanted: Wanted) -> Lookups:
    """What measuring the batch reads: the history and sleutelmomenten as they were before
    it, for the keys `wanted` names (no query for a kind with no key)."""
    current: dict[ToewijzingKey, Current] = {}
    if wanted.toewijzingen:
        for r in await conn.fetch(_TOEWIJZINGEN, *_columns(wanted.toewijzingen)):
            current[(r[0], r[1], r[2], r[3])] = Current(r[4], r[5])
    first: dict[ToewijzingKey, date] = {}
    open_stops: dict[ToewijzingKey, tuple[int, ...]] = {}
    open_aanpassingen: dict[ToewijzingKey, OpenRow] = {}
    keys = wanted.first_arrivals | wanted.open_stops | wanted.open_aanpassingen
    if keys:
        for r in await conn.fetch(_MOMENTS, *_columns(keys)):
            key: ToewijzingKey = (r[0], r[1], r[2], r[3])
            if r[4] == "toewijzing":
                held = first.get(key)
                first[key] = r[7] if held is None or r[7] < held else held
            elif r[4] == "stop":
                open_stops[key] = (*open_stops.get(key, ()), r[5])
            else:
                open_aanpassingen.setdefault(key, OpenRow(r[5], r[6], r[8]))
    temporary: set[StartOf] = set()
    if wanted.temporary_stops:
        starts = sorted(wanted.temporary_stops)
        rows = await conn.fetch(
            _TEMPORARY_STOPS,
            [s[0] for s in starts], [s[1] for s in starts], [s[2] for s in starts],
            [s[3].toewijzing for s in starts], [s[3].categorie for s in starts],
            [s[3].code for s in starts], [s[3].begindatum for s in starts],
        )  # fmt: skip
        found = {(r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows}
        temporary = {
            s for s in starts if (s[0], s[1], s[2], *s[3].product, s[3].begindatum) in found
        }
    declaraties: dict[DeclaratieKey, Declared] = {}
    if wanted.declaraties:
        ordered = sorted(wanted.declaraties)
        for r in await conn.fetch(
            _DECLARATIES, [k[0] for k in ordered], [k[1] for k in ordered], [k[2] for k in ordered]
        ):
            received = workdays.local_date(r[5]) if r[5] is not None else r[3]
            declaraties[(r[0], r[1], r[2])] = Declared(received, r[4])
    return Lookups(
        current, first, frozenset(temporary), open_stops, open_aanpassingen, declaraties
    )  # fmt: skip


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
