"""All SQL of the hub (asyncpg): typed rows in, frozen dataclasses out, and the migrations."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from uuid import UUID

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from hub.errors import ConfigError, MigrationError
from hub.history_facts import HistoryFacts, Scope, StartKey, StopKey, ToewijzingLine
from hub.history_state import ClientHistory, HistoryEffects, HistoryState, IdentificatieKey
from hub.messages import Node, Role
from hub.parties import Party, token_digest

log = logging.getLogger(__name__)

# Serialises concurrent migrators (several cores starting at once) on one cluster.
_MIGRATION_LOCK = 0x15D_0B5

Pool = asyncpg.Pool


async def create_pool(
    dsn: str, *, min_size: int = 1, max_size: int = 10, connect_timeout: float = 15.0
) -> Pool:
    """Open a pool or fail with the setting to fix."""
    try:
        pool = await asyncpg.create_pool(
            dsn, min_size=min_size, max_size=max_size, timeout=connect_timeout, command_timeout=60
        )
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        raise ConfigError(f"HUB_DATABASE_URL: cannot connect to PostgreSQL ({exc})") from None
    assert pool is not None
    return pool


# --- migrations --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations() -> tuple[Migration, ...]:
    """The ordered migrations shipped in hub/migrations (NNNN_name.sql)."""
    found: list[Migration] = []
    for entry in resources.files("hub.migrations").iterdir():
        if not entry.name.endswith(".sql"):
            continue
        stem = entry.name.removesuffix(".sql")
        number, _, label = stem.partition("_")
        if not number.isdigit():
            raise MigrationError(f"migration file {entry.name} must start with a number")
        found.append(Migration(int(number), label, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two migrations share a number: {versions}")
    return tuple(found)


async def migrate(pool: Pool) -> list[Migration]:
    """Apply every migration not yet applied, each in its own transaction; a re-run is a no-op."""
    applied: list[Migration] = []
    async with pool.acquire() as conn:
        await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
        try:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migration ("
                " version integer PRIMARY KEY, name text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migration")}
            for migration in migrations():
                if migration.version in done:
                    continue
                try:
                    async with conn.transaction():
                        await conn.execute(migration.sql)
                        await conn.execute(
                            "INSERT INTO schema_migration (version, name) VALUES ($1, $2)",
                            migration.version,
                            migration.name,
                        )
                except asyncpg.PostgresError as exc:
                    raise MigrationError(
                        f"migration {migration.version:04d}_{migration.name} failed: {exc}"
                    ) from None
                log.info("applied migration %04d_%s", migration.version, migration.name)
                applied.append(migration)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
    return applied


async def schema_version(pool: Pool) -> int:
    row = await pool.fetchval("SELECT coalesce(max(version), 0) FROM schema_migration")
    return int(row)


# --- ledger ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IngressRow:
    """A message as the core records it on arrival."""

    id: UUID
    received_at: datetime
    source_node: str
    submitted_by: str
    namespace: str | None
    bericht_code: str | None
    afzender: str | None
    ontvanger: str | None
    identificatie: str | None
    status: str
    payload: bytes
    ingress_partition: int | None
    ingress_offset: int | None


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    id: UUID
    received_at: datetime
    source_node: str
    submitted_by: str
    bericht_code: str | None
    afzender: str | None
    ontvanger: str | None
    identificatie: str | None
    status: str


@dataclass(frozen=True, slots=True)
class InboxItem:
    message_id: UUID
    party: str
    bericht_code: str | None
    afzender: str | None
    identificatie: str | None
    available_at: datetime
    downloaded_at: datetime | None


async def record_messages(pool: Pool, rows: Sequence[IngressRow]) -> set[UUID]:
    """Insert ledger rows; return the ids that were new (a redelivered id is skipped)."""
    if not rows:
        return set()
    async with pool.acquire() as conn:
        inserted = await conn.fetch(
            """
            INSERT INTO message (id, received_at, source_node, submitted_by, namespace,
                                 bericht_code, afzender, ontvanger, identificatie, status,
                                 payload, payload_sha256, ingress_partition, ingress_offset)
            SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[],
                                 $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                                 $10::text[], $11::bytea[], $12::bytea[], $13::int[],
                                 $14::bigint[])
            ON CONFLICT (id) DO NOTHING
            RETURNING id
            """,
            [r.id for r in rows],
            [r.received_at for r in rows],
            [r.source_node for r in rows],
            [r.submitted_by for r in rows],
            [r.namespace for r in rows],
            [r.bericht_code for r in rows],
            [r.afzender for r in rows],
            [r.ontvanger for r in rows],
            [r.identificatie for r in rows],
            [r.status for r in rows],
            [r.payload for r in rows],
            [hashlib.sha256(r.payload).digest() for r in rows],
            [r.ingress_partition for r in rows],
            [r.ingress_offset for r in rows],
        )
    return {r["id"] for r in inserted}


async def ledger_entry(pool: Pool, message_id: UUID) -> LedgerEntry | None:
    row = await pool.fetchrow(
        "SELECT id, received_at, source_node, submitted_by, bericht_code, afzender, ontvanger,"
        " identificatie, status FROM message WHERE id = $1",
        message_id,
    )
    return LedgerEntry(**dict(row)) if row else None


async def count_messages(pool: Pool) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM message"))


async def add_deliveries(pool: Pool, node: str, items: Sequence[tuple[UUID, str]]) -> int:
    """Put (message id, party) pairs in the inbox; a redelivered pair is ignored."""
    return len(await deliver(pool, node, items))


async def deliver(
    db: DbConnection | Pool, node: str, items: Sequence[tuple[UUID, str]]
) -> list[tuple[UUID, str]]:
    """Put (message id, party) pairs in the inbox; returns the pairs that are new there (a
    redelivered pair is ignored, so it raises no second 'delivered' event)."""
    if not items:
        return []
    rows = await db.fetch(
        """
        INSERT INTO delivery (message_id, node, party)
        SELECT m, $1, p FROM unnest($2::uuid[], $3::text[]) AS t(m, p)
        ON CONFLICT (message_id, party) DO NOTHING
        RETURNING message_id, party
        """,
        node,
        [m for m, _ in items],
        [p for _, p in items],
    )
    return [(r["message_id"], r["party"]) for r in rows]


async def inbox(pool: Pool, node: str, party: str, limit: int = 100) -> list[InboxItem]:
    rows = await pool.fetch(
        """
        SELECT d.message_id, d.party, m.bericht_code, m.afzender, m.identificatie,
               d.available_at, d.downloaded_at
        FROM delivery d JOIN message m ON m.id = d.message_id
        WHERE d.node = $1 AND d.party = $2 AND d.acked_at IS NULL
        ORDER BY d.id
        LIMIT $3
        """,
        node,
        party,
        limit,
    )
    return [InboxItem(**dict(r)) for r in rows]


async def download(pool: Pool, node: str, party: str, message_id: UUID) -> bytes | None:
    """The payload of a message in this party's inbox (None when it is not theirs)."""
    row = await pool.fetchrow(
        """
        UPDATE delivery d SET downloaded_at = coalesce(d.downloaded_at, now())
        FROM message m
        WHERE m.id = d.message_id AND d.node = $1 AND d.party = $2 AND d.message_id = $3
        RETURNING m.payload
        """,
        node,
        party,
        message_id,
    )
    return bytes(row["payload"]) if row else None


