"""The contract of a derivation: a flow that turns accepted messages into messages of its own
(eigen-bijdrage notices for the CAK, signals), inside the intake batch's transaction, so a
derived message exists exactly when its source was accepted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from lxml import etree

from hub.domain.decide import EventSpec
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
    async def __call__(self, conn: DbConnection, accepted: Sequence[Accepted]) -> Derived: ...
