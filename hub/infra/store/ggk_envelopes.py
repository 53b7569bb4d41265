"""The GGk door's SQL: each StUF-GGk envelope's referentienummer with its message, the Bv03 an
envelope taken in was answered with, and what an outgoing envelope needs from the ledger.

Migration 0025 made the table. An envelope taken in is keyed by its message id, which the door
derives from (node, caller, referentienummer) like an Idempotency-Key: a resend finds its row
and is answered with the same receipt. An outgoing envelope keeps one referentienummer across
every retry of its delivery (the first attempt writes it).
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from hub.infra.store.base import Pool


@dataclass(frozen=True, slots=True)
class Received:
    """An envelope the door took in before."""

    referentienummer: str
    digest: bytes
    receipt: bytes


async def received(pool: Pool, message_id: UUID) -> Received | None:
    row = await pool.fetchrow(
        "SELECT referentienummer, digest, receipt FROM ggk_envelope"
        " WHERE message_id = $1 AND direction = 'in'",
        message_id,
    )
    if row is None or row["receipt"] is None:
        return None
    return Received(row["referentienummer"], bytes(row["digest"]), bytes(row["receipt"]))


async def note_received(
    pool: Pool, message_id: UUID, party: str, referentienummer: str, berichtcode: str
) -> None:
    """Record the envelope before its message is produced, so the core finds it should it set
    the message aside (migration 0027's Fo01 queue); its receipt follows once accepted."""
    await pool.execute(
        """
        INSERT INTO ggk_envelope (message_id, direction, party, referentienummer, berichtcode)
        VALUES ($1, 'in', $2, $3, $4)
        ON CONFLICT (message_id, direction) DO NOTHING
        """,
        message_id,
        party,
        referentienummer,
        berichtcode,
    )


async def release_received(pool: Pool, message_id: UUID) -> None:
    """Forget the record of an envelope whose message the acceptance path refused (no receipt
    kept yet): nothing half-accepted, as the VECOZO door's references."""
    await pool.execute(
        "DELETE FROM ggk_envelope WHERE message_id = $1 AND direction = 'in' AND receipt IS NULL",
        message_id,
    )


async def keep_received(
    pool: Pool,
    message_id: UUID,
    party: str,
    referentienummer: str,
    berichtcode: str,
    digest: bytes,
    receipt: bytes,
) -> bytes:
    """Keep the receipt of an accepted envelope; the one kept first when a concurrent resend
    got there before (so both are answered the same)."""
    row = await pool.fetchrow(
        """
        INSERT INTO ggk_envelope (message_id, direction, party, referentienummer,
                                  berichtcode, digest, receipt)
        VALUES ($1, 'in', $2, $3, $4, $5, $6)
        ON CONFLICT (message_id, direction) DO UPDATE
        SET digest = coalesce(ggk_envelope.digest, excluded.digest),
            receipt = coalesce(ggk_envelope.receipt, excluded.receipt)
        RETURNING receipt
        """,
        message_id,
        party,
        referentienummer,
        berichtcode,
        digest,
        receipt,
    )
    return bytes(row["receipt"]) if row and row["receipt"] is not None else receipt


@dataclass(frozen=True, slots=True)
class Outgoing:
    """What the envelope of a delivered message needs from the ledger."""

    message_id: UUID
    afzender: str | None
    answers: UUID | None  # a retour: the heenbericht it answers


async def outgoing(pool: Pool, message_id: UUID) -> Outgoing | None:
    row = await pool.fetchrow(
        "SELECT id, afzender, answers FROM message WHERE id = $1",
        message_id,
    )
    return Outgoing(row["id"], row["afzender"], row["answers"]) if row else None


async def reference(
    pool: Pool, message_id: UUID, direction: str, party: str, berichtcode: str, fresh: str
) -> str:
    """The referentienummer of the message's envelope in `direction`: the one recorded, else
    `fresh`, recorded now (so every retry and every Du01 answering it name the same one)."""
    row = await pool.fetchrow(
        """
        WITH ins AS (
            INSERT INTO ggk_envelope (message_id, direction, party, referentienummer, berichtcode)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (message_id, direction) DO NOTHING
            RETURNING referentienummer
        )
        SELECT referentienummer FROM ins
        UNION ALL
        SELECT referentienummer FROM ggk_envelope WHERE message_id = $1 AND direction = $2
        LIMIT 1
        """,
        message_id,
        direction,
        party,
        fresh,
        berichtcode,
    )
    assert row is not None
    return str(row["referentienummer"])


async def heen_reference(pool: Pool, message_id: UUID) -> str | None:
    """The referentienummer of the envelope a heenbericht travelled in (taken in from its
    sender, or delivered by the hub), or None when it came another way (the JSON API)."""
    value = await pool.fetchval(
        "SELECT referentienummer FROM ggk_envelope WHERE message_id = $1"
        " ORDER BY direction LIMIT 1",  # 'in' first: the sender's own number
        message_id,
    )
    return None if value is None else str(value)
