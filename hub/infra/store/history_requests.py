"""The request history's SQL (table history_request, migration 0012): which 315/317
references exist and what answered them. Persons are person_key only; the caller owns the
transaction (hub/infra/store/history.py calls these inside load_history / apply_history)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from uuid import UUID

from hub.domain.history.facts import HistoryFacts
from hub.domain.history.state import AFGEWEZEN, HONOURED, ONDERZOEK, Answer, Request, RequestKey
from hub.infra.store.base import DbConnection, Pool

__all__ = ["apply_requests", "load_requests"]


async def load_requests(
    db: DbConnection | Pool, facts_list: Sequence[HistoryFacts]
) -> dict[RequestKey, Request]:
    """The requests the batch names by ReferentieAanbieder, and every open request of the
    clients that send a 315 or 317 (TR374), in one query."""
    keys = sorted(
        {
            RequestKey(f.parties.domain, f.parties.aanbieder, ref)
            for f in facts_list
            if f.parties is not None
            for ref in f.referenties
        }
    )
    clients = sorted(
        {
            (f.scope.gemeente, f.scope.aanbieder, f.scope.person)
            for f in facts_list
            if f.scope is not None and (f.aanvragen or f.verzoek is not None)
        }
    )
    if not keys and not clients:
        return {}
    rows = await db.fetch(
        """
        SELECT domain, aanbieder, referentie, gemeente, person_key, berichtsoort, onderzoek,
               afgewezen, honoured
        FROM history_request h
        JOIN unnest($1::text[], $2::text[], $3::text[]) AS q(d, a, r)
          ON h.domain = q.d AND h.aanbieder = q.a AND h.referentie = q.r
        UNION
        SELECT domain, aanbieder, referentie, gemeente, person_key, berichtsoort, onderzoek,
               afgewezen, honoured
        FROM history_request h
        JOIN unnest($4::text[], $5::text[], $6::text[]) AS c(g, a, p)
          ON h.gemeente = c.g AND h.aanbieder = c.a AND h.person_key = c.p
        WHERE NOT h.afgewezen AND NOT h.honoured
        """,
        [k.domain for k in keys],
        [k.aanbieder for k in keys],
        [k.referentie for k in keys],
        [c[0] for c in clients],
        [c[1] for c in clients],
        [c[2] for c in clients],
    )
    return {RequestKey(r[0], r[1], r[2]): Request(r[3], r[4], r[5], r[6], r[7], r[8]) for r in rows}


async def apply_requests(
    conn: DbConnection,
    requests: Mapping[RequestKey, tuple[Request, UUID | None]],
    answers: Mapping[RequestKey, tuple[set[Answer], UUID | None]],
) -> None:
    """Insert the new requests once, then turn on the answer flags the batch gives (each
    request's answers in one source row: PostgreSQL applies one of several)."""
    if requests:
        keys = list(requests)
        await conn.execute(
            """
            INSERT INTO history_request (domain, aanbieder, referentie, gemeente, person_key,
                berichtsoort, message_id)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                                 $6::text[], $7::uuid[])
            ON CONFLICT DO NOTHING
            """,
            [k.domain for k in keys],
            [k.aanbieder for k in keys],
            [k.referentie for k in keys],
            [requests[k][0].gemeente for k in keys],
            [requests[k][0].person for k in keys],
            [requests[k][0].berichtsoort for k in keys],
            [requests[k][1] for k in keys],
        )
    if answers:
        marks = list(answers)
        # The flags only turn true: order-free and idempotent, like the rows above.
        await conn.execute(
            """
            UPDATE history_request h SET
                onderzoek = h.onderzoek OR q.o, afgewezen = h.afgewezen OR q.f,
                honoured = h.honoured OR q.h, answered_by = q.m
            FROM unnest($1::text[], $2::text[], $3::text[], $4::bool[], $5::bool[], $6::bool[],
                        $7::uuid[]) AS q(d, a, r, o, f, h, m)
            WHERE h.domain = q.d AND h.aanbieder = q.a AND h.referentie = q.r
              AND NOT (h.onderzoek >= q.o AND h.afgewezen >= q.f AND h.honoured >= q.h)
            """,
            [k.domain for k in marks],
            [k.aanbieder for k in marks],
            [k.referentie for k in marks],
            [ONDERZOEK in answers[k][0] for k in marks],
            [AFGEWEZEN in answers[k][0] for k in marks],
            [HONOURED in answers[k][0] for k in marks],
            [answers[k][1] for k in marks],
        )
