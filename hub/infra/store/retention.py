"""Payload retention: empty the payloads nobody needs any more, keep the audit trail.

A message's payload is purged (set to an empty bytea, `purged_at` recorded) when it was
received before the cut-off (now minus HUB_PAYLOAD_RETENTION_HOURS) and nothing may still
need it:

- every delivery of it was downloaded or acknowledged (a party's pending inbox item keeps it;
  like the VECOZO node, a downloaded message may go even when it was never acknowledged);
- a message the core accepted for a receiver (status 'accepted', a receiver node) has reached
  an inbox: until its delivery row exists it is still on its way;
- no outbox row names it (its egress, events or dead letter are not yet published);
- it is no heenbericht awaiting its retour: one with a deadline and no retour yet is kept
  until one retention period after it was flagged overdue, so it is not kept forever;
- it is not parked by a release freeze: the cutover sends or returns it, payload and all, however
  long the freeze lasted and however short the retention.

Rejected heenberichten (answered by a hub-built retour) and dead-lettered messages are never
delivered, so only age counts for them. Their dead-letter copy is a separate row: a dead
letter's payload is purged only once it was replayed and is older than the cut-off; a waiting
one is kept for `hub dlq replay`.

What stays: every ledger column but the payload (parties, times, type, Identificatie, status,
retourcodes, retour links, payload_sha256), findings, deliveries, history facts.

The adapters' ingress journal (hub.infra.store.journal) is trimmed as soon as the ledger has a
message; an entry older than the cut-off never reached it (its request died between journal
and broker) and is deleted here.

The node doors' rows follow their message's payload (issue #21), so none is kept for ever:
- a GGk envelope (ggk_envelope: referentienummer, digest, Bv03) is dropped once its message
  was purged, unless a retour answering it still has its payload (that retour's Du01 names the
  envelope's referentienummer as crossRefnummer); past the cut-off without any ledger row
  (its request died before the core had it) it is dropped too. A resend of a dropped envelope
  gets a fresh Bv03 but is not processed twice (the core deduplicates by message id);
- an asynchronous Fo01 (ggk_fo01) is dropped once delivered or given up before the cut-off;
- a VECOZO reference (vsp_reference) stays, since a retour's conversatieId and alsAntwoordOp
  and the status query by traceerId are derived from it, but its referentieId (the sender's
  free text, up to 150 characters, which may name a person) is cleared once the message was
  purged, and the reference marked settled so no later pass reads it again (migration 0030);
  past the cut-off without a ledger row it is dropped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import UUID

from hub.infra.store import journal
from hub.infra.store.base import DbConnection, Pool

# Each candidate's deliveries are looked up by its id (one index probe a message, never the
# whole delivery table, which the planner hashes for a NOT EXISTS over many candidates); the
# outbox, small unless Kafka is down, is read once a statement into two hashed sets.
_LOOKUPS = """
    LEFT JOIN LATERAL (
        SELECT count(*) AS deliveries,
               count(*) FILTER (WHERE d.downloaded_at IS NULL AND d.acked_at IS NULL) AS pending,
               count(*) FILTER (WHERE d.acked_at IS NULL) AS unacked
        FROM delivery d WHERE d.message_id = m.id) d ON true
"""
# Why a message past the cut-off still has its payload (see the module's docstring), the
# first reason that holds; 'purgeable' when none does.
_WHY = """
    CASE
        WHEN d.pending > 0 THEN 'download'
        WHEN m.status = 'accepted' AND m.receiver_node IS NOT NULL AND d.deliveries = 0
            THEN 'on_its_way'
        WHEN m.id IN (SELECT payload_of FROM outbox WHERE payload_of IS NOT NULL)
             OR m.id::text IN (SELECT headers ->> 'hub-message-id' FROM outbox
                               WHERE headers ? 'hub-message-id') THEN 'outbox'
        WHEN m.retour_due IS NOT NULL AND m.retour_id IS NULL
             AND (m.overdue_at IS NULL OR m.overdue_at >= $1) THEN 'retour'
        WHEN m.status = 'parked' THEN 'parked'
        ELSE 'purgeable' END
