"""The VECOZO-like adapter: the care-provider side of the chain (8-digit AGB codes)."""

from __future__ import annotations

from adapters import vecozodoor
from adapters.base import NodeAdapter
from hub.domain.messages import Node

ADAPTER = NodeAdapter(
    node=Node.VECOZO,
    title="VECOZO-like node adapter (zorgaanbieders)",
    party_kind="care providers (8-digit AGB code)",
    doors=(vecozodoor.install,),  # the VSP-Koppeling REST door (issue #21) beside the JSON API
)
