"""Push delivery's SQL: the parties' endpoints with their sealed secrets, and the push state
of each delivery (claim, delivered, retry, failed, the pending gauge).

A push row is made by migration 0022's trigger when a delivery to a party with an endpoint is
inserted. A claim takes due rows with FOR UPDATE SKIP LOCKED and moves their next_at past the
attempt (a lease), so two replicas of an adapter do not push the same row at the same time;
an adapter that dies mid-push leaves the row to be claimed again when the lease ends (at least
once).

The secret must be usable to sign, so it is sealed (AES-256-GCM, the party code as associated
data) under a key derived with HKDF from HUB_PERSON_KEY_SECRET, which production sets: a dump
of the database alone does not reveal it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from hub.domain.errors import ConfigError
from hub.infra.store.base import DbConnection, Pool

_SEAL_INFO: Final = b"isd-hub push endpoint secret v1"
_NONCE_BYTES: Final = 12
_LEASE_MARGIN_S: Final = 5.0  # beyond the attempt's timeout, for the bookkeeping around it


# --- the sealed secret --------------------------------------------------------------------


def _key(master: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_SEAL_INFO)
    return hkdf.derive(master.encode())


def seal(master: str, party: str, secret: bytes) -> bytes:
    """`secret` sealed for `party` under the key derived from `master`: nonce, then ciphertext."""
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + AESGCM(_key(master)).encrypt(nonce, secret, party.encode())


def unseal(master: str, party: str, sealed: bytes) -> bytes:
    """The secret back; ConfigError when the key changed (HUB_PERSON_KEY_SECRET is not the one
    it was sealed with) or the row was moved to another party."""
    try:
        return AESGCM(_key(master)).decrypt(
            sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], party.encode()
        )
    except InvalidTag:
        raise ConfigError(
            f"the push secret of {party} cannot be unsealed: HUB_PERSON_KEY_SECRET differs from "
            "the one it was set with; set it again with `hub party push set`"
        ) from None


# --- endpoints ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A party's endpoint as `hub party push show` reports it (never the secret)."""

    party: str
    url: str
    created_at: datetime
    updated_at: datetime
    pending: int
    delivered: int
    failed: int
    oldest_pending: datetime | None
    last_error: str | None
    kind: str = "http"  # hub/domain/push.py KINDS


async def set_endpoint(pool: Pool, party: str, url: str, sealed: bytes, kind: str = "http") -> None:
    """Register or replace the party's endpoint (pending pushes go to the new URL)."""
    await pool.execute(
        """
        INSERT INTO push_endpoint (party, url, secret_sealed, kind) VALUES ($1, $2, $3, $4)
        ON CONFLICT (party) DO UPDATE
        SET url = excluded.url, secret_sealed = excluded.secret_sealed, kind = excluded.kind,
            updated_at = now()
        """,
        party,
        url,
        sealed,
        kind,
    )


async def endpoint(pool: Pool, party: str) -> Endpoint | None:
    row = await pool.fetchrow(
        """
        SELECT e.party, e.url, e.created_at, e.updated_at, e.kind,
               count(*) FILTER (WHERE p.state = 'pending') AS pending,
               count(*) FILTER (WHERE p.state = 'delivered') AS delivered,
               count(*) FILTER (WHERE p.state = 'failed') AS failed,
               min(p.created_at) FILTER (WHERE p.state = 'pending') AS oldest_pending,
               (SELECT q.last_error FROM push_delivery q
                WHERE q.party = e.party AND q.last_error IS NOT NULL
                ORDER BY q.delivery_id DESC LIMIT 1) AS last_error
        FROM push_endpoint e LEFT JOIN push_delivery p ON p.party = e.party
        WHERE e.party = $1
        GROUP BY e.party
        """,
        party,
    )
    return Endpoint(**dict(row)) if row else None


