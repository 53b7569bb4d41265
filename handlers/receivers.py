"""Known receivers in the core: the heenberichten of a batch dead-lettered for their Ontvanger.

A heenbericht to no registered party of the kind its type goes to is kept aside with why, never
delivered. The adapters refuse such an upload (422); this catches one produced straight to
ingress."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from uuid import UUID

from hub.domain import decide, routing
from hub.domain.decide import Context, Decision, Incoming
from hub.domain.validation import Verdict
from hub.infra.store import DbConnection, parties

STAGE = "routing"


async def unroutable(
    conn: DbConnection,
    ctx: Context,
    items: Sequence[Incoming],
    verdicts: Sequence[Verdict],
    persons: Sequence[str | None],
    decided: Collection[UUID],
) -> dict[UUID, Decision]:
    """The dead letters of the batch's heenberichten whose Ontvanger cannot receive them (one
    registry lookup for the batch); `decided`: messages already decided (parked), left alone."""
    heen = [
        (item, verdict, person)
        for item, verdict, person in zip(items, verdicts, persons, strict=True)
        if item.id not in decided
        and verdict.answerable
        and verdict.message_type is not None
        and verdict.message_type.is_heen
        and verdict.envelope is not None
    ]
    if not heen:
        return {}
    codes = sorted(
        {v.envelope.ontvanger for _, v, _ in heen if v.envelope and v.envelope.ontvanger}
    )
    known = await parties.parties_by_code(conn, codes)
    out: dict[UUID, Decision] = {}
    for item, verdict, person in heen:
        assert verdict.message_type is not None
        assert verdict.envelope is not None
        receiver = verdict.envelope.ontvanger
        party = known.get(receiver) if receiver else None
        problem = routing.receiver_problem(verdict.message_type, receiver, party)
        if problem is not None:
            row = decide.base_row(item, verdict, person)
            # Dead-letter errors are kebab-case codes (unknown-heenbericht, wrong-party).
            error = problem.reason.replace("_", "-")
            out[item.id] = decide.dead_letter(ctx, item, row, STAGE, error, problem.sentence)
    return out
