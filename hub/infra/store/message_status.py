"""What became of a party's own uploads, as its sender may see it (GET /v1/messages on an adapter).

One message's verdict with its findings, its route, its deliveries to the receiver, the retour it
got (or the heenbericht it answers), its retour deadline, a verzoek's answer clocks and a dead
letter's reason; an upload not yet decided is `received` (from the adapter's ingress journal).
The per-message lists (findings, deliveries) are fetched for many messages in one query each;
`hub trace` (ledger.trace) uses the same two queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from uuid import UUID

from hub.domain.findings import Finding, Level
from hub.domain.headers import H
from hub.infra.store.base import DbConnection, Pool


@dataclass(frozen=True, slots=True)
class Delivered:
    """One delivery of a message to a receiving party's inbox."""

    party: str
    node: str
    available_at: datetime
    downloaded_at: datetime | None
    acked_at: datetime | None


@dataclass(frozen=True, slots=True)
class MessageRef:
    """Another message named by this one: the heenbericht a retour answers, or its retour."""

    id: UUID
    bericht_code: str | None
    identificatie: str | None
    received_at: datetime
    retourcodes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AnswerClock:
    """A verzoek's (315/317) answer clock for one ReferentieAanbieder (request_deadline)."""

    referentie: str
    clock: str  # 'answer' (5 werkdagen) or 'final' (8 weeks, after a 319 "in onderzoek")
    due: datetime
    interim_id: UUID | None
    answer_id: UUID | None
    answered_at: datetime | None
    overdue_at: datetime | None


@dataclass(frozen=True, slots=True)
class DeadLetterReason:
    stage: str
    error: str
    reason: str


@dataclass(frozen=True, slots=True)
class MessageStatus:
    """One upload as its sender sees it."""

    id: UUID
    received_at: datetime
    source_node: str
    submitted_by: str
    message_type: str | None
    bericht_code: str | None
    identificatie: str | None
    sender: str | None
    receiver: str | None
    receiver_node: str | None
    status: str
    retourcodes: tuple[str, ...]
    retour_due: datetime | None
    overdue_at: datetime | None
    deadline_passed: bool  # no retour by its deadline, or one that came after it
    answers: MessageRef | None
    retour: MessageRef | None
    findings: tuple[Finding, ...]
    deliveries: tuple[Delivered, ...]
    clocks: tuple[AnswerClock, ...]
    dead_letter: DeadLetterReason | None


RECEIVED: Final = "received"  # taken by the adapter, not decided by the core yet

# Who may see a message: its uploader, or anyone reading the sending party's inbox (the party
# itself, an intermediary it authorised). A retour the hub built is no upload of anyone's. A row
# without a sender (recorded before the core decided it) falls back to its Header/Afzender.
_VISIBLE = """
    NOT m.built_by_hub
    AND (m.submitted_by = $1 OR coalesce(m.sender, m.afzender) = ANY($2::text[]))
"""
_SELECT = """
    SELECT m.id, m.received_at, m.source_node, m.submitted_by, m.message_type, m.bericht_code,
           m.identificatie, m.sender, m.receiver, m.receiver_node, m.status, m.retourcodes,
           m.retour_due, m.overdue_at,
           m.retour_due IS NOT NULL
               AND coalesce(m.retour_at, r.received_at, now()) > m.retour_due AS deadline_passed,
           h.id AS h_id, h.bericht_code AS h_bericht_code, h.identificatie AS h_identificatie,
           h.received_at AS h_received_at, h.retourcodes AS h_retourcodes,
           r.id AS r_id, r.bericht_code AS r_bericht_code, r.identificatie AS r_identificatie,
           r.received_at AS r_received_at, r.retourcodes AS r_retourcodes
    FROM message m
    LEFT JOIN message h ON h.id = m.answers
    LEFT JOIN message r ON r.id = m.retour_id
"""


async def of_message(
    db: DbConnection | Pool, message_id: UUID, caller: str, parties: Sequence[str]
) -> MessageStatus | None:
    """One message, if `caller` uploaded it or sends for one of `parties`; else None."""
    rows = await db.fetch(
        f"{_SELECT} WHERE m.id = $3 AND {_VISIBLE}", caller, list(parties), message_id
    )
    found = await _complete(db, rows)
    return found[0] if found else await _journaled(db, message_id, caller)


async def _journaled(
    db: DbConnection | Pool, message_id: UUID, caller: str
) -> MessageStatus | None:
    """An upload of `caller`'s the core has not recorded yet: still in its adapter's ingress
    journal (hub/infra/store/journal.py), which keeps each upload until the ledger has it."""
    row = await db.fetchrow(
        "SELECT node, headers->>$3 AS received_at FROM ingress_journal"
        " WHERE message_id = $1 AND headers->>$2 = $4",
        message_id,
        H.PARTY.value,
        H.RECEIVED_AT.value,
        caller,
    )
    if row is None or row["received_at"] is None:
        return None
    return MessageStatus(
        id=message_id,
        received_at=datetime.fromisoformat(row["received_at"]),
        source_node=row["node"],
        submitted_by=caller,
        message_type=None,
        bericht_code=None,
        identificatie=None,
        sender=None,
        receiver=None,
        receiver_node=None,
        status=RECEIVED,
        retourcodes=(),
        retour_due=None,
        overdue_at=None,
        deadline_passed=False,
        answers=None,
        retour=None,
        findings=(),
        deliveries=(),
        clocks=(),
        dead_letter=None,
    )