async def acknowledge(pool: Pool, node: str, party: str, message_id: UUID) -> bool:
    result = await pool.execute(
        "UPDATE delivery SET acked_at = coalesce(acked_at, now())"
        " WHERE node = $1 AND party = $2 AND message_id = $3",
        node,
        party,
        message_id,
    )
    return result.split()[-1] != "0"


# --- history (controleniveau 3) ------------------------------------------------------------
# State for the berichtoverstijgende rules of hub/history.py (tables: 0002_history.sql).
# Persons are person_key only. The caller owns the transaction: load and apply on one
# connection inside it, so the rules see the state they are written against.

# A connection as asyncpg hands it out directly or from a pool.
DbConnection = asyncpg.Connection | PoolConnectionProxy

_HISTORY_START_ARRAYS = (
    "$1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::date[]"
)
_HISTORY_SCOPES = "unnest($1::text[], $2::text[], $3::text[]) AS q(g, a, p)"
_HISTORY_IN_SCOPE = "h.gemeente = q.g AND h.aanbieder = q.a AND h.person_key = q.p"


async def load_history(db: DbConnection | Pool, facts_list: Sequence[HistoryFacts]) -> HistoryState:
    """The history the rules need for a batch of messages, in one query per table."""
    idents = {IdentificatieKey(f.sender, f.berichtsoort, f.identificatie) for f in facts_list}
    scopes = sorted(
        {f.scope for f in facts_list if f.scope is not None and (f.starts or f.stops)},
        key=lambda s: (s.gemeente, s.aanbieder, s.person),
    )
    known: frozenset[IdentificatieKey] = frozenset()
    if idents:
        rows = await db.fetch(
            """
            SELECT h.afzender, h.berichtsoort, h.identificatie
            FROM history_identificatie h
            JOIN unnest($1::text[], $2::text[], $3::text[]) AS q(a, b, i)
              ON h.afzender = q.a AND h.berichtsoort = q.b AND h.identificatie = q.i
            """,
            [k.sender for k in idents],
            [k.berichtsoort for k in idents],
            [k.identificatie for k in idents],
        )
        known = frozenset(IdentificatieKey(r[0], r[1], r[2]) for r in rows)
    if not scopes:
        return HistoryState(known, {})
    args = ([s.gemeente for s in scopes], [s.aanbieder for s in scopes], [s.person for s in scopes])
    toewijzingen = await db.fetch(
        f"SELECT h.gemeente, h.aanbieder, h.person_key, h.toewijzing_nummer"
        f" FROM history_toewijzing h JOIN {_HISTORY_SCOPES} ON {_HISTORY_IN_SCOPE}",
        *args,
    )
    starts = await db.fetch(
        f"SELECT h.gemeente, h.aanbieder, h.person_key, h.toewijzing_nummer,"
        f" h.product_categorie, h.product_code, h.begindatum, h.deleted"
        f" FROM history_start h JOIN {_HISTORY_SCOPES} ON {_HISTORY_IN_SCOPE}",
        *args,
    )
    stops = await db.fetch(
        f"SELECT h.gemeente, h.aanbieder, h.person_key, h.toewijzing_nummer,"
        f" h.product_categorie, h.product_code, h.begindatum, h.reden_beeindiging,"
        f" h.einddatum, h.deleted"
        f" FROM history_stop h JOIN {_HISTORY_SCOPES} ON {_HISTORY_IN_SCOPE}",
        *args,
    )
    nummers: dict[Scope, set[str]] = {s: set() for s in scopes}
    start_map: dict[Scope, dict[StartKey, bool]] = {s: {} for s in scopes}
    stop_map: dict[Scope, dict[StopKey, bool]] = {s: {} for s in scopes}
    for r in toewijzingen:
        nummers[Scope(r[0], r[1], r[2])].add(r[3])
    for r in starts:
        start_map[Scope(r[0], r[1], r[2])][StartKey(r[3], r[4], r[5], r[6])] = r[7]
    for r in stops:
        key = StopKey(StartKey(r[3], r[4], r[5], r[6]), r[7], r[8])
        stop_map[Scope(r[0], r[1], r[2])][key] = r[9]
    clients = {s: ClientHistory(frozenset(nummers[s]), start_map[s], stop_map[s]) for s in scopes}
    return HistoryState(known, clients)


