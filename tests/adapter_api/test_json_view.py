"""The JSON view at a real adapter app (PostgreSQL and broker of the tests): a JSON upload is
judged like its XML (accepted, refused with the same finding shape, unreadable with a reason),
ingress gets the XML, and an inbox message downloads as the JSON its XML decodes to."""

from __future__ import annotations

import json
from typing import Any

import pytest
from lxml import etree

from hub.domain.jsonview import JsonView
from hub.domain.parties import DEMO_FILE, load_parties, new_token
from hub.infra import store
from hub.infra.kafka import topic_admin
from hub.settings import Settings
from tests.adapterkit import WMO305, Client, adapters, bearer, deliver, ingress_record
from tests.packkit import default_packs
from tests.security.conftest import FIXTURES

WMO301 = (FIXTURES / "iwmo-3.2" / "WMO301.xml").read_bytes()  # 0363 → 65656055
GEMEENTE, PROVIDER = "0363", "65656055"
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def view() -> JsonView:
    return JsonView(default_packs())


@pytest.fixture
async def registry(pool: store.Pool) -> store.Pool:
    await store.upsert_parties(pool, list(load_parties(DEMO_FILE)))
    return pool


@pytest.fixture
def adapter(registry: store.Pool, settings: Settings) -> Client:
    return adapters(registry, settings)


async def _bearer(pool: store.Pool, code: str) -> dict[str, str]:
    value = new_token()
    await store.add_token(pool, code, value)
    return bearer(value)


def _canonical(xml: bytes) -> bytes:
    parser = etree.XMLParser(remove_blank_text=True)
    return etree.tostring(etree.fromstring(xml, parser), method="c14n2")


async def test_a_json_301_is_accepted_and_ingress_gets_its_xml(
    registry: store.Pool, settings: Settings, adapter: Client, view: JsonView
) -> None:
    assert settings.kafka_bootstrap is not None
    await topic_admin.ensure_topics(settings, settings.kafka_bootstrap)
    body = json.dumps(view.decode(WMO301)).encode()
    async with adapter("ggk") as ggk:
        answer = await ggk.post(
            "/v1/messages", content=body, headers={**await _bearer(registry, GEMEENTE), **JSON}
        )
    assert answer.status_code == 202, answer.text
    record = await ingress_record(settings, answer.json()["id"])
    assert record.value.startswith(b"<?xml")  # the topics stay XML
    assert _canonical(record.value) == _canonical(WMO301)


async def test_a_json_schema_error_is_refused_with_the_findings_an_xml_one_has(
    registry: store.Pool, adapter: Client, view: JsonView
) -> None:
    data = view.decode(WMO301)
    data["Header"]["BerichtIdentificatie"]["Dagtekening"] = "2025-13-45"
    as_xml = WMO301.replace(b">2025-03-24<", b">2025-13-45<", 1)
    headers = await _bearer(registry, GEMEENTE)
    async with adapter("ggk") as ggk:
        from_json = await ggk.post(
            "/v1/messages", content=json.dumps(data).encode(), headers={**headers, **JSON}
        )
        from_xml = await ggk.post("/v1/messages", content=as_xml, headers=headers)
    assert from_json.status_code == from_xml.status_code == 400, from_json.text
    got, expected = from_json.json()["detail"], from_xml.json()["detail"]
    same = ("error", "reason", "node_code", "node_code_meaning")
    assert {k: got[k] for k in same} == {k: expected[k] for k in same}
    assert got["node_code"] == "IB001"
    assert {tuple(sorted(f)) for f in got["findings"]} == {
        tuple(sorted(f)) for f in expected["findings"]
    }
    first = got["findings"][0]
    assert first["location"] == "/Bericht/Header/BerichtIdentificatie/Dagtekening"
    assert first["sentence"]
    assert "2025-13-45" not in from_json.text  # findings never repeat a value (a BSN, …)


@pytest.mark.parametrize(
    ("body", "error", "reason"),
    [
        (b"<Bericht/>", "unreadable", "not_json"),
        (b'{"Header": {}}', "unreadable", "no_message"),
        (b'{"$message": "WMO999", "$release": "3.2"}', "invalid", "unknown_message"),
    ],
)
async def test_a_json_that_is_no_message_is_refused_with_its_reason(
    registry: store.Pool, adapter: Client, body: bytes, error: str, reason: str
) -> None:
    headers = await _bearer(registry, GEMEENTE)
    async with adapter("ggk") as ggk:
        answer = await ggk.post("/v1/messages", content=body, headers={**headers, **JSON})
    assert answer.status_code == 400, answer.text
    refusal = answer.json()["detail"]
    assert (refusal["error"], refusal["reason"]) == (error, reason)
    assert refusal["detail"]
    assert refusal["node_code"] == ("IB004" if reason == "unknown_message" else "IB001")


async def test_an_inbox_message_downloads_as_the_json_its_xml_decodes_to(
    registry: store.Pool, adapter: Client, view: JsonView
) -> None:
    message_id = await deliver(registry, GEMEENTE)
    headers = await _bearer(registry, GEMEENTE)
    path = f"/v1/inbox/{message_id}"
    async with adapter("ggk") as ggk:
        as_json = await ggk.get(path, headers={**headers, "Accept": "application/json"})
        plain = await ggk.get(path, headers=headers)
        prefers_xml = await ggk.get(
            path, headers={**headers, "Accept": "application/xml, application/json;q=0.5"}
        )
        openapi = (await ggk.get("/openapi.json")).json()["paths"]
    assert as_json.status_code == 200, as_json.text
    assert as_json.headers["content-type"].startswith("application/json")
    decoded: dict[str, Any] = as_json.json()
    assert decoded == view.decode(WMO305)
    assert decoded["$message"] == "WMO305"
    assert plain.headers["content-type"].startswith("application/xml")
    assert plain.content == WMO305
    assert prefers_xml.content == WMO305
    # The JSON encodes back to the same message.
    assert _canonical(view.encode(as_json.content)) == _canonical(WMO305)
    # Both directions are in the OpenAPI document.
    assert "application/json" in openapi["/v1/messages"]["post"]["requestBody"]["content"]
    answer = openapi["/v1/inbox/{message_id}"]["get"]["responses"]["200"]["content"]
    upload = openapi["/v1/messages"]["post"]["requestBody"]["content"]["application/json"]
    # Each with an example, a whole message the view takes, valid by its schema.
    for example in (answer["application/json"]["example"], upload["example"]):
        xml = view.encode(json.dumps(example).encode())
        pm = view.message_of(example)
        assert pm.schema.validate(etree.fromstring(xml)), pm.schema.error_log
