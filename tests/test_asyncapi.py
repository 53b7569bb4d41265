"""The AsyncAPI document: generated from the registries, structurally AsyncAPI 3.0, checked in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hub.domain import events, topics
from hub.domain.headers import H
from hub.domain.topics import TopicSpec
from hub.ops import asyncapi
from hub.ops.cli.main import main
from hub.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CHECKED_IN = ROOT / "docs" / "asyncapi.json"


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return asyncapi.document()


def _resolve(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = doc
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _refs(value: Any) -> list[str]:
    if isinstance(value, dict):
        own = [value["$ref"]] if isinstance(value.get("$ref"), str) else []
        return own + [r for v in value.values() for r in _refs(v)]
    if isinstance(value, list):
        return [r for v in value for r in _refs(v)]
    return []


def test_checked_in_document_is_up_to_date() -> None:
    assert CHECKED_IN.read_text(encoding="utf-8") == asyncapi.render(), (
        "docs/asyncapi.json is stale: run `hub docs asyncapi --out docs/asyncapi.json`"
    )


def test_top_level_structure(doc: dict[str, Any]) -> None:
    assert doc["asyncapi"] == "3.0.0"
    assert doc["info"]["title"]
    assert doc["info"]["version"]
    assert set(doc) >= {"asyncapi", "info", "channels", "operations", "components"}
    for server in doc["servers"].values():
        assert server["protocol"] == "kafka"
        assert server["host"]


def test_every_reference_resolves(doc: dict[str, Any]) -> None:
    refs = _refs(doc)
    assert refs
    for ref in refs:
        _resolve(doc, ref)
    assert not [r for r in refs if "$defs" in r]


def test_one_channel_per_registered_topic(doc: dict[str, Any]) -> None:
    settings = Settings(topic_prefix="abc")
    addresses = {c["address"] for c in doc["channels"].values()}
    assert len(doc["channels"]) == len(topics.ALL)
    for spec in topics.ALL:
        assert "{prefix}." + spec.suffix in addresses
    for channel in doc["channels"].values():
        assert channel["description"]
        assert set(channel["parameters"]) == {"prefix"}  # every {param} in address is declared
        assert channel["address"].format(prefix="abc") in {
            topics.name(settings, s) for s in topics.ALL
        }
    prefix = doc["components"]["parameters"]["prefix"]
    assert prefix["default"] == Settings.model_fields["topic_prefix"].default
    assert "HUB_TOPIC_PREFIX" in prefix["description"]


def test_operations_point_at_their_channels_messages(doc: dict[str, Any]) -> None:
    assert len(doc["operations"]) == len(topics.ALL)
    for name, op in doc["operations"].items():
        assert op["action"] in ("send", "receive"), name
        channel_ref = op["channel"]["$ref"]
        channel = _resolve(doc, channel_ref)
        assert op["messages"]
        for message in op["messages"]:
            # AsyncAPI 3: an operation's messages must be messages of its channel.
            assert message["$ref"].startswith(channel_ref + "/messages/")
            assert message["$ref"].rsplit("/", 1)[1] in channel["messages"]
    actions = {op["channel"]["$ref"]: op["action"] for op in doc["operations"].values()}
    assert actions["#/channels/ingress"] == "receive"
    assert actions["#/channels/events"] == "send"


def test_messages_have_key_headers_and_payload(doc: dict[str, Any]) -> None:
    messages = doc["components"]["messages"]
    assert len(messages) == len(topics.ALL)
    keys = {spec.key for spec in topics.ALL}
    for name, message in messages.items():
        assert message["contentType"] in (
            "application/xml",
            "application/json",
            "application/octet-stream",
        )
        headers = message["headers"]
        assert headers["type"] == "object"
        assert set(headers["required"]) <= set(headers["properties"]), name
        assert all(p["type"] == "string" for p in headers["properties"].values())
        assert message["payload"]
        kafka = message["bindings"]["kafka"]
        assert kafka["bindingVersion"]
        assert kafka["key"]["description"] in keys


def test_headers_come_from_the_header_registry(doc: dict[str, Any]) -> None:
    assert set(asyncapi.HEADER_TEXT) == set(H)
    used = {
        name
        for message in doc["components"]["messages"].values()
        for name in message["headers"]["properties"]
    }
    assert {h.value for h in H} <= used
    assert used - {h.value for h in H} == set(asyncapi.TRACE_HEADERS)
    dlq = doc["components"]["messages"]["dlq"]["headers"]["required"]
    assert {H.DLQ_STAGE, H.DLQ_ERROR, H.DLQ_REASON, H.DLQ_ORIGIN} <= set(dlq)
    ingress = doc["components"]["messages"]["ingress"]["headers"]["required"]
    assert ingress == [H.MESSAGE_ID, H.NODE, H.PARTY, H.RECEIVED_AT]


def test_a_topic_without_a_contract_fails_generation() -> None:
    with pytest.raises(KeyError, match="no contract"):
        asyncapi.contract(TopicSpec("new", key="k", payload="p", description="d"))


def test_events_payload_is_the_event_schema(doc: dict[str, Any]) -> None:
    message = doc["components"]["messages"]["events"]
    assert message["contentType"] == "application/json"
    event = _resolve(doc, message["payload"]["$ref"])
    assert event["discriminator"] == "type"  # AsyncAPI Schema: a property name
    variants = [_resolve(doc, v["$ref"]) for v in event["oneOf"]]
    types = {v["properties"]["type"]["const"] for v in variants}
    assert types == {t.value for t in events.EventType}
    source = events.event_json_schema()["$defs"]
    for name in source:
        assert name in doc["components"]["schemas"]
    for schema in doc["components"]["schemas"].values():
        assert not isinstance(schema.get("discriminator"), dict)
    headers = message["headers"]["properties"]
    assert set(headers) == {h.value for h in events.EVENT_HEADERS}


def test_xml_payload_names_the_schema_packs(doc: dict[str, Any]) -> None:
    for name in ("ingress", "egressGgk", "egressVecozo", "parked"):
        message = doc["components"]["messages"][name]
        assert message["contentType"] == "application/xml"
        assert message["payload"] == {"$ref": "#/components/schemas/IStandaardenXml"}
    packs = doc["components"]["schemas"]["IStandaardenXml"]["x-schema-packs"]
    on_disk = sorted(p.parent.name for p in (ROOT / "hub" / "schemas").glob("*/manifest.json"))
    assert [p["path"].rsplit("/", 1)[1] for p in packs] == on_disk
    wmo = next(p for p in packs if p["standard"] == "iwmo")
    assert "WMO305" in wmo["messages"]
    assert (ROOT / wmo["path"] / "manifest.json").is_file()


def test_cli_writes_and_prints_the_documents(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "asyncapi.json"
    assert main(["docs", "asyncapi", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == asyncapi.render()
    assert main(["docs", "asyncapi"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(asyncapi.render())
    schema = tmp_path / "events.schema.json"
    assert main(["docs", "events-schema", "--out", str(schema)]) == 0
    assert schema.read_text(encoding="utf-8") == (ROOT / "docs/events.schema.json").read_text(
        encoding="utf-8"
    )


def test_cli_reports_an_unwritable_out_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["docs", "asyncapi", "--out", str(tmp_path / "missing" / "x.json")]) == 2
    assert capsys.readouterr().err.startswith("hub: error: --out ")