async def remove_endpoint(pool: Pool, party: str) -> bool:
    """Forget the party's endpoint and its pending pushes (the messages stay in its inbox)."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "DELETE FROM push_delivery WHERE party = $1 AND state = 'pending'", party
        )
        result = await conn.execute("DELETE FROM push_endpoint WHERE party = $1", party)
    return result.split()[-1] != "0"


# --- the pushes ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Job:
    """One claimed push: what to send, where, and how old it is."""

    delivery_id: int
    message_id: UUID
    party: str
    attempt: int  # 1 for the first
    created_at: datetime
    claimed_at: datetime
    payload: bytes
    bericht_code: str | None
    purged: bool
    url: str
    secret_sealed: bytes
    kind: str = "http"  # hub/domain/push.py KINDS
    last_error: str | None = None  # what the previous attempt came to (Answer.text)

    @property
    def age_s(self) -> float:
        return (self.claimed_at - self.created_at).total_seconds()


async def claim(
    pool: Pool, node: str, busy: Sequence[str], slots: int, timeout_s: float
) -> list[Job]:
    """Up to `slots` due pushes of `node`, at most one per party and none of the `busy`
    parties (one under way each), the longest due first, so a party with a long queue or a
    slow endpoint holds one slot and the others' pushes still go out."""
    if slots <= 0:
        return []
    rows = await pool.fetch(
        """
        WITH cand AS (
            SELECT p.delivery_id, p.party, p.next_at FROM push_delivery p
            WHERE p.node = $1 AND p.state = 'pending' AND p.next_at <= now()
              AND p.party <> ALL($2::text[])
            ORDER BY p.next_at
            LIMIT $3 * 50
            FOR UPDATE SKIP LOCKED
        ), pick AS (
            SELECT delivery_id FROM (
                SELECT DISTINCT ON (party) delivery_id, next_at FROM cand
                ORDER BY party, next_at
            ) one ORDER BY next_at LIMIT $3
        )
        UPDATE push_delivery p
        SET next_at = now() + make_interval(secs => $4), attempts = p.attempts + 1
        FROM pick, message m, push_endpoint e
        WHERE p.delivery_id = pick.delivery_id AND m.id = p.message_id AND e.party = p.party
        RETURNING p.delivery_id, p.message_id, p.party, p.attempts AS attempt, p.created_at,
                  now() AS claimed_at, m.payload, m.bericht_code,
                  m.purged_at IS NOT NULL AS purged, e.url, e.secret_sealed, e.kind,
                  p.last_error
        """,
        node,
        list(busy),
        slots,
        timeout_s + _LEASE_MARGIN_S,
    )
    return [Job(**{**dict(r), "payload": bytes(r["payload"])}) for r in rows]


async def delivered(conn: DbConnection, delivery_id: int) -> bool:
    """Mark the push delivered and its inbox item downloaded (not acknowledged: the pull inbox
    still lists it until the party acknowledges). True when this was its first download."""
    row = await conn.fetchrow(
        """
        WITH done AS (
            UPDATE push_delivery SET state = 'delivered', done_at = now(), last_error = NULL
            WHERE delivery_id = $1 AND state = 'pending'
            RETURNING delivery_id
        ), prev AS (
            SELECT d.id, d.downloaded_at FROM delivery d JOIN done ON done.delivery_id = d.id
        )
        UPDATE delivery d SET downloaded_at = coalesce(d.downloaded_at, now())
        FROM prev WHERE d.id = prev.id
        RETURNING prev.downloaded_at IS NULL AS first
        """,
        delivery_id,
    )
    return bool(row and row["first"])


async def retry(pool: Pool, delivery_id: int, in_s: float, error: str) -> None:
    await pool.execute(
        "UPDATE push_delivery SET next_at = now() + make_interval(secs => $2), last_error = $3"
        " WHERE delivery_id = $1 AND state = 'pending'",
        delivery_id,
        in_s,
        error,
    )


async def failed(conn: DbConnection, delivery_id: int, error: str) -> bool:
    """Mark the push given up; False when it was not pending any more (another replica)."""
    result = await conn.execute(
        "UPDATE push_delivery SET state = 'failed', done_at = now(), last_error = $2"
        " WHERE delivery_id = $1 AND state = 'pending'",
        delivery_id,
        error,
    )
    return result.split()[-1] != "0"


async def pending(pool: Pool, node: str) -> tuple[int, float]:
    """How many pushes of `node` are pending, and the age in seconds of the oldest."""
    row = await pool.fetchrow(
        "SELECT count(*) AS n, coalesce(extract(epoch FROM now() - min(created_at)), 0) AS age"
        " FROM push_delivery WHERE node = $1 AND state = 'pending'",
        node,
    )
    assert row is not None
    return int(row["n"]), float(row["age"])


async def state(pool: Pool, message_id: UUID, party: str) -> dict[str, object] | None:
    """A push row as it stands (tests, `hub trace`-like checks)."""
    row = await pool.fetchrow(
        "SELECT state, attempts, last_error, done_at FROM push_delivery"
        " WHERE message_id = $1 AND party = $2",
        message_id,
        party,
    )
    return dict(row) if row else None
