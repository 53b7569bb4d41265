"""What every role of one running adapter shares: its node, its runtime and the names it uses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Depends

from adapters.auth import party_authenticator
from adapters.base import NodeAdapter
from hub.domain import topics
from hub.infra.runtime import Runtime
from hub.settings import Settings


@dataclass(frozen=True, slots=True)
class AdapterContext:
    """One node adapter at work: built once per app and handed to each role."""

    adapter: NodeAdapter
    runtime: Runtime
    node: str
    ingress: str  # where uploads are produced
    events_topic: str  # where "message.delivered" goes
    group: str  # the egress consumer group
    secret: bytes  # keys person partitions without ever using the BSN itself
    # The caller of a party endpoint, as a parameter default (`caller: Party = ...`): a default
    # rather than an Annotated alias, because FastAPI resolves the (string) annotations of the
    # endpoints against their module, where an alias made at run time would not be found.
    authenticated: Any

    @classmethod
    def of(cls, adapter: NodeAdapter, runtime: Runtime) -> AdapterContext:
        settings = runtime.settings
        node = adapter.node.value
        return cls(
            adapter=adapter,
            runtime=runtime,
            node=node,
            ingress=topics.name(settings, topics.INGRESS),
            events_topic=topics.name(settings, topics.EVENTS),
            group=f"{settings.topic_prefix}-adapter-{node}",  # one group per hub deployment
            secret=settings.person_key_secret.get_secret_value().encode(),
            authenticated=Depends(party_authenticator(adapter, runtime)),
        )

    @property
    def settings(self) -> Settings:
        return self.runtime.settings
