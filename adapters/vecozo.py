"""The VECOZO-like adapter: the care-provider side of the chain (8-digit AGB codes)."""

from __future__ import annotations

from adapters.base import NodeAdapter
from hub.domain.messages import Node

ADAPTER = NodeAdapter(
    node=Node.VECOZO,
    title="VECOZO-like node adapter (zorgaanbieders)",
    party_kind="care providers (8-digit AGB code)",
)
