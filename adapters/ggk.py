"""The GGK-like adapter: the gemeente side of the chain (4-digit CBS gemeentecodes)."""

from __future__ import annotations

import re

from adapters.base import NodeAdapter
from hub.messages import Node

ADAPTER = NodeAdapter(
    node=Node.GGK,
    title="GGK-like node adapter (gemeenten)",
    party_kind="a gemeente (4-digit CBS code)",
    party_pattern=re.compile(r"[0-9]{4}"),
)
