"""Deciding under advisory mode: whether a gemeente's mode lets history findings through, and
what a message routed despite them reports (hub/domain/advisory.py has the why)."""

from __future__ import annotations

from hub.domain.advisory import Mode, advisory_findings, gemeente_of
from hub.domain.decide.decision import Context, Decision, EventSpec, finding_refs
from hub.domain.findings import Finding
from hub.domain.history import HistoryFacts
from hub.domain.records import MessageRow

ADVISORY_FINDING = "message.advisory-finding"


def advised(
    ctx: Context, facts: HistoryFacts | None, history_findings: tuple[Finding, ...]
) -> str | None:
    """The gemeente whose advisory mode routes a message despite `history_findings`; None
    when there are none or they refuse it (enforce mode, or no gemeente to ask)."""
    if not history_findings:
        return None
    gemeente = gemeente_of(facts)
    if gemeente is None or ctx.history_mode(gemeente) is not Mode.ADVISORY:
        return None
    return gemeente


def report(
    decision: Decision, row: MessageRow, gemeente: str, findings: tuple[Finding, ...]
) -> Decision:
    """`decision` (the message routed as if clean) with its history findings reported: one
    message.advisory-finding event listing them, and the rows `hub history report` counts."""
    decision.events.append(
        EventSpec(
            ADVISORY_FINDING,
            row.id,
            row,
            {
                "gemeente": gemeente,
                "rules": sorted({f.rule for f in findings}),
                "retourcodes": sorted({f.retourcode for f in findings if f.retourcode}),
                "findings": finding_refs(findings),
            },
        )
    )
    decision.advisory = advisory_findings(str(row.id), gemeente, findings)
    return decision
