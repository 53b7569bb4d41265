"""The asynchronous Fo01s' SQL: the queue migration 0027's trigger fills from the dead letters of
messages that came through the GGk door, claimed, delivered, retried or given up like pushes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final
from uuid import UUID

from hub.infra.store.base import Pool

_LEASE_MARGIN_S: Final = 5.0  # beyond the attempt's timeout, for the bookkeeping around it


@dataclass(frozen=True, slots=True)
class Fo01Job:
    """One claimed Fo01: about which envelope, why, and where it goes."""

    message_id: UUID
    party: str
    referentienummer: str
    stage: str
    error: str
    attempt: int
    created_at: datetime
    claimed_at: datetime
    url: str
    secret_sealed: bytes  # the endpoint's push secret: a Fo01 is signed like every push
    last_error: str | None = None  # what the previous attempt came to

    @property
    def age_s(self) -> float:
        return (self.claimed_at - self.created_at).total_seconds()


async def claim(pool: Pool, slots: int, timeout_s: float) -> list[Fo01Job]:
    """Up to `slots` due Fo01s whose sender still has a GGk SOAP endpoint, leased past their
    attempt so a second adapter replica does not send the same one at the same time."""
    rows = await pool.fetch(
        """
        WITH pick AS (
            SELECT f.message_id FROM ggk_fo01 f
            WHERE f.state = 'pending' AND f.next_at <= now()
            ORDER BY f.next_at LIMIT $1
            FOR UPDATE SKIP LOCKED
        )
        UPDATE ggk_fo01 f
        SET next_at = now() + make_interval(secs => $2), attempts = f.attempts + 1
        FROM pick, push_endpoint e
        WHERE f.message_id = pick.message_id AND e.party = f.party AND e.kind = 'ggk-soap'
        RETURNING f.message_id, f.party, f.referentienummer, f.stage, f.error,
                  f.attempts AS attempt, f.created_at, now() AS claimed_at, e.url,
                  e.secret_sealed, f.last_error
        """,
        slots,
        timeout_s + _LEASE_MARGIN_S,
    )
    return [Fo01Job(**dict(r)) for r in rows]


async def done(pool: Pool, message_id: UUID, state: str, error: str | None) -> None:
    """Mark the Fo01 delivered or failed (given up)."""
    await pool.execute(
        "UPDATE ggk_fo01 SET state = $2, done_at = now(), last_error = $3"
        " WHERE message_id = $1 AND state = 'pending'",
        message_id,
        state,
        error,
    )


async def retry(pool: Pool, message_id: UUID, in_s: float, error: str) -> None:
    await pool.execute(
        "UPDATE ggk_fo01 SET next_at = now() + make_interval(secs => $2), last_error = $3"
        " WHERE message_id = $1 AND state = 'pending'",
        message_id,
        in_s,
        error,
    )


async def state(pool: Pool, message_id: UUID) -> dict[str, object] | None:
    """A Fo01 row as it stands (tests)."""
    row = await pool.fetchrow(
        "SELECT state, attempts, last_error, referentienummer FROM ggk_fo01 WHERE message_id = $1",
        message_id,
    )
    return dict(row) if row else None
