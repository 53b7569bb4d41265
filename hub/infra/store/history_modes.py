"""The advisory-mode SQL (migration 0016): each gemeente's history-rule mode as an operator set
it, and the history findings of messages routed in advisory mode (`hub history report`)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from hub.domain.advisory import AdvisoryFinding, Mode, ModeLookup
from hub.infra.store.base import DbConnection, Pool

__all__ = [
    "ReportLine",
    "batch_lookup",
    "of_message",
    "record",
    "report",
    "set_mode",
    "stored_modes",
]


async def set_mode(db: DbConnection | Pool, gemeente: str, mode: Mode) -> Mode | None:
    """Sets `gemeente`'s mode; returns the mode it had in the database before (None: none)."""
    previous = await db.fetchval("SELECT mode FROM history_mode WHERE gemeente = $1", gemeente)
    await db.execute(
        """
        INSERT INTO history_mode (gemeente, mode) VALUES ($1, $2)
        ON CONFLICT (gemeente) DO UPDATE SET mode = EXCLUDED.mode, changed_at = now()
        """,
        gemeente,
        mode.value,
    )
    return Mode(previous) if previous else None


async def stored_modes(
    db: DbConnection | Pool, gemeenten: Collection[str] | None = None
) -> dict[str, Mode]:
    """The modes set in the database: of `gemeenten`, or of every gemeente (None)."""
    if gemeenten is None:
        rows = await db.fetch("SELECT gemeente, mode FROM history_mode")
    else:
        rows = await db.fetch(
            "SELECT gemeente, mode FROM history_mode WHERE gemeente = ANY($1::text[])",
            sorted(gemeenten),
        )
    return {r["gemeente"]: Mode(r["mode"]) for r in rows}


async def batch_lookup(
    conn: DbConnection, gemeenten: Collection[str], fallback: ModeLookup
) -> ModeLookup:
    """The modes of one intake batch: the database's for its gemeenten (read in the batch's
    transaction, so `hub history mode` takes effect from the next batch), else `fallback`
    (the modes file and the default)."""
    stored = await stored_modes(conn, gemeenten) if gemeenten else {}
    if not stored:
        return fallback

    def mode(gemeente: str) -> Mode:
        return stored.get(gemeente) or fallback(gemeente)

    return mode


async def record(conn: DbConnection, findings: Sequence[AdvisoryFinding]) -> None:
    """Writes the batch's advisory findings (the caller owns the transaction)."""
    if not findings:
        return
    await conn.copy_records_to_table(
        "history_advisory_finding",
        records=[
            (UUID(f.message_id), f.position, f.gemeente, f.rule, f.retourcode, f.location)
            for f in findings
        ],
        columns=["message_id", "position", "gemeente", "rule", "retourcode", "location"],
    )


async def of_message(db: DbConnection | Pool, message_id: UUID) -> tuple[AdvisoryFinding, ...]:
    """One message's advisory findings in the order the rules found them (`hub trace`)."""
    rows = await db.fetch(
        "SELECT position, gemeente, rule, retourcode, location FROM history_advisory_finding"
        " WHERE message_id = $1 ORDER BY position",
        message_id,
    )
    return tuple(
        AdvisoryFinding(
            str(message_id), r["position"], r["gemeente"], r["rule"], r["retourcode"], r["location"]
        )
        for r in rows
    )


@dataclass(frozen=True, slots=True)
class ReportLine:
    """One gemeente's findings of one rule: how many, on how many messages, and examples."""

    gemeente: str
    rule: str
    retourcode: str
    findings: int
    messages: int
    last_at: datetime
    examples: tuple[UUID, ...]  # the newest messages with a finding of this rule


async def report(
    db: DbConnection | Pool,
    gemeente: str | None = None,
    since: datetime | None = None,
    examples: int = 3,
) -> list[ReportLine]:
    """Advisory findings per gemeente and rule (most frequent first within a gemeente)."""
    rows = await db.fetch(
        """
        WITH per_message AS (
            SELECT gemeente, rule, message_id, min(retourcode) AS retourcode,
                   count(*) AS n, max(found_at) AS at
            FROM history_advisory_finding
            WHERE ($1::text IS NULL OR gemeente = $1)
              AND ($2::timestamptz IS NULL OR found_at >= $2)
            GROUP BY gemeente, rule, message_id
        )
        SELECT gemeente, rule, min(retourcode) AS retourcode, sum(n)::bigint AS findings,
               count(*) AS messages, max(at) AS last_at,
               (array_agg(message_id ORDER BY at DESC, message_id))[1:$3] AS examples
        FROM per_message
        GROUP BY gemeente, rule
        ORDER BY gemeente, findings DESC, rule
        """,
        gemeente,
        since,
        max(examples, 0),
    )
    return [
        ReportLine(
            gemeente=r["gemeente"],
            rule=r["rule"],
            retourcode=r["retourcode"],
            findings=r["findings"],
            messages=r["messages"],
            last_at=r["last_at"],
            examples=tuple(r["examples"] or ()),
        )
        for r in rows
    ]
