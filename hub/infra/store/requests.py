"""The verzoeken's answer clocks (migration 0014): record a 315/317's deadline per
ReferentieAanbieder, close or extend it when the gemeente's 301/319 carries that reference,
and claim the overdue ones for the deadline watch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple, dataclass
from datetime import date, datetime
from uuid import UUID

from hub.infra.store.base import DbConnection as Conn
from hub.infra.store.base import Pool


@dataclass(frozen=True, slots=True)
class Request:
    """One ReferentieAanbieder of an accepted 315/317, with its two deadlines."""

    message_id: UUID
    referentie: str
    standard: str
    message_type: str
    bericht_code: str
    release: str | None
    aanbieder: str
    gemeente: str
    person_key: str | None
    received_at: datetime
    dagtekening: date
    due: datetime  # the answer clock: 5 werkdagen after receipt
    final_due: datetime  # the final answer after "in onderzoek": 8 weeks after dagtekening


@dataclass(frozen=True, slots=True)
class Answer:
    """An accepted 301 or 319 from `gemeente` to `aanbieder` carrying `referentie`.
    `interim` is a 319 with VerzoekAntwoord 2 ("in onderzoek")."""

    standard: str
    aanbieder: str
    gemeente: str
    referentie: str
    message_id: UUID
    at: datetime
    interim: bool = False


@dataclass(frozen=True, slots=True)
class OverdueRequest:
    message_id: UUID
    referentie: str
    standard: str
    message_type: str
    bericht_code: str
    release: str | None
    aanbieder: str
    gemeente: str
    person_key: str | None
    received_at: datetime
    clock: str  # 'answer' (no 301/319 in 5 werkdagen) or 'final' (after "in onderzoek")
    due: datetime


_COLUMNS = (
    "message_id", "referentie", "standard", "message_type", "bericht_code", "release",
    "aanbieder", "gemeente", "person_key", "received_at", "dagtekening", "due", "final_due",
)  # fmt: skip
_OVERDUE = (
    "message_id, referentie, standard, message_type, bericht_code, release, aanbieder,"
    " gemeente, person_key, received_at, clock, due"
)


async def record(conn: Conn, requests: Sequence[Request]) -> None:
    """Start the answer clock of each ReferentieAanbieder (a repeat within one verzoek, which
    TR383 refuses anyway, keeps the first)."""
    if requests:
        await conn.executemany(
            f"INSERT INTO request_deadline ({', '.join(_COLUMNS)})"
            f" VALUES ({', '.join(f'${i}' for i in range(1, len(_COLUMNS) + 1))})"
            " ON CONFLICT DO NOTHING",
            [astuple(r) for r in requests],
        )


# A final answer (301, 319 afgewezen) closes every running clock of the reference; an
# interim one (319 "in onderzoek") meets the answer clock and starts the final one, once.
_ANSWER = """
UPDATE request_deadline SET
    clock       = CASE WHEN $7 THEN 'final' ELSE clock END,
    due         = CASE WHEN $7 THEN final_due ELSE due END,
    overdue_at  = CASE WHEN $7 THEN NULL ELSE overdue_at END,
    interim_id  = CASE WHEN $7 THEN $5 ELSE interim_id END,
    interim_at  = CASE WHEN $7 THEN $6 ELSE interim_at END,
    answer_id   = CASE WHEN $7 THEN NULL ELSE $5 END,
    answered_at = CASE WHEN $7 THEN NULL ELSE $6 END
WHERE standard = $1 AND aanbieder = $2 AND gemeente = $3 AND referentie = $4
  AND answered_at IS NULL AND (NOT $7 OR clock = 'answer')
"""


async def answer(conn: Conn, answers: Sequence[Answer]) -> None:
    """Apply the answers in arrival order."""
    if answers:
        await conn.executemany(
            _ANSWER,
            [
                (a.standard, a.aanbieder, a.gemeente, a.referentie, a.message_id, a.at, a.interim)
                for a in answers
            ],
        )


async def claim_overdue(conn: Conn, now: datetime, limit: int = 500) -> list[OverdueRequest]:
    """Running clocks past their deadline, not yet reported; marks them reported (each clock
    of a reference is reported once: the final clock again after "in onderzoek")."""
    rows = await conn.fetch(
        f"""
        UPDATE request_deadline SET overdue_at = $1
        WHERE (message_id, referentie) IN (
            SELECT message_id, referentie FROM request_deadline
            WHERE due < $1 AND answered_at IS NULL AND overdue_at IS NULL
            ORDER BY due LIMIT $2 FOR UPDATE SKIP LOCKED)
        RETURNING {_OVERDUE}
        """,
        now,
        limit,
    )
    return [OverdueRequest(**dict(r)) for r in rows]


async def overdue(pool: Pool, limit: int = 1000) -> list[OverdueRequest]:
    """Every verzoek reference still waiting for the gemeente's answer past its deadline."""
    rows = await pool.fetch(
        f"SELECT {_OVERDUE} FROM request_deadline"
        " WHERE due < now() AND answered_at IS NULL ORDER BY due LIMIT $1",
        limit,
    )
    return [OverdueRequest(**dict(r)) for r in rows]


async def count_overdue(conn: Conn | Pool, now: datetime) -> int:
    """How many references wait past their deadline (the isdhub_requests_overdue gauge)."""
    found = await conn.fetchval(
        "SELECT count(*) FROM request_deadline WHERE due < $1 AND answered_at IS NULL", now
    )
    return int(found or 0)
