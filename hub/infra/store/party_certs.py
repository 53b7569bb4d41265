"""The client certificates each party authenticates with at its adapter (table: 0023).

A certificate maps to a party by its SHA-256 fingerprint (that certificate alone) or by its
subject DN (any certificate the trusted client CA issues with that subject). A fingerprint row
wins over a subject row when both match, being the narrower registration.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import asyncpg

from hub.domain.errors import ConfigError
from hub.domain.parties import Party
from hub.infra.store.base import Pool
from hub.infra.store.parties import _PARTY_COLUMNS, _party

Match = Literal["fingerprint", "subject"]


@dataclass(frozen=True, slots=True)
class PartyCertificate:
    """One registration: which party, matched how, and the registered certificate's facts."""

    id: int
    party: str
    match: Match
    fingerprint: str  # SHA-256 of the DER, lowercase hex
    subject: str  # RFC 4514
    not_after: datetime
    added_at: datetime


_COLUMNS = "c.id, c.party, c.match, c.fingerprint, c.subject, c.not_after, c.added_at"


async def add_certificate(
    pool: Pool, party: str, match: Match, fingerprint: str, subject: str, not_after: datetime
) -> tuple[PartyCertificate, bool]:
    """Register a certificate for a party; returns the row and whether it is new. The same
    certificate (or subject) already registered for another party is refused."""
    key = "fingerprint" if match == "fingerprint" else "subject"
    value = fingerprint if match == "fingerprint" else subject
    async with pool.acquire() as conn, conn.transaction():
        held = await conn.fetchrow(
            f"SELECT {_COLUMNS} FROM party_certificate c WHERE c.match = $1 AND c.{key} = $2",
            match,
            value,
        )
        if held is not None:
            if held["party"] != party:
                raise ConfigError(
                    f"this certificate's {key} is registered to party {held['party']}; "
                    f"remove it there first (`hub party cert remove {held['party']} ...`)"
                )
            return PartyCertificate(**dict(held)), False
        try:
            row = await conn.fetchrow(
                f"""
                INSERT INTO party_certificate AS c (party, match, fingerprint, subject, not_after)
                VALUES ($1, $2, $3, $4, $5)
                RETURNING {_COLUMNS}
                """,
                party,
                match,
                fingerprint,
                subject,
                not_after,
            )
        except asyncpg.ForeignKeyViolationError:
            raise ConfigError(
                f"unknown party {party}; add it with `hub party add` or `hub party import`"
            ) from None
    assert row is not None
    return PartyCertificate(**dict(row)), True


async def remove_certificates(
    pool: Pool, party: str, *, fingerprint: str, subject: str | None = None
) -> int:
    """Remove a party's registrations of one certificate: its fingerprint row, and with
    `subject` also the row that maps that subject. Returns how many rows went."""
    result = await pool.execute(
        "DELETE FROM party_certificate WHERE party = $1"
        " AND ((match = 'fingerprint' AND fingerprint = $2)"
        "   OR (match = 'subject' AND subject = $3))",
        party,
        fingerprint,
        subject,
    )
    return int(result.split()[-1])


async def certificates(pool: Pool, party: str) -> list[PartyCertificate]:
    """A party's registered certificates, oldest first."""
    rows = await pool.fetch(
        f"SELECT {_COLUMNS} FROM party_certificate c WHERE c.party = $1 ORDER BY c.id", party
    )
    return [PartyCertificate(**dict(r)) for r in rows]


async def party_by_certificate(pool: Pool, fingerprint: str, subject: str) -> Party | None:
    """The party a presented certificate maps to (one query; the fingerprint's row first),
    with its delegations, as a token gives it; None when no row matches."""
    row = await pool.fetchrow(
        f"SELECT {_PARTY_COLUMNS} FROM party_certificate c JOIN party p ON p.code = c.party"
        " WHERE (c.match = 'fingerprint' AND c.fingerprint = $1)"
        "    OR (c.match = 'subject' AND c.subject = $2)"
        " ORDER BY (c.match = 'fingerprint') DESC LIMIT 1",
        fingerprint,
        subject,
    )
    return _party(row) if row else None
