"""The contract of a derivation: a flow that turns accepted messages into messages of its own
(eigen-bijdrage notices for the CAK, signals), inside the intake batch's transaction, so a
derived message exists exactly when its source was accepted.

A derivation ties an error that is one message's own to that message (handlers.poison.
per_message, with the stage `stage(name)`); past its tries intake runs the derivation again
without that message, which stays accepted and routed, and keeps a dead letter of the skip."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol
from uuid import UUID

from lxml import etree

from handlers.poison import DERIVATION, MessageFault, skipped
from hub.domain.decide import Decision, EventSpec, Incoming
from hub.domain.history.facts import HistoryFacts
from hub.domain.messages import MessageType
from hub.domain.records import MessageRow, OutboxMessage
from hub.infra.store.base import DbConnection


@dataclass(frozen=True, slots=True)
class Accepted:
    """A message the core accepted in this batch (in arrival order). `facts` are its history
    facts when intake extracted them (heenberichten that went through the history rules), so
    a derivation need not read them again; None otherwise."""

    row: MessageRow
    root: etree._Element
    message_type: MessageType
    facts: HistoryFacts | None = None


@dataclass
class Derived:
    """What a derivation adds to the batch's transaction."""

    rows: list[MessageRow] = field(default_factory=list)
    outbox: list[OutboxMessage] = field(default_factory=list)
    events: list[EventSpec] = field(default_factory=list)


class Derivation(Protocol):
    @property
    def name(self) -> str:
        """Its name in a dead letter's stage and in isdhub_failures{flow}: see `stage`."""
        ...

    async def __call__(self, conn: DbConnection, accepted: Sequence[Accepted]) -> Derived: ...


def stage(name: str) -> str:
    """The stage of a derivation's faults and dead letters: "derivation:<name>"."""
    return f"{DERIVATION}{name}"


async def run(
    conn: DbConnection,
    derivations: Sequence[Derivation],
    accepted: Sequence[Accepted],
    items: Mapping[UUID, Incoming],
    skips: Mapping[tuple[UUID, str], MessageFault],
) -> list[Decision]:
    """Each derivation on the batch's accepted messages, in order, less those it failed on
    past their tries (handlers.poison.Attempts.skips): a dead letter each instead."""
    decisions: list[Decision] = []
    for derivation in derivations:
        name = stage(derivation.name)
        left_out = {a.row.id for a in accepted if (a.row.id, name) in skips}
        derived = await derivation(conn, [a for a in accepted if a.row.id not in left_out])
        decisions.append(Decision(rows=derived.rows, outbox=derived.outbox, events=derived.events))
        decisions.extend(
            skipped(items[a.row.id], skips[(a.row.id, name)])
            for a in accepted
            if a.row.id in left_out
        )
    return decisions
