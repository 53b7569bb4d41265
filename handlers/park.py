"""The core's release-freeze step (authoritative; the adapters only refuse early): a message
that may not flow now is recorded with status "parked" and queued to the parked topic, never
validated against history, routed or answered. `hub freeze release|return` takes it from there
at the cutover. No I/O: the intake batch writes what comes out."""

from __future__ import annotations

from dataclasses import replace

from handlers.decide import Context, Decision, Incoming, base_row
from hub import freeze
from hub.headers import H
from hub.outbox import OutboxMessage
from hub.validation import Verdict

PARKED = "parked"


def park(ctx: Context, item: Incoming, verdict: Verdict, person: str | None) -> Decision | None:
    """The parking decision for one message, or None when it flows as usual.

    Decided on `received_at` (when the adapter accepted it, from the adapter's clock), so the
    adapter and the core agree and a redelivered batch decides the same."""
    mt = verdict.message_type
    pm = verdict.pack_message
    if ctx.freeze is None or mt is None or pm is None or not verdict.answerable:
        return None
    outcome = freeze.decide(ctx.freeze, mt.standard, pm.pack.release, mt, item.received_at)
    if isinstance(outcome, freeze.Allow):
        return None
    env = verdict.envelope
    row = replace(
        base_row(item, verdict, person),
        status=PARKED,
        sender=env.afzender if env and mt.is_heen else item.party,
        receiver=env.ontvanger if env else None,
    )
    headers = {
        H.MESSAGE_ID.value: str(item.id),
        H.NODE.value: item.node,
        H.PARTY.value: item.party,
        H.RECEIVED_AT.value: item.received_at.isoformat(),
        H.MESSAGE_TYPE.value: mt.name,
        **item.trace_headers,
    }
    return Decision(
        rows=[row],
        outbox=[OutboxMessage(ctx.parked_topic, item.party.encode(), item.payload, headers)],
    )
