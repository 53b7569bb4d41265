"""Parties, their delegations (authorisations), their standards and bearer tokens (digests only)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from hub.domain.errors import ConfigError
from hub.domain.messages import Node, Role, Standard
from hub.domain.parties import INTERMEDIARY, Party, PartyKind, token_digest
from hub.infra.store.base import DbConnection, Pool

# --- parties -------------------------------------------------------------------------------
# The party registry and bearer tokens (tables: 0003_parties.sql; intermediaries and standards:
# 0018_party_intermediary_standards.sql). A token is stored only as
# its SHA-256 digest (hub/parties.token_digest); the token itself is shown once and forgotten.


@dataclass(frozen=True, slots=True)
class PartyImport:
    """What an import changed: codes added, codes whose row or delegations changed."""

    added: tuple[str, ...]
    changed: tuple[str, ...]
    unchanged: int


@dataclass(frozen=True, slots=True)
class PartyToken:
    id: int
    party: str
    label: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class AuthenticatedParty:
    """The party a valid token belongs to, and which token it was."""

    party: Party
    token_id: int


_PARTY_COLUMNS = (
    "p.code, p.name, p.node, p.kind, p.standards,"
    " ARRAY(SELECT d.sender FROM party_delegation d WHERE d.party = p.code) AS senders"
)
_STILL_VALID = (  # a token row t that authenticates now
    "(t.revoked_at IS NULL OR t.revoked_at > now())"
    " AND (t.expires_at IS NULL OR t.expires_at > now())"
)
_MAX_TOKEN_CHARS = 512  # far above a real token; longer is refused without hashing it


def _kind(value: str) -> PartyKind:
    return INTERMEDIARY if value == INTERMEDIARY.value else Role(value)


def _party(row: asyncpg.Record) -> Party:
    return Party(
        code=row["code"],
        name=row["name"],
        node=Node(row["node"]),
        kind=_kind(row["kind"]),
        may_submit_for=frozenset(row["senders"]),
        standards=frozenset(Standard(s) for s in row["standards"]),
    )


async def upsert_parties(pool: Pool, parties: Sequence[Party]) -> PartyImport:
    """Add or update parties and replace their delegations; one transaction, and a re-run
    of the same parties changes nothing. Parties not given are left alone."""
    if not parties:
        return PartyImport((), (), 0)
    codes = [p.code for p in parties]
    pairs = sorted((p.code, s) for p in parties for s in p.may_submit_for)
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            """
            INSERT INTO party AS p (code, name, node, kind, standards)
            SELECT c, n, o, k, ARRAY(SELECT jsonb_array_elements_text(s) ORDER BY 1)
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[])
                AS t(c, n, o, k, s)
            ON CONFLICT (code) DO UPDATE SET
                name = EXCLUDED.name, node = EXCLUDED.node, kind = EXCLUDED.kind,
                standards = EXCLUDED.standards, updated_at = now()
            WHERE (p.name, p.node, p.kind, p.standards) IS DISTINCT FROM
                  (EXCLUDED.name, EXCLUDED.node, EXCLUDED.kind, EXCLUDED.standards)
            RETURNING p.code, (p.xmax = 0) AS inserted
            """,
            codes,
            [p.name for p in parties],
            [p.node.value for p in parties],
            [p.kind.value for p in parties],
            # One list per party: a jsonb each, as unnest cannot take an array of arrays of
            # different lengths.
            [json.dumps(sorted(s.value for s in p.standards)) for p in parties],
        )
        removed = await conn.fetch(
            """
            DELETE FROM party_delegation d
            WHERE d.party = ANY($1::text[])
              AND (d.party, d.sender) NOT IN (SELECT * FROM unnest($2::text[], $3::text[]))
            RETURNING d.party
            """,
            codes,
            [a for a, _ in pairs],
            [b for _, b in pairs],
        )
        added_pairs = await conn.fetch(
            """
            INSERT INTO party_delegation (party, sender)
            SELECT * FROM unnest($1::text[], $2::text[])
            ON CONFLICT DO NOTHING
            RETURNING party
            """,
            [a for a, _ in pairs],
            [b for _, b in pairs],
        )
    added = {r["code"] for r in rows if r["inserted"]}
    changed = {r["code"] for r in rows if not r["inserted"]}
    changed |= {r["party"] for r in (*removed, *added_pairs)} - added
    return PartyImport(
        added=tuple(sorted(added)),
        changed=tuple(sorted(changed)),
        unchanged=len(set(codes) - added - changed),
    )


async def list_parties(pool: Pool) -> list[Party]:
    rows = await pool.fetch(f"SELECT {_PARTY_COLUMNS} FROM party p ORDER BY p.node, p.code")
    return [_party(r) for r in rows]


async def get_party(pool: Pool, code: str) -> Party | None:
    row = await pool.fetchrow(f"SELECT {_PARTY_COLUMNS} FROM party p WHERE p.code = $1", code)
    return _party(row) if row else None


async def active_token_counts(pool: Pool) -> dict[str, int]:
    """Per party, how many tokens authenticate right now."""
    rows = await pool.fetch(
        f"SELECT t.party, count(*) AS n FROM party_token t WHERE {_STILL_VALID} GROUP BY t.party"
    )
    return {r["party"]: int(r["n"]) for r in rows}


async def _insert_token(
    db: DbConnection | Pool, party: str, token: str, expires_at: datetime | None, label: str
) -> PartyToken:
    try:
        row = await db.fetchrow(
            """
            INSERT INTO party_token (party, token_sha256, label, expires_at)
            VALUES ($1, $2, $3, $4)
            RETURNING id, party, label, created_at, expires_at, revoked_at
            """,
            party,
            token_digest(token),
            label,
            expires_at,
        )
    except asyncpg.ForeignKeyViolationError:
        raise ConfigError(
            f"unknown party {party}; add it with `hub party add` or `hub party import`"
        ) from None
    assert row is not None
    return PartyToken(**dict(row))


async def add_token(
    pool: Pool, party: str, token: str, *, expires_at: datetime | None = None, label: str = "cli"
) -> PartyToken:
    """Store (the digest of) a new token for a party."""
    return await _insert_token(pool, party, token, expires_at, label)


async def revoke_tokens(
    db: DbConnection | Pool,
    party: str,
    *,
    grace: timedelta = timedelta(0),
    keep: int | None = None,
    label: str | None = None,
) -> int:
    """Revoke a party's working tokens `grace` from now (all, or only those with `label`;
    never `keep`); an earlier revocation is never postponed. Returns how many."""
    result = await db.execute(
        f"""
        UPDATE party_token t SET revoked_at = now() + $2::interval
        WHERE t.party = $1 AND {_STILL_VALID}
          AND (t.revoked_at IS NULL OR t.revoked_at > now() + $2::interval)
          AND ($3::bigint IS NULL OR t.id <> $3)
          AND ($4::text IS NULL OR t.label = $4)
        """,
        party,
        grace,
        keep,
        label,
    )
    return int(result.split()[-1])


async def rotate_token(
    pool: Pool,
    party: str,
    token: str,
    *,
    grace: timedelta = timedelta(0),
    expires_at: datetime | None = None,
    label: str = "cli",
) -> tuple[PartyToken, int]:
    """Add a new token and revoke the party's other tokens after `grace`, in one transaction.
    Returns the new token's row and how many old tokens were revoked."""
    async with pool.acquire() as conn, conn.transaction():
        new = await _insert_token(conn, party, token, expires_at, label)
        revoked = await revoke_tokens(conn, party, grace=grace, keep=new.id)
    return new, revoked


