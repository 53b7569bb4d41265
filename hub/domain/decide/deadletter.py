"""Dead letters: a message kept aside (ledger, dead-letter record, DLQ topic) with the reason.

Used for whatever cannot be answered with a retour: an unreadable, unknown or schema-invalid
message (`unusable`), and a retour or 325 that cannot be linked or breaks a history rule.
"""

from __future__ import annotations

import re
from dataclasses import replace

from hub.domain.decide.decision import (
    Context,
    Decision,
    EventSpec,
    Incoming,
    base_row,
    finding_refs,
)
from hub.domain.headers import H
from hub.domain.records import DeadLetter, MessageRow, OutboxMessage
from hub.domain.validation import Verdict


def _code(name: str) -> str:
    """A stage or error name as an event code: KeyError → key-error, at most 40 characters."""
    kebab = re.sub(r"[^a-z0-9]+", "-", re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name).lower())
    return (kebab.strip("-") or "error")[:40].rstrip("-")


def dead_letter(
    ctx: Context, item: Incoming, row: MessageRow, stage: str, error: str, reason: str
) -> Decision:
    """Keep it (ledger + dead-letter record + DLQ topic) with why, and tell integrators."""
    rejected = replace(row, status="dead-lettered")
    letter = DeadLetter(
        message_id=item.id,
        stage=stage,
        error=error,
        reason=reason,
        origin=item.origin,
        headers={
            H.MESSAGE_ID.value: str(item.id),
            H.NODE.value: item.node,
            H.PARTY.value: item.party,
            H.RECEIVED_AT.value: item.received_at.isoformat(),
        },
        payload=item.payload,
    )
    dlq = OutboxMessage(
        ctx.dlq_topic,
        item.party.encode(),
        item.payload,
        {
            **letter.headers,
            H.DLQ_STAGE.value: stage,
            H.DLQ_ERROR.value: error,
            H.DLQ_REASON.value: reason,
            H.DLQ_ORIGIN.value: item.origin,
        },
    )
    return Decision(
        rows=[rejected],
        outbox=[dlq],
        dead_letter=letter,
        events=[
            # The reason's sentence stays in the dead-letter record: events carry codes only.
            EventSpec(
                "message.rejected",
                item.id,
                rejected,
                {"stage": _code(stage), "error": _code(error), "dead_lettered": True},
            )
        ],
    )


def unusable(ctx: Context, item: Incoming, verdict: Verdict, person: str | None) -> Decision:
    """Not readable, not a known message, or not schema-valid: no retour exists for these
    (IV028: the node answers an XSD failure), so the message goes to the dead-letter queue."""
    row = base_row(item, verdict, person)
    first = verdict.findings[0] if verdict.findings else None
    decision = dead_letter(
        ctx,
        item,
        row,
        "validation",
        verdict.outcome.value,
        f"{first.rule} at {first.location}: {first.sentence}" if first else verdict.outcome.value,
    )
    decision.findings.append((item.id, verdict.findings))
    for event in decision.events:
        event.data["findings"] = finding_refs(verdict.findings)
        event.data["rules"] = sorted({f.rule for f in verdict.findings})
    return decision
