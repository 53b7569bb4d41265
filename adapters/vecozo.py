"""The VECOZO-like adapter: the care-provider side of the chain (8-digit AGB codes)."""

from __future__ import annotations

import re

from adapters.base import NodeAdapter
from hub.messages import Node

ADAPTER = NodeAdapter(
    node=Node.VECOZO,
    title="VECOZO-like node adapter (zorgaanbieders)",
    party_kind="a care provider (8-digit AGB code)",
    party_pattern=re.compile(r"[0-9]{8}"),
)
