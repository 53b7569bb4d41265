"""The contract every node adapter fulfils: which node it is and which parties it serves.

An adapter is the only door for a party. The runner (adapters/runner.py) owns everything
that is the same for every node: the HTTP API, the Kafka producer and egress consumer, and
their lifecycle. A node adapter only says what is particular to its node.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hub.messages import Node


@dataclass(frozen=True, slots=True)
class NodeAdapter:
    """What distinguishes one node's adapter from another's."""

    node: Node
    title: str
    party_kind: str  # human description of who is served, for error messages and docs
    party_pattern: re.Pattern[str]

    def serves(self, party: str) -> bool:
        """Whether a party of this code may use this adapter at all."""
        return self.party_pattern.fullmatch(party) is not None
