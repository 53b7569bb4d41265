"""Pure routing decisions: who sent a message, who receives it, and through which node."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Final

from hub.domain.messages import CATALOGUE, MessageType, Node, Role, node_of
from hub.domain.parties import Party
from hub.domain.xmlcodec import Envelope

RECEIVER_FIELD: Final = "Header/Ontvanger"


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


@dataclass(frozen=True, slots=True)
class ReceiverProblem:
    """Why a heenbericht's Ontvanger cannot receive it: the refusal's reason, and a sentence
    naming the field and its value (a party code, never personal data)."""

    reason: str  # unknown_gemeente, unknown_aanbieder, not_the_cak, wrong_receiver
    value: str
    sentence: str

    field: ClassVar[str] = RECEIVER_FIELD


def receiver_problem(
    mt: MessageType, receiver: str | None, party: Party | None
) -> ReceiverProblem | None:
    """Whether a heenbericht may go to `receiver` (`party`: its registry entry, None when it has
    none): it must be a registered party of the kind its message type goes to, on the node
    that serves that kind (a 305 to a gemeente on the ggk node, a 301 to an aanbieder on
    vecozo, a 405/407 to the CAK). Retours and the 325 go back the way their heenbericht came
    and are not checked here. None: it may."""
    if not mt.is_heen:
        return None
    wanted, node = mt.receiver, node_of(mt.receiver)
    value = receiver or ""
    if party is not None and party.kind == wanted and party.node is node:
        return None
    if wanted is Role.CAK:
        sentence = f"{RECEIVER_FIELD} {value!r}: a {mt.name} goes to the CAK only"
        return ReceiverProblem("not_the_cak", value, sentence)
    goes_to = f"a {mt.name} goes to a registered {wanted.value} ({node.value} node)"
    if party is None:
        sentence = f"{RECEIVER_FIELD} {value!r} is not a party registered with the hub; {goes_to}"
        return ReceiverProblem(f"unknown_{wanted.value}", value, sentence)
    registered = f"registered as {party.kind.value} on the {party.node.value} node"
    sentence = f"{RECEIVER_FIELD} {value!r} is {registered}; {goes_to}"
    return ReceiverProblem("wrong_receiver", value, sentence)