async def apply_history(
    conn: DbConnection, effects: HistoryEffects | Sequence[HistoryEffects]
) -> None:
    """Write the effects of one accepted message or of a batch, inside the caller's transaction.

    Idempotent and order-free: rows are inserted once (ON CONFLICT DO NOTHING) and then only
    flagged deleted, and a toewijzing is replaced only by a strictly newer version, so writing
    the same effects again (a redelivery) changes nothing. One statement per table and kind.
    """
    batch = [effects] if isinstance(effects, HistoryEffects) else list(effects)
    idents: dict[IdentificatieKey, UUID | None] = {}
    toewijzingen: dict[tuple[Scope, str], tuple[ToewijzingLine, UUID | None]] = {}
    new_starts: dict[tuple[Scope, StartKey], UUID | None] = {}
    new_stops: dict[tuple[Scope, StopKey], UUID | None] = {}
    deleted_starts: dict[tuple[Scope, StartKey], UUID | None] = {}
    deleted_stops: dict[tuple[Scope, StopKey], UUID | None] = {}
    for e in batch:
        mid = e.message_id
        if e.identificatie is not None:
            idents.setdefault(e.identificatie, mid)
        if not e.touches_client:
            continue
        if e.scope is None:
            raise ValueError("history effects with product lines need a scope")
        scope = e.scope
        for t in e.toewijzingen:
            seen = toewijzingen.get((scope, t.nummer))
            if seen is None or seen[0].toegewezen_op < t.toegewezen_op:
                toewijzingen[(scope, t.nummer)] = (t, mid)
        for start in e.new_starts:
            new_starts.setdefault((scope, start), mid)
        for stop in e.new_stops:
            new_stops.setdefault((scope, stop), mid)
        for start in e.deleted_starts:
            deleted_starts.setdefault((scope, start), mid)
        for stop in e.deleted_stops:
            deleted_stops.setdefault((scope, stop), mid)

    if idents:
        await conn.execute(
            """
            INSERT INTO history_identificatie (afzender, berichtsoort, identificatie, message_id)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::uuid[])
            ON CONFLICT DO NOTHING
            """,
            [k.sender for k in idents],
            [k.berichtsoort for k in idents],
            [k.identificatie for k in idents],
            list(idents.values()),
        )
    if toewijzingen:
        rows = [(scope, t, mid) for (scope, _), (t, mid) in toewijzingen.items()]
        await conn.execute(
            """
            INSERT INTO history_toewijzing AS h (gemeente, aanbieder, person_key,
                toewijzing_nummer, product_categorie, product_code, ingangsdatum, einddatum,
                toegewezen_op, message_id)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                                 $6::text[], $7::date[], $8::date[], $9::timestamp[],
                                 $10::uuid[])
            ON CONFLICT (gemeente, aanbieder, person_key, toewijzing_nummer) DO UPDATE SET
                product_categorie = EXCLUDED.product_categorie,
                product_code = EXCLUDED.product_code,
                ingangsdatum = EXCLUDED.ingangsdatum,
                einddatum = EXCLUDED.einddatum,
                toegewezen_op = EXCLUDED.toegewezen_op,
                message_id = EXCLUDED.message_id,
                recorded_at = now()
            WHERE h.toegewezen_op < EXCLUDED.toegewezen_op
            """,
            *_history_scope_columns([r[0] for r in rows]),
            [t.nummer for _, t, _ in rows],
            [t.categorie for _, t, _ in rows],
            [t.code for _, t, _ in rows],
            [t.ingangsdatum for _, t, _ in rows],
            [t.einddatum for _, t, _ in rows],
            [t.toegewezen_op for _, t, _ in rows],
            [mid for _, _, mid in rows],
        )
    if new_starts:
        await conn.execute(
            f"""
            INSERT INTO history_start (gemeente, aanbieder, person_key, toewijzing_nummer,
                product_categorie, product_code, begindatum, message_id)
            SELECT * FROM unnest({_HISTORY_START_ARRAYS}, $8::uuid[])
            ON CONFLICT DO NOTHING
            """,
            *_history_start_columns(list(new_starts)),
            list(new_starts.values()),
        )
    if new_stops:
        await conn.execute(
            f"""
            INSERT INTO history_stop (gemeente, aanbieder, person_key, toewijzing_nummer,
                product_categorie, product_code, begindatum, reden_beeindiging, einddatum,
                message_id)
            SELECT * FROM unnest({_HISTORY_START_ARRAYS}, $8::text[], $9::date[], $10::uuid[])
            ON CONFLICT DO NOTHING
            """,
            *_history_stop_columns(list(new_stops)),
            list(new_stops.values()),
        )
    if deleted_starts:
        await conn.execute(
            f"""
            UPDATE history_start h SET deleted = true, deleted_by = q.m
            FROM unnest({_HISTORY_START_ARRAYS}, $8::uuid[]) AS q(g, a, p, n, c, d, b, m)
            WHERE {_HISTORY_IN_SCOPE} AND h.toewijzing_nummer = q.n AND h.product_categorie = q.c
              AND h.product_code = q.d AND h.begindatum = q.b AND NOT h.deleted
            """,
            *_history_start_columns(list(deleted_starts)),
            list(deleted_starts.values()),
        )
    if deleted_stops:
        await conn.execute(
            f"""
            UPDATE history_stop h SET deleted = true, deleted_by = q.m
            FROM unnest({_HISTORY_START_ARRAYS}, $8::text[], $9::date[], $10::uuid[])
                AS q(g, a, p, n, c, d, b, r, e, m)
            WHERE {_HISTORY_IN_SCOPE} AND h.toewijzing_nummer = q.n AND h.product_categorie = q.c
              AND h.product_code = q.d AND h.begindatum = q.b AND h.reden_beeindiging = q.r
              AND h.einddatum = q.e AND NOT h.deleted
            """,
            *_history_stop_columns(list(deleted_stops)),
            list(deleted_stops.values()),
        )


