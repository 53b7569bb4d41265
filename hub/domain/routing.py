"""Pure routing decisions: who sent a message, who receives it, and through which node."""

from __future__ import annotations

from dataclasses import dataclass

from hub.domain.messages import CATALOGUE, MessageType, Node, node_of
from hub.domain.xmlcodec import Envelope


@dataclass(frozen=True, slots=True)
class Route:
    message_type: MessageType
    sender: str
    receiver: str
    node: Node  # node that serves the receiver


def message_type_of(envelope: Envelope) -> MessageType | None:
    name = envelope.message_name
    return CATALOGUE.get(name) if name else None


def sender_of(envelope: Envelope) -> str | None:
    """The party that sends the message. A retour keeps the heenbericht's header (IV028),
    so its sender is the header's Ontvanger."""
    mt = message_type_of(envelope)
    if mt is not None and mt.copies_heen_header:
        return envelope.ontvanger
    return envelope.afzender


def route(envelope: Envelope) -> Route | None:
    """Where a message goes, or None when its type or parties cannot be read."""
    mt = message_type_of(envelope)
    if mt is None or not envelope.afzender or not envelope.ontvanger:
        return None
    if mt.copies_heen_header:
        sender, receiver = envelope.ontvanger, envelope.afzender
    else:
        sender, receiver = envelope.afzender, envelope.ontvanger
    return Route(mt, sender, receiver, node_of(mt.receiver))
