"""The verzoeken's answer clocks (migration 0014): record a 315/317's deadline per
ReferentieAanbieder, close or extend it when the gemeente's 301/319 carries that reference
(saying which clocks it met: the antwoord sleutelmoment), and claim the overdue ones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple, dataclass
from datetime import date, datetime
from uuid import UUID

from hub.domain.sleutelmomenten.antwoord import Answered
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
# Returns each clock it closed or extended; `first`: the answer met the first (5 werkdagen)
# clock: an interim one always, a final one when no "in onderzoek" came before it.
_ANSWER = """
UPDATE request_deadline r SET
    clock       = CASE WHEN a.interim THEN 'final' ELSE r.clock END,
    due         = CASE WHEN a.interim THEN r.final_due ELSE r.due END,
    overdue_at  = CASE WHEN a.interim THEN NULL ELSE r.overdue_at END,
    interim_id  = CASE WHEN a.interim THEN a.id ELSE r.interim_id END,
    interim_at  = CASE WHEN a.interim THEN a.at ELSE r.interim_at END,
    answer_id   = CASE WHEN a.interim THEN NULL ELSE a.id END,
    answered_at = CASE WHEN a.interim THEN NULL ELSE a.at END
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::uuid[], $6::timestamptz[],
            $7::bool[]) AS a(standard, aanbieder, gemeente, referentie, id, at, interim)
WHERE r.standard = a.standard AND r.aanbieder = a.aanbieder AND r.gemeente = a.gemeente
  AND r.referentie = a.referentie
  AND r.answered_at IS NULL AND (NOT a.interim OR r.clock = 'answer')
RETURNING r.standard, r.gemeente, r.aanbieder, r.person_key, r.referentie, r.message_id,
          r.received_at, a.id, a.at, a.interim OR r.interim_id IS NULL
"""


def _rounds(answers: Sequence[Answer]) -> list[list[Answer]]:
    """The answers in rounds holding one answer per reference each, in arrival order: an
    UPDATE applies one source row per target row, and only answers to one reference meet."""
    rounds: list[list[Answer]] = []
    seen: dict[tuple[str, str, str, str], int] = {}
    for a in answers:
        key = (a.standard, a.aanbieder, a.gemeente, a.referentie)
        n = seen.get(key, 0)
        seen[key] = n + 1
        if n == len(rounds):
            rounds.append([])
        rounds[n].append(a)
    return rounds


async def answer(conn: Conn, answers: Sequence[Answer]) -> list[Answered]:
    """Apply the answers in arrival order (one statement per round: see `_rounds`); returns
    the clocks they closed or extended."""
    done: list[Answered] = []
    for batch in _rounds(answers):
        rows = await conn.fetch(
            _ANSWER,
            [a.standard for a in batch], [a.aanbieder for a in batch],
            [a.gemeente for a in batch], [a.referentie for a in batch],
            [a.message_id for a in batch], [a.at for a in batch], [a.interim for a in batch],
        )  # fmt: skip
        done.extend(Answered(*r) for r in rows)
    return done


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
