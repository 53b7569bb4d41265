"""The GGK-like adapter: the gemeente side of the chain (4-digit CBS gemeentecodes, the CAK)."""

from __future__ import annotations

from adapters import ggkdoor, ggkfo01
from adapters.base import NodeAdapter
from hub.domain.messages import Node

ADAPTER = NodeAdapter(
    node=Node.GGK,
    title="GGK-like node adapter (gemeenten, CAK)",
    party_kind="gemeenten (4-digit CBS code) and the CAK",
    doors=(ggkdoor.install,),  # the StUF-GGk SOAP door (issue #21) beside the JSON API
    door_loops=(("ggk-fo01", ggkfo01.Fo01Loop),),  # its asynchronous Fo01s
)
