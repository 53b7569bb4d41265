"""The contract every node adapter fulfils: which node it is and which parties it serves.

An adapter is the only door for a party. What is the same for every node is owned by
adapters/app.py (the app and its lifecycle), uploads.py (the producer to ingress), inbox.py
(the parties' inboxes), delivery.py (the egress consumer) and auth.py (authentication). A
node adapter only says what is particular to its node.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

from hub.domain.messages import Node
from hub.domain.parties import Party

# A node's own door (issue #21: the GGk SOAP door, the VECOZO REST door): installs its routes
# on the adapter's app beside the JSON API, like uploads.install(app, ctx). The second argument
# is the AdapterContext, typed Any because adapters/context.py imports this module (no cycle).
Door = Callable[[FastAPI, Any], None]
# A background loop a node's door needs (e.g. the GGk door's asynchronous Fo01s), by its task
# name, made from the AdapterContext and run with the adapter's other loops (a background.Loop).
DoorLoop = tuple[str, Callable[[Any], Any]]


@dataclass(frozen=True, slots=True)
class NodeAdapter:
    """What distinguishes one node's adapter from another's."""

    node: Node
    title: str
    party_kind: str  # human description of who is served, for error messages and docs
    doors: tuple[Door, ...] = ()  # the node's own doors, installed beside the JSON API
    door_loops: tuple[DoorLoop, ...] = ()  # their background loops

    def serves(self, party: Party) -> bool:
        """Whether this party may use this adapter at all (the party registry decides)."""
        return party.node is self.node