async def by_identificatie(
    db: DbConnection | Pool,
    bericht_code: str,
    identificatie: str,
    caller: str,
    parties: Sequence[str],
    senders: Sequence[str],
    limit: int,
) -> list[MessageStatus]:
    """The caller's messages with this BerichtCode and Identificatie, oldest first.

    `senders` are the sending parties the caller may upload for (itself, its delegations): they
    bound the search to the ledger's indexes on (sender | afzender, BerichtCode, Identificatie),
    and `caller` / `parties` then say which of those it may see."""
    rows = await db.fetch(
        f"""{_SELECT}
        WHERE m.bericht_code = $3 AND m.identificatie = $4
          AND (m.sender = ANY($5::text[]) OR (m.sender IS NULL AND m.afzender = ANY($5::text[])))
          AND {_VISIBLE}
        ORDER BY m.received_at, m.id
        LIMIT $6
        """,
        caller,
        list(parties),
        bericht_code,
        identificatie,
        sorted(set(senders) | set(parties) | {caller}),
        limit,
    )
    return await _complete(db, rows)


async def findings_of(
    db: DbConnection | Pool, ids: Sequence[UUID]
) -> dict[UUID, tuple[Finding, ...]]:
    """Each message's findings in the order the checks found them."""
    rows = await db.fetch(
        "SELECT message_id, rule, retourcode, level, location, sentence FROM finding"
        " WHERE message_id = ANY($1::uuid[]) ORDER BY message_id, position",
        list(ids),
    )
    out: dict[UUID, list[Finding]] = {}
    for f in rows:
        out.setdefault(f["message_id"], []).append(
            Finding(
                f["rule"], f["retourcode"], Level(str(f["level"])), f["location"], f["sentence"]
            )
        )
    return {k: tuple(v) for k, v in out.items()}


async def deliveries_of(
    db: DbConnection | Pool, ids: Sequence[UUID]
) -> dict[UUID, tuple[Delivered, ...]]:
    """Each message's deliveries, in the order they were made."""
    rows = await db.fetch(
        "SELECT message_id, party, node, available_at, downloaded_at, acked_at FROM delivery"
        " WHERE message_id = ANY($1::uuid[]) ORDER BY id",
        list(ids),
    )
    out: dict[UUID, list[Delivered]] = {}
    for d in rows:
        out.setdefault(d["message_id"], []).append(
            Delivered(d["party"], d["node"], d["available_at"], d["downloaded_at"], d["acked_at"])
        )
    return {k: tuple(v) for k, v in out.items()}


async def _clocks_of(
    db: DbConnection | Pool, ids: Sequence[UUID]
) -> dict[UUID, tuple[AnswerClock, ...]]:
    rows = await db.fetch(
        "SELECT message_id, referentie, clock, due, interim_id, answer_id, answered_at,"
        " overdue_at FROM request_deadline WHERE message_id = ANY($1::uuid[])"
        " ORDER BY message_id, referentie",
        list(ids),
    )
    out: dict[UUID, list[AnswerClock]] = {}
    for r in rows:
        data = dict(r)
        out.setdefault(data.pop("message_id"), []).append(AnswerClock(**data))
    return {k: tuple(v) for k, v in out.items()}


async def _dead_letters_of(
    db: DbConnection | Pool, ids: Sequence[UUID]
) -> dict[UUID, DeadLetterReason]:
    """Why each message was set aside (its first dead letter; a replay is a new message)."""
    rows = await db.fetch(
        "SELECT DISTINCT ON (message_id) message_id, stage, error, reason FROM dead_letter"
        " WHERE message_id = ANY($1::uuid[]) ORDER BY message_id, id",
        list(ids),
    )
    return {r["message_id"]: DeadLetterReason(r["stage"], r["error"], r["reason"]) for r in rows}


async def _complete(db: DbConnection | Pool, rows: Sequence[Any]) -> list[MessageStatus]:
    """The messages of `rows` with their lists: one query per list, whatever the count."""
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    findings = await findings_of(db, ids)
    deliveries = await deliveries_of(db, ids)
    clocks = await _clocks_of(db, ids)
    letters = (
        await _dead_letters_of(db, ids) if any(r["status"] == "dead-lettered" for r in rows) else {}
    )
    return [
        MessageStatus(
            id=r["id"],
            received_at=r["received_at"],
            source_node=r["source_node"],
            submitted_by=r["submitted_by"],
            message_type=r["message_type"],
            bericht_code=r["bericht_code"],
            identificatie=r["identificatie"],
            sender=r["sender"],
            receiver=r["receiver"],
            receiver_node=r["receiver_node"],
            status=r["status"],
            retourcodes=tuple(r["retourcodes"] or ()),
            retour_due=r["retour_due"],
            overdue_at=r["overdue_at"],
            deadline_passed=bool(r["deadline_passed"]),
            answers=_ref(r, "h_"),
            retour=_ref(r, "r_"),
            findings=findings.get(r["id"], ()),
            deliveries=deliveries.get(r["id"], ()),
            clocks=clocks.get(r["id"], ()),
            dead_letter=letters.get(r["id"]),
        )
        for r in rows
    ]


def _ref(row: Any, prefix: str) -> MessageRef | None:
    if row[f"{prefix}id"] is None:
        return None
    return MessageRef(
        id=row[f"{prefix}id"],
        bericht_code=row[f"{prefix}bericht_code"],
        identificatie=row[f"{prefix}identificatie"],
        received_at=row[f"{prefix}received_at"],
        retourcodes=tuple(row[f"{prefix}retourcodes"] or ()),
    )
