"""Every Kafka topic of the hub, one typed entry each, and how its name is made.

Creating them on a broker is hub.infra.kafka.topic_admin's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from hub.domain.messages import Node


class Prefixed(Protocol):
    """What names a topic: the settings' prefix (hub.settings.Settings has it; the domain does
    not import the settings, which sit above it)."""

    def topic(self, suffix: str) -> str: ...


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """One topic: its name suffix and its contract (what the key and value are)."""

    suffix: str
    key: str
    payload: str
    description: str


INGRESS = TopicSpec(
    "ingress",
    key="uploading party code",
    payload="raw iStandaarden XML as uploaded",
    description="Everything an adapter accepted, on its way to the hub core.",
)
EGRESS = {
    node: TopicSpec(
        f"egress.{node.value}",
        key="receiving party code",
        payload="raw iStandaarden XML for the receiver",
        description=f"Messages for parties served by the {node.value} node adapter.",
    )
    for node in Node
}
EVENTS = TopicSpec(
    "events",
    key="message id",
    payload="versioned JSON domain event",
    description="Domain events for integrators (accepted, rejected, delivered, ...).",
)
DLQ = TopicSpec(
    "dlq",
    key="original key",
    payload="original bytes, with hub-dlq-* reason headers",
    description="Messages the hub could not process, with why and where they came from.",
)
PARKED = TopicSpec(
    "parked",
    key="uploading party code",
    payload="raw XML held during a release freeze",
    description="Messages held during a freeze, released or returned at cutover.",
)

ALL: tuple[TopicSpec, ...] = (INGRESS, *EGRESS.values(), EVENTS, DLQ, PARKED)


def name(settings: Prefixed, spec: TopicSpec) -> str:
    return settings.topic(spec.suffix)


def egress_name(settings: Prefixed, node: Node) -> str:
    return name(settings, EGRESS[node])
