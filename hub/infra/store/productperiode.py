"""The productperiode conflicts' SQL (migration 0021): the pending prestaties of the toewijzingen
a batch of 301s shortened, and the conflicts raised (each once, whatever the redeliveries)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

from hub.domain.sleutelmomenten.conflict import Conflict, PendingPrestatie
from hub.domain.sleutelmomenten.moments import Shortening
from hub.infra.store.base import DbConnection

# The shortened toewijzingen come in as parallel arrays: one round trip for the batch, on the
# index history_prestatie_toewijzing. Only debets still waiting for their 325 can be refused.
_PENDING: Final = """
SELECT p.domain, p.gemeente, p.aanbieder, p.toewijzing_nummer, p.declaratie,
       p.referentie_nummer, p.product_categorie, p.product_code, p.begindatum, p.einddatum,
       p.credit
FROM (SELECT DISTINCT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
          AS s(domain, gemeente, aanbieder, toewijzing_nummer)) s
JOIN history_prestatie p USING (domain, gemeente, aanbieder, toewijzing_nummer)
WHERE p.status = 'pending' AND NOT p.credit
"""

_INSERT: Final = """
INSERT INTO productperiode_conflict (
    raised_at, domain, gemeente, aanbieder, person_key, toewijzing_nummer, einddatum,
    previous_einddatum, declaratie, referentie_nummers, periode_begin, periode_eind, relation,
    message_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
ON CONFLICT (message_id, declaratie, toewijzing_nummer) DO NOTHING
RETURNING id
"""


async def pending_prestaties(
    conn: DbConnection, shortenings: Sequence[Shortening]
) -> list[PendingPrestatie]:
    """The unanswered debet prestaties of the shortened toewijzingen, whatever their period."""
    if not shortenings:
        return []
    rows = await conn.fetch(
        _PENDING,
        [s.domain for s in shortenings],
        [s.gemeente for s in shortenings],
        [s.aanbieder for s in shortenings],
        [s.toewijzing_nummer for s in shortenings],
    )
    return [PendingPrestatie(**dict(r)) for r in rows]


async def insert(
    conn: DbConnection, conflicts: Sequence[Conflict], raised_at: datetime
) -> list[Conflict]:
    """Record the conflicts; returns those that were new (a redelivered 301 finds its own)."""
    # One statement per conflict: they are rare (none for almost every 301), and each carries
    # an array of its own, which unnest cannot take as a batch.
    new: list[Conflict] = []
    for c in conflicts:
        s = c.shortening
        inserted = await conn.fetchval(
            _INSERT, raised_at, s.domain, s.gemeente, s.aanbieder, s.person_key,
            s.toewijzing_nummer, s.einddatum, s.previous_einddatum, c.declaratie,
            list(c.referentie_nummers), c.periode_begin, c.periode_eind, c.relation,
            s.message_id,
        )  # fmt: skip
        if inserted is not None:
            new.append(c)
    return new