async def authenticate(pool: Pool, token: str) -> AuthenticatedParty | None:
    """The party a token belongs to while it works (not expired, not revoked), else None.
    One query: an index probe on the digest, joined to the party and its delegations."""
    if not token or len(token) > _MAX_TOKEN_CHARS:
        return None
    row = await pool.fetchrow(
        f"SELECT t.id AS token_id, {_PARTY_COLUMNS}"
        f" FROM party_token t JOIN party p ON p.code = t.party"
        f" WHERE t.token_sha256 = $1 AND {_STILL_VALID}",
        token_digest(token),
    )
    return AuthenticatedParty(_party(row), int(row["token_id"])) if row else None


async def delegations(conn: DbConnection, pairs: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
    """Of the (party, sender) pairs, those where the party may submit for the sender."""
    if not pairs:
        return set()
    rows = await conn.fetch(
        "SELECT d.party, d.sender FROM party_delegation d"
        " JOIN unnest($1::text[], $2::text[]) AS w(party, sender)"
        " ON d.party = w.party AND d.sender = w.sender",
        [p for p, _ in pairs],
        [s for _, s in pairs],
    )
    return {(r["party"], r["sender"]) for r in rows}


async def parties_by_code(db: DbConnection | Pool, codes: Sequence[str]) -> dict[str, Party]:
    """The registered parties among `codes` (one query; unknown codes are simply absent)."""
    rows = await db.fetch(
        f"SELECT {_PARTY_COLUMNS} FROM party p WHERE p.code = ANY($1::text[])", list(codes)
    )
    return {r["code"]: _party(r) for r in rows}


async def acting_for(pool: Pool, code: str) -> list[str]:
    """The parties that may act for `code` (its indieners and intermediaries), by code."""
    rows = await pool.fetch(
        "SELECT d.party FROM party_delegation d WHERE d.sender = $1 ORDER BY d.party", code
    )
    return [r["party"] for r in rows]


async def authorise(pool: Pool, agent: str, parties: Sequence[str]) -> list[str]:
    """Let `agent` act for `parties` (hub.domain.parties.check_delegates has checked them);
    returns those that were new."""
    rows = await pool.fetch(
        "INSERT INTO party_delegation (party, sender) SELECT $1, s FROM unnest($2::text[]) AS s"
        " ON CONFLICT DO NOTHING RETURNING sender",
        agent,
        list(parties),
    )
    return sorted(r["sender"] for r in rows)


async def withdraw(pool: Pool, agent: str, parties: Sequence[str]) -> list[str]:
    """End `agent`'s authorisation by `parties`; returns those it had."""
    rows = await pool.fetch(
        "DELETE FROM party_delegation WHERE party = $1 AND sender = ANY($2::text[])"
        " RETURNING sender",
        agent,
        list(parties),
    )
    return sorted(r["sender"] for r in rows)