"""
_PURGEABLE = f"m.purged_at IS NULL AND m.received_at < $1 AND ({_WHY}) = 'purgeable'"
_DEAD_LETTER_PURGEABLE = """
    purged_at IS NULL AND replayed_at IS NOT NULL AND created_at < $1
"""


_KEPT = f"""
    SELECT {_WHY} AS why, count(*) AS n, coalesce(sum(length(m.payload)), 0) AS size
    FROM message m {_LOOKUPS}
    WHERE m.purged_at IS NULL AND m.received_at < $1
    GROUP BY 1
"""

# A pass takes the oldest purgeable messages after the previous pass's last one (received_at,
# id): the messages it passes over because something still needs them (a party that stopped
# downloading, a retour that never comes) are read once a run, not once a pass. The first
# condition is the index's (message_purge_idx on received_at); the row comparison only
# breaks ties.
_AFTER = "AND m.received_at >= $3 AND (m.received_at, m.id) > ($3, $4)"
BATCH = 5000  # messages a purge pass (transaction), by hand and scheduled
_EPOCH = datetime.fromisoformat("1970-01-01T00:00:00+00:00")
_NIL = UUID(int=0)


@dataclass(frozen=True, slots=True)
class PurgeResult:
    messages: int
    payload_bytes: int  # what the purged message payloads held
    dead_letters: int
    journal: int = 0  # stale ingress-journal entries deleted
    door_rows: int = 0  # node doors' rows dropped or cleared (envelopes, Fo01s, references)
    # The last message purged (received_at, id): where the next pass goes on; not a result.
    last: tuple[datetime, UUID] | None = field(default=None, compare=False)

    def __add__(self, other: PurgeResult) -> PurgeResult:
        return PurgeResult(
            self.messages + other.messages,
            self.payload_bytes + other.payload_bytes,
            self.dead_letters + other.dead_letters,
            self.journal + other.journal,
            self.door_rows + other.door_rows,
            other.last or self.last,
        )


@dataclass(frozen=True, slots=True)
class Kept:
    """The messages past the cut-off whose payload stays, by why (see _KEPT), and bytes."""

    download: int = 0  # a delivery neither downloaded nor acknowledged
    on_its_way: int = 0  # accepted for a receiver, not yet in its inbox
    outbox: int = 0  # its egress, events or dead letter not yet published
    retour: int = 0  # a heenbericht awaiting its retour, not yet long overdue
    parked: int = 0  # held by a release freeze until its cutover
    payload_bytes: int = 0

    @property
    def messages(self) -> int:
        return self.download + self.on_its_way + self.outbox + self.retour + self.parked


@dataclass(frozen=True, slots=True)
class PurgeRun:
    """What one whole purge did: the sum of its passes, how many, how long, and what stays."""

    cutoff: datetime
    done: PurgeResult
    passes: int
    batch: int
    seconds: float
    kept: Kept = field(default_factory=Kept)


async def kept(pool: Pool, cutoff: datetime) -> tuple[Kept, PurgeResult]:
    """What stays past `cutoff` and why, and what a purge would take now (messages only):
    one read of the unpurged messages received before it."""
    rows = {r["why"]: r for r in await pool.fetch(_KEPT, cutoff)}
    counts = {why: int(r["n"]) for why, r in rows.items()}
    stays = sum(int(r["size"]) for why, r in rows.items() if why != "purgeable")
    purgeable = rows.get("purgeable")
    would = PurgeResult(counts.get("purgeable", 0), int(purgeable["size"]) if purgeable else 0, 0)
    return (
        Kept(
            counts.get("download", 0),
            counts.get("on_its_way", 0),
            counts.get("outbox", 0),
            counts.get("retour", 0),
            counts.get("parked", 0),
            stays,
        ),
        would,
    )


async def purge_all(
    pool: Pool,
    cutoff: datetime,
    *,
    batch: int,
    dry_run: bool = False,
    stopped: Callable[[], bool] = lambda: False,
) -> PurgeRun:
    """Purge in transactions of at most `batch` messages (and dead letters, and door rows of
    each kind) until a pass finds less than a batch of each, or `stopped()`; then count what
    stays and why. With dry_run, count only: what would go and what would stay."""
    t0 = time.perf_counter()
    if dry_run:  # kept() counts the purgeable messages too: one read of them, not two
        stays, would = await kept(pool, cutoff)
        async with pool.acquire() as conn:
            letters, stale = await _count_letters_and_journal(conn, cutoff)
            doors = await _doors(conn, cutoff, None, dry_run=True)
        done = replace(would, dead_letters=letters, journal=stale, door_rows=doors)
        return PurgeRun(cutoff, done, 0, batch, time.perf_counter() - t0, stays)
    total, passes = PurgeResult(0, 0, 0), 0
    while not stopped():
        step = await purge(pool, cutoff, limit=batch, after=total.last)
        total, passes = total + step, passes + 1
        if max(step.messages, step.dead_letters, step.door_rows) < batch:
            break
    seconds = time.perf_counter() - t0
    stays, _ = await kept(pool, cutoff)
    return PurgeRun(cutoff, total, passes, batch, seconds, stays)


async def purge(
    pool: Pool,
    cutoff: datetime,
    *,
    dry_run: bool = False,
    limit: int | None = None,
    after: tuple[datetime, UUID] | None = None,
) -> PurgeResult:
    """Purge (or, with dry_run, count) the payloads received before `cutoff`; at most `limit`
    messages and dead letters each (a scheduled purge goes in bounded transactions), the
    messages oldest first after `after` (the previous pass's `last`)."""
    since, since_id = after or (_EPOCH, _NIL)
    async with pool.acquire() as conn, conn.transaction():
        if dry_run:
            row = await conn.fetchrow(
                f"SELECT count(*) AS n, coalesce(sum(length(m.payload)), 0) AS size"
                f" FROM message m {_LOOKUPS} WHERE {_PURGEABLE}",
                cutoff,
            )
            letters, stale = await _count_letters_and_journal(conn, cutoff)
        else:
            row = await conn.fetchrow(
                f"""
                WITH gone AS (
                    SELECT m.id, m.received_at, length(m.payload) AS size, d.unacked
                    FROM message m {_LOOKUPS}
                    WHERE {_PURGEABLE} {_AFTER}
                    ORDER BY m.received_at, m.id
                    LIMIT $2
                    FOR UPDATE OF m SKIP LOCKED),
                done AS (
                    UPDATE message m SET payload = ''::bytea, purged_at = now()
                    FROM gone WHERE m.id = gone.id
                    RETURNING gone.id, gone.received_at, gone.size, gone.unacked),
                -- Downloaded, never acknowledged: out of the inbox index (migration 0032).
                -- The lookup counted them, so a message whose deliveries were all
                -- acknowledged (the usual) costs no second probe.
                unlisted AS (
                    UPDATE delivery d SET payload_purged = true
                    FROM done
                    WHERE done.unacked > 0 AND d.message_id = done.id AND d.acked_at IS NULL)
                SELECT count(*) AS n, coalesce(sum(size), 0) AS size,
                       (array_agg(received_at ORDER BY received_at DESC, id DESC))[1] AS last_at,
                       (array_agg(id ORDER BY received_at DESC, id DESC))[1] AS last_id
                FROM done
                """,
                cutoff,
                limit,
                since,
                since_id,
            )
            result = await conn.execute(
                f"UPDATE dead_letter SET payload = ''::bytea, purged_at = now()"
                f" WHERE id IN (SELECT id FROM dead_letter WHERE {_DEAD_LETTER_PURGEABLE}"
                f" LIMIT $2 FOR UPDATE SKIP LOCKED)",
                cutoff,
                limit,
            )
            letters = int(result.split()[-1])
            stale = await journal.drop_older(conn, cutoff)
        # After the messages: what this transaction purged counts already.
        doors = await _doors(conn, cutoff, limit, dry_run=dry_run)
    assert row is not None
    last = (row["last_at"], row["last_id"]) if not dry_run and row["last_id"] else None
    return PurgeResult(int(row["n"]), int(row["size"]), int(letters), int(stale), doors, last)


async def _count_letters_and_journal(conn: DbConnection, cutoff: datetime) -> tuple[int, int]:
    """What a purge would take besides messages and door rows: replayed dead letters' payloads
    and stale ingress-journal entries."""
    letters = await conn.fetchval(
        f"SELECT count(*) FROM dead_letter WHERE {_DEAD_LETTER_PURGEABLE}", cutoff
    )
    stale = await conn.fetchval(
        "SELECT count(*) FROM ingress_journal WHERE journaled_at < $1", cutoff
    )
    return int(letters), int(stale)


# The node doors' rows past their use (see the module's docstring), each as (table, key
# columns, condition); `g` is the row.
_ENVELOPE_DONE = """
    g.created_at < $1 AND NOT EXISTS (
        SELECT 1 FROM message m WHERE m.id = g.message_id AND (m.purged_at IS NULL
            OR EXISTS (SELECT 1 FROM message r
                       WHERE r.answers = g.message_id AND r.purged_at IS NULL)))
"""
_FO01_DONE = "g.state IN ('delivered', 'failed') AND g.done_at < $1"
_REFERENCE_ORPHAN = """
    NOT g.settled AND g.created_at < $1
    AND NOT EXISTS (SELECT 1 FROM message m WHERE m.id = g.message_id)
"""
_REFERENCE_PURGED = """
    NOT g.settled AND g.created_at < $1 AND EXISTS (
        SELECT 1 FROM message m WHERE m.id = g.message_id AND m.purged_at IS NOT NULL)
"""
_DROPPED = (
    ("ggk_envelope", "message_id, direction", _ENVELOPE_DONE),
    ("ggk_fo01", "message_id", _FO01_DONE),
    ("vsp_reference", "message_id", _REFERENCE_ORPHAN),
)


async def _doors(conn: DbConnection, cutoff: datetime, limit: int | None, *, dry_run: bool) -> int:
    """Drop (or count) the node doors' rows past their use and clear the free text of the
    VECOZO references whose message was purged; at most `limit` rows of each kind."""
    done = 0
    for table, key, condition in _DROPPED:
        if dry_run:
            done += int(await conn.fetchval(f"SELECT count(*) FROM {table} g WHERE {condition}",
                                            cutoff))  # fmt: skip
            continue
        result = await conn.execute(
            f"DELETE FROM {table} WHERE ({key}) IN (SELECT {key} FROM {table} g"
            f" WHERE {condition} LIMIT $2 FOR UPDATE OF g SKIP LOCKED)",
            cutoff,
            limit,
        )
        done += int(result.split()[-1])
    # A reference whose message was purged is settled, its free text cleared; only a cleared
    # text counts as done (a sender may have given none).
    if dry_run:
        count = await conn.fetchval(
            "SELECT count(*) FROM vsp_reference g"
            f" WHERE g.referentie_id IS NOT NULL AND {_REFERENCE_PURGED}",
            cutoff,
        )
        return done + int(count)
    cleared = await conn.fetchval(
        f"""
        WITH due AS (
            SELECT g.message_id, g.referentie_id IS NOT NULL AS had FROM vsp_reference g
            WHERE {_REFERENCE_PURGED}
            ORDER BY g.created_at
            LIMIT $2
            FOR UPDATE OF g SKIP LOCKED),
        done AS (
            UPDATE vsp_reference v SET referentie_id = NULL, settled = true
            FROM due WHERE v.message_id = due.message_id
            RETURNING due.had)
        SELECT count(*) FILTER (WHERE had) FROM done
        """,
        cutoff,
        limit,
    )
    return done + int(cleared)