def _history_scope_columns(scopes: Sequence[Scope]) -> tuple[list[str], list[str], list[str]]:
    return (
        [s.gemeente for s in scopes],
        [s.aanbieder for s in scopes],
        [s.person for s in scopes],
    )


def _history_start_columns(rows: Sequence[tuple[Scope, StartKey]]) -> list[Sequence[object]]:
    return [
        *_history_scope_columns([s for s, _ in rows]),
        [k.toewijzing for _, k in rows],
        [k.categorie for _, k in rows],
        [k.code for _, k in rows],
        [k.begindatum for _, k in rows],
    ]


def _history_stop_columns(rows: Sequence[tuple[Scope, StopKey]]) -> list[Sequence[object]]:
    return [
        *_history_start_columns([(s, k.start) for s, k in rows]),
        [k.reden for _, k in rows],
        [k.einddatum for _, k in rows],
    ]


# --- parties -------------------------------------------------------------------------------
# The party registry and bearer tokens (tables: 0003_parties.sql). A token is stored only as
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
    "p.code, p.name, p.node, p.kind,"
    " ARRAY(SELECT d.sender FROM party_delegation d WHERE d.party = p.code) AS senders"
)
_STILL_VALID = (  # a token row t that authenticates now
    "(t.revoked_at IS NULL OR t.revoked_at > now())"
    " AND (t.expires_at IS NULL OR t.expires_at > now())"
)
_MAX_TOKEN_CHARS = 512  # far above a real token; longer is refused without hashing it


def _party(row: asyncpg.Record) -> Party:
    return Party(
        code=row["code"],
        name=row["name"],
        node=Node(row["node"]),
        kind=Role(row["kind"]),
        may_submit_for=frozenset(row["senders"]),
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
            INSERT INTO party AS p (code, name, node, kind)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
            ON CONFLICT (code) DO UPDATE SET
                name = EXCLUDED.name, node = EXCLUDED.node, kind = EXCLUDED.kind,
                updated_at = now()
            WHERE (p.name, p.node, p.kind) IS DISTINCT FROM
                  (EXCLUDED.name, EXCLUDED.node, EXCLUDED.kind)
            RETURNING p.code, (p.xmax = 0) AS inserted
            """,
            codes,
            [p.name for p in parties],
            [p.node.value for p in parties],
            [p.kind.value for p in parties],
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
