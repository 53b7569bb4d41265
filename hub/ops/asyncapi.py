"""The AsyncAPI 3.0 document of the hub's Kafka topics, generated from the registries.

Channels come from `hub.domain.topics.ALL`, header names from `hub.domain.headers.H`, the
events payload from `hub.domain.events`, the XML payloads' schema packs from
`hub/schemas/*/manifest.json`, and the prefix parameter from the settings' field. Only the
per-topic header contract below is written here by hand; a topic without one fails
generation (and its test).
`hub docs asyncapi --out docs/asyncapi.json` regenerates the checked-in copy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from hub import __version__
from hub.domain import events, topics
from hub.domain.headers import H
from hub.domain.messages import Node
from hub.domain.topics import TopicSpec
from hub.settings import Settings

ASYNCAPI_VERSION: Final = "3.0.0"
_KAFKA_BINDING: Final = "0.5.0"
_PACKAGE: Final = Path(__file__).resolve().parents[1]  # hub/, where the schema packs live

HEADER_TEXT: Final[dict[H, str]] = {
    H.MESSAGE_ID: "The hub's message id (UUID), set by the adapter at upload and kept on "
    "every hop, event and dead letter.",
    H.NODE: "Node the message entered through (ggk or vecozo); on egress, the receiving node.",
    H.PARTY: "Authenticated party (4-digit CBS or 8-digit AGB code) that uploaded the message.",
    H.RECEIVED_AT: "ISO-8601 UTC moment the adapter accepted the upload.",
    H.RECEIVER: "Party code whose inbox the message is for.",
    H.MESSAGE_TYPE: "Message kind, e.g. WMO305, once the core has recognised it.",
    H.DLQ_STAGE: "Processing stage that gave up on the message (validation, linking, ...).",
    H.DLQ_ERROR: "Machine-readable error code.",
    H.DLQ_REASON: "One sentence for operators; never quotes personal data.",
    H.DLQ_ORIGIN: "Where the original record was: topic/partition/offset.",
}
# W3C Trace Context, passed through from the adapter's HTTP request when present.
TRACE_HEADERS: Final = {
    "traceparent": "W3C Trace Context traceparent of the upload, when traced.",
    "tracestate": "W3C Trace Context tracestate, when present.",
}

_INGRESS_HEADERS: Final = (H.MESSAGE_ID, H.NODE, H.PARTY, H.RECEIVED_AT)


@dataclass(frozen=True, slots=True)
class Contract:
    """What the registry does not say about a topic: its headers and what the hub does."""

    required: tuple[H, ...]
    optional: tuple[H, ...]
    hub_action: Literal["send", "receive"]
    payload: Literal["xml", "event", "bytes"]
    traced: bool = True


def contract(spec: TopicSpec) -> Contract:
    """The header contract of one registered topic; KeyError for a topic nobody described."""
    if spec in topics.EGRESS.values():
        return Contract((H.MESSAGE_ID, H.RECEIVER, H.NODE), (H.MESSAGE_TYPE,), "send", "xml")
    by_topic: dict[TopicSpec, Contract] = {
        topics.INGRESS: Contract(_INGRESS_HEADERS, (), "receive", "xml"),
        topics.EVENTS: Contract(
            events.EVENT_HEADERS[:1], events.EVENT_HEADERS[1:], "send", "event", traced=False
        ),
        topics.DLQ: Contract(
            (*_INGRESS_HEADERS, H.DLQ_STAGE, H.DLQ_ERROR, H.DLQ_REASON, H.DLQ_ORIGIN),
            (),
            "send",
            "bytes",
        ),
        topics.PARKED: Contract(_INGRESS_HEADERS, (H.MESSAGE_TYPE,), "send", "xml"),
    }
    try:
        return by_topic[spec]
    except KeyError:
        raise KeyError(f"topic {spec.suffix!r} has no contract in hub/ops/asyncapi.py") from None


def _id(spec: TopicSpec) -> str:
    head, *rest = spec.suffix.split(".")
    return head + "".join(part.capitalize() for part in rest)


def _schema_packs() -> list[dict[str, Any]]:
    packs = []
    for manifest in sorted(_PACKAGE.glob("schemas/*/manifest.json")):
        data = json.loads(manifest.read_text(encoding="utf-8"))
        packs.append(
            {
                "standard": data["standard"],
                "release": data["release"],
                "path": f"hub/schemas/{manifest.parent.name}",
                "hubModel": bool(data.get("hub_model", False)),
                "messages": sorted(data.get("messages", {})),
            }
        )
    return packs


def _event_schemas() -> dict[str, Any]:
    """The event JSON Schema as components.schemas entries (refs rewritten, AsyncAPI's
    string `discriminator` instead of the OpenAPI object pydantic writes)."""
    generated = events.event_json_schema()
    text = json.dumps(generated).replace('"#/$defs/', '"#/components/schemas/')
    schema = json.loads(text)
    defs: dict[str, Any] = schema.pop("$defs")
    for definition in defs.values():
        if isinstance(definition.get("discriminator"), dict):
            definition["discriminator"] = definition["discriminator"]["propertyName"]
    event = {
        "title": schema["title"],
        "description": schema["description"],
        "oneOf": schema["oneOf"],
        "discriminator": schema["discriminator"]["propertyName"],
    }
    return {"Event": event, **defs}


def _headers_schema(c: Contract) -> dict[str, Any]:
    props: dict[str, Any] = {
        h.value: {"type": "string", "description": HEADER_TEXT[h]}
        for h in (*c.required, *c.optional)
    }
    if c.traced:
        props.update(
            {name: {"type": "string", "description": t} for name, t in TRACE_HEADERS.items()}
        )
    return {"type": "object", "required": [h.value for h in c.required], "properties": props}


def _payload(c: Contract) -> tuple[str, dict[str, Any]]:
    if c.payload == "event":
        return "application/json", {"$ref": "#/components/schemas/Event"}
    if c.payload == "bytes":
        return "application/octet-stream", {"$ref": "#/components/schemas/OriginalBytes"}
    return "application/xml", {"$ref": "#/components/schemas/IStandaardenXml"}


def document() -> dict[str, Any]:
    """The AsyncAPI 3.0 document (a plain JSON-able dict)."""
    fields = Settings.model_fields
    prefix = fields["topic_prefix"]
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for spec in topics.ALL:
        c = contract(spec)
        cid = _id(spec)
        content_type, payload = _payload(c)
        messages[cid] = {
            "name": cid,
            "title": f"{spec.suffix} record",
            "summary": spec.payload,
            "contentType": content_type,
            "headers": _headers_schema(c),
            "payload": payload,
            "bindings": {
                "kafka": {
                    "key": {"type": "string", "description": spec.key},
                    "bindingVersion": _KAFKA_BINDING,
                }
            },
        }
        channels[cid] = {
            "address": "{prefix}." + spec.suffix,
            "title": spec.suffix,
            "description": spec.description,
            "parameters": {"prefix": {"$ref": "#/components/parameters/prefix"}},
            "messages": {cid: {"$ref": f"#/components/messages/{cid}"}},
        }
        verb = "consumes" if c.hub_action == "receive" else "produces"
        operations[f"{c.hub_action}{cid[0].upper()}{cid[1:]}"] = {
            "action": c.hub_action,
            "title": f"The hub {verb} {spec.suffix}",
            "channel": {"$ref": f"#/channels/{cid}"},
            "messages": [{"$ref": f"#/channels/{cid}/messages/{cid}"}],
        }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "isd-hub Kafka topics",
            "version": __version__,
            "description": (
                "Topics of isd-hub, the hub between the GGK-like node (gemeenten, CAK) and the "
                "VECOZO-like node (zorgaanbieders) for iWmo / iJw / iEb messages. Operations "
                "are the hub's own (send = the hub produces, receive = the hub consumes). "
                "Delivery is at-least-once: consumers must tolerate duplicates (dedupe on "
                f"{H.MESSAGE_ID.value}, or on the event id). Generated by `hub docs asyncapi`."
            ),
        },
        "defaultContentType": "application/xml",
        "servers": {
            "embedded": {
                "host": f"{fields['host'].default}:{fields['embedded_kafka_port'].default}",
                "protocol": "kafka",
                "description": "The broker `hub up` starts when HUB_KAFKA_BOOTSTRAP is unset; "
                "for a real cluster, the bootstrap servers in HUB_KAFKA_BOOTSTRAP.",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "parameters": {
                "prefix": {
                    "description": f"HUB_TOPIC_PREFIX: {prefix.description}",
                    "default": prefix.default,
                }
            },
            "messages": messages,
            "schemas": {
                "IStandaardenXml": {
                    "type": "string",
                    "contentMediaType": "application/xml",
                    "description": "One iWmo / iJw / iEb message (UTF-8 XML, at most 25 MB), "
                    "valid against the XSDs of one of the schema packs in x-schema-packs "
                    "(ingress and parked: as uploaded, not yet validated).",
                    "x-schema-packs": _schema_packs(),
                    "x-nodes": [n.value for n in Node],
                },
                "OriginalBytes": {
                    "type": "string",
                    "format": "binary",
                    "description": "The record's original value, unchanged (usually XML).",
                },
                **_event_schemas(),
            },
        },
    }


def render(doc: dict[str, Any] | None = None) -> str:
    """The document as the checked-in docs/asyncapi.json is formatted."""
    return json.dumps(document() if doc is None else doc, indent=2, ensure_ascii=False) + "\n"
