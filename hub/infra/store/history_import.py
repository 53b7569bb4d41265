"""What `hub history import` reads and writes beside intake's history and eigen-bijdrage store
functions: which message an Identificatie was imported with, and the CAK's baseline periods."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from hub.domain.eigenbijdrage.periods import DELETE, NEW, Entry, Route
from hub.domain.history.state import IdentificatieKey
from hub.infra.store.base import DbConnection


async def identificatie_owners(
    conn: DbConnection, keys: Sequence[IdentificatieKey]
) -> dict[IdentificatieKey, UUID | None]:
    """The message id each of these Identificaties was recorded with (absent: unknown)."""
    if not keys:
        return {}
    rows = await conn.fetch(
        """
        SELECT h.afzender, h.berichtsoort, h.identificatie, h.message_id
        FROM history_identificatie h
        JOIN unnest($1::text[], $2::text[], $3::text[]) AS q(a, b, i)
          ON h.afzender = q.a AND h.berichtsoort = q.b AND h.identificatie = q.i
        """,
        [k.sender for k in keys],
        [k.berichtsoort for k in keys],
        [k.identificatie for k in keys],
    )
    return {IdentificatieKey(r[0], r[1], r[2]): r[3] for r in rows}


async def record_baseline(
    conn: DbConnection,
    told: Sequence[tuple[str, str, Route, Entry]],
    created_by: UUID,
    now: datetime,
) -> None:
    """Record periods the CAK already knows as told, with no notice: eb_melding rows as a sent
    notice leaves them (hub.infra.store.eigenbijdrage.save also writes the eb_notice and
    its ledger message, which a baseline has not; so only the melding part is done here)."""
    created = [(g, p, r, e) for g, p, r, e in told if e.status == NEW]
    changed = [e for _, _, _, e in told if e.status != NEW]
    if created:
        await conn.executemany(
            "INSERT INTO eb_melding (melding_id, gemeente, person_key, route,"
            " begindatum, einddatum, created_by, created_at, updated_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
            [
                (e.melding_id, g, p, r.value, e.period.begin, e.period.end, created_by, now)
                for g, p, r, e in created
            ],
        )
    if changed:
        await conn.executemany(
            "UPDATE eb_melding SET begindatum = $2, einddatum = $3, retracted = $4,"
            " updated_at = $5 WHERE melding_id = $1",
            [
                (e.melding_id, e.period.begin, e.period.end, e.status == DELETE, now)
                for e in changed
            ],
        )
