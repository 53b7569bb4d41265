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
  until one retention period after it was flagged overdue, so it is not kept forever.

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
  purged; past the cut-off without a ledger row it is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hub.infra.store import journal
from hub.infra.store.base import DbConnection, Pool

_PURGEABLE = """
    m.purged_at IS NULL
    AND m.received_at < $1
    AND NOT EXISTS (
        SELECT 1 FROM delivery d
        WHERE d.message_id = m.id AND d.downloaded_at IS NULL AND d.acked_at IS NULL)
    AND NOT (m.status = 'accepted' AND m.receiver_node IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM delivery d WHERE d.message_id = m.id))
    AND NOT EXISTS (
        SELECT 1 FROM outbox o
        WHERE o.payload_of = m.id OR o.headers ->> 'hub-message-id' = m.id::text)
    AND NOT (m.retour_due IS NOT NULL AND m.retour_id IS NULL
             AND (m.overdue_at IS NULL OR m.overdue_at >= $1))
"""
_DEAD_LETTER_PURGEABLE = """
    purged_at IS NULL AND replayed_at IS NOT NULL AND created_at < $1
"""


@dataclass(frozen=True, slots=True)
class PurgeResult:
    messages: int
    payload_bytes: int  # what the purged message payloads held
    dead_letters: int
    journal: int = 0  # stale ingress-journal entries deleted
    door_rows: int = 0  # node doors' rows dropped or cleared (envelopes, Fo01s, references)


async def purge(
    pool: Pool, cutoff: datetime, *, dry_run: bool = False, limit: int | None = None
) -> PurgeResult:
    """Purge (or, with dry_run, count) the payloads received before `cutoff`; at most `limit`
    messages and dead letters each (a scheduled purge goes in bounded transactions)."""
    async with pool.acquire() as conn, conn.transaction():
        if dry_run:
            row = await conn.fetchrow(
                f"SELECT count(*) AS n, coalesce(sum(length(m.payload)), 0) AS size"
                f" FROM message m WHERE {_PURGEABLE}",
                cutoff,
            )
            letters = await conn.fetchval(
                f"SELECT count(*) FROM dead_letter WHERE {_DEAD_LETTER_PURGEABLE}",
                cutoff,
            )
            stale = await conn.fetchval(
                "SELECT count(*) FROM ingress_journal WHERE journaled_at < $1", cutoff
            )
        else:
            row = await conn.fetchrow(
                f"""
                WITH gone AS (
                    SELECT m.id, length(m.payload) AS size FROM message m
                    WHERE {_PURGEABLE}
                    LIMIT $2
                    FOR UPDATE OF m SKIP LOCKED),
                done AS (
                    UPDATE message m SET payload = ''::bytea, purged_at = now()
                    FROM gone WHERE m.id = gone.id
                    RETURNING gone.size)
                SELECT count(*) AS n, coalesce(sum(size), 0) AS size FROM done
                """,
                cutoff,
                limit,
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
    return PurgeResult(int(row["n"]), int(row["size"]), int(letters), int(stale), doors)


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
    g.created_at < $1 AND NOT EXISTS (SELECT 1 FROM message m WHERE m.id = g.message_id)
"""
_REFERENCE_FREE_TEXT = """
    g.referentie_id IS NOT NULL AND g.created_at < $1 AND EXISTS (
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
    if dry_run:
        count = await conn.fetchval(
            f"SELECT count(*) FROM vsp_reference g WHERE {_REFERENCE_FREE_TEXT}", cutoff
        )
        return done + int(count)
    result = await conn.execute(
        "UPDATE vsp_reference SET referentie_id = NULL WHERE message_id IN (SELECT message_id"
        f" FROM vsp_reference g WHERE {_REFERENCE_FREE_TEXT} LIMIT $2 FOR UPDATE OF g SKIP LOCKED)",
        cutoff,
        limit,
    )
    return done + int(result.split()[-1])
