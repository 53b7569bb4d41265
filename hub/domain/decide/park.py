"""The release-freeze decision: park a message that may not flow now, or hold a hub notice.

The core's step is authoritative (the adapters only refuse early): a parked message is recorded
with status "parked" and queued to the parked topic, never validated against history, routed or
answered. `hub freeze release|return` takes it from there at the cutover. No I/O: the intake
batch writes what comes out.

Notices the hub derives itself (the eigen-bijdrage 405/407) follow the calendar of their own
standard (iEb), not that of the message they came from: `held_notice` decides those."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from hub.domain import freeze
from hub.domain.decide.decision import Context, Decision, EventSpec, Incoming, base_row
from hub.domain.events import EventType
from hub.domain.headers import H
from hub.domain.messages import MessageType, Standard
from hub.domain.records import MessageRow, OutboxMessage
from hub.domain.validation import Verdict

PARKED = "parked"
HUB = "hub"  # submitted_by and key of what the hub itself parks


def parked_event(
    calendar: freeze.Calendar, row: MessageRow, phase_at: datetime
) -> EventSpec | None:
    """message.parked for a row parked under `calendar`'s freeze of its standard."""
    f = calendar.get(row.standard or "")
    if f is None:
        return None
    kind = "new-release" if row.release == f.to_release else "old-release"
    data: dict[str, object] = {
        "kind": kind,
        "phase": f.phase(phase_at).value,
        "from_release": f.from_release,
        "to_release": f.to_release,
        "until": f.cutover,
    }
    return EventSpec(EventType.PARKED.value, row.id, row, data)


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
    event = parked_event(ctx.freeze, row, item.received_at)
    return Decision(
        rows=[row],
        outbox=[OutboxMessage(ctx.parked_topic, item.party.encode(), item.payload, headers)],
        events=[event] if event is not None else [],
    )


def notice_release(
    calendar: freeze.Calendar | None, releases: tuple[str, ...], now: datetime
) -> str | None:
    """The iEb release a notice made at `now` is built in: the one in force when it will be
    sent. Under an iEb freeze that is the old release until its heen freeze, and the new one
    from then on (a notice made during the freeze is held and sent at the cutover, when only
    the new release is accepted); otherwise None (the newest loaded release)."""
    f = calendar.get(Standard.IEB) if calendar is not None else None
    if f is None:
        return None
    wanted = f.from_release if now < f.heen_freeze else f.to_release
    return wanted if wanted in releases else None


def held_notice(
    calendar: freeze.Calendar | None,
    row: MessageRow,
    message_type: MessageType,
    parked_topic: str,
    now: datetime,
) -> tuple[MessageRow, OutboxMessage, EventSpec] | None:
    """A notice the hub built, when its own standard's freeze holds it: recorded as parked
    (sent at the cutover by handlers.cutover, under its own id) and queued to the parked topic;
    None when it may go now."""
    if calendar is None or row.release is None:
        return None
    outcome = freeze.decide(calendar, message_type.standard, row.release, message_type, now)
    if isinstance(outcome, freeze.Allow):
        return None
    parked = replace(row, status=PARKED, retour_due=None)
    headers = {
        H.MESSAGE_ID.value: str(row.id),
        H.NODE.value: HUB,
        H.PARTY.value: HUB,
        H.RECEIVED_AT.value: now.isoformat(),
        H.MESSAGE_TYPE.value: message_type.name,
    }
    event = parked_event(calendar, parked, now)
    assert event is not None  # decide() held it, so the calendar has a freeze for it
    return parked, OutboxMessage(parked_topic, HUB.encode(), row.payload, headers), event
