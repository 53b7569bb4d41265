"""Known receivers (#18 point 3) and node-style codes on refusals (point 4), on the real PostgreSQL
and broker: a heenbericht to no registered party of the kind its type goes to is refused at the
adapter (422, the field and value named, the node's nearest code) and dead-lettered by the core
when it is produced straight to ingress; every refusal carries its adapter's node code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from handlers import intake
from hub.app import make_runtime
from hub.domain import topics, xmlcodec
from hub.domain.parties import DEMO_FILE, load_parties, new_token
from hub.infra import store
from hub.infra.kafka import topic_admin
from hub.settings import Settings
from tests.adapterkit import Client, adapters, bearer, ingress_records

FIXTURES = Path(__file__).parent / "fixtures"
GEMEENTE, PROVIDER, JEUGD = "0363", "65656055", "41125003"


def _message(path: str, **replace: str) -> bytes:
    root = xmlcodec.parse_message((FIXTURES / path).read_bytes())
    for tag, value in replace.items():
        next(e for e in root.iter() if xmlcodec.local_name(e) == tag).text = value
    return xmlcodec.serialize(root)


@pytest.fixture
async def registry(pool: store.Pool) -> store.Pool:
    await store.upsert_parties(pool, list(load_parties(DEMO_FILE)))
    return pool


@pytest.fixture
async def tokens(registry: store.Pool) -> dict[str, dict[str, str]]:
    out = {}
    for code in (GEMEENTE, PROVIDER):
        value = new_token()
        await store.add_token(registry, code, value)
        out[code] = bearer(value)
    return out


@pytest.fixture
def adapter(registry: store.Pool, settings: Settings) -> Client:
    return adapters(registry, settings)


async def _topics(settings: Settings) -> None:
    assert settings.kafka_bootstrap is not None
    await topic_admin.ensure_topics(settings, settings.kafka_bootstrap)


# --- known receivers at the adapter ------------------------------------------------------------

# The schemas already hold the Ontvanger to the shape of its kind (4 digits for a gemeente, 8
# for an aanbieder or the CAK), so what reaches this check is a code of the right shape.
UNKNOWN_RECEIVERS = [
    # (adapter, uploader, message, Ontvanger, reason, node code)
    ("vecozo", PROVIDER, "iwmo-3.2/WMO305.xml", "0999", "unknown_gemeente", "BRS04"),
    ("ggk", GEMEENTE, "iwmo-3.2/WMO301.xml", "12345678", "unknown_aanbieder", "IB010"),
    ("ggk", GEMEENTE, "ieb-4.0/WMO405.xml", PROVIDER, "not_the_cak", "IB007"),
    ("ggk", GEMEENTE, "iwmo-3.2/WMO301.xml", "99000001", "wrong_receiver", "IB007"),
]


@pytest.mark.parametrize(("node", "uploader", "path", "receiver", "reason", "code"),
                         UNKNOWN_RECEIVERS)  # fmt: skip
async def test_a_heenbericht_to_no_registered_receiver_of_its_kind_is_refused(
    settings: Settings,
    tokens: dict[str, dict[str, str]],
    adapter: Client,
    node: str,
    uploader: str,
    path: str,
    receiver: str,
    reason: str,
    code: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("INFO", logger="adapters.uploads")
    await _topics(settings)
    payload = _message(path, Ontvanger=receiver)
    async with adapter(node) as client:
        answer = await client.post("/v1/messages", content=payload, headers=tokens[uploader])
        # The same message to its registered receiver is taken: only the Ontvanger differs.
        fine = await client.post(
            "/v1/messages", content=(FIXTURES / path).read_bytes(), headers=tokens[uploader]
        )
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert (detail["error"], detail["reason"]) == ("invalid", reason)
    assert (detail["field"], detail["value"]) == ("Header/Ontvanger", receiver)
    assert receiver in detail["detail"]
    assert detail["node_code"] == code
    assert detail["node_code_meaning"]
    # The operator's line names the parties and the reason, nothing of the client.
    assert f"refused party {uploader}: {reason}" in caplog.text
    assert fine.status_code == 202, fine.text
    # Only the accepted one reached ingress.
    records = await ingress_records(settings, 1)
    assert [r.value for r in records] == [(FIXTURES / path).read_bytes()]


async def test_retours_are_not_held_to_the_receiver_check(
    settings: Settings, tokens: dict[str, dict[str, str]], adapter: Client
) -> None:
    """A retour goes back the way its heenbericht came (the core links it): the adapter takes a
    schema-valid one whatever its header says, as before."""
    await _topics(settings)
    retour = _message("iwmo-3.2/WMO306.xml", Afzender="65650000")
    async with adapter("ggk") as ggk:
        answer = await ggk.post("/v1/messages", content=retour, headers=tokens[GEMEENTE])
    assert answer.status_code == 202, answer.text


# --- known receivers in the core ----------------------------------------------------------------


async def test_a_heenbericht_produced_straight_to_ingress_for_an_unknown_receiver_is_dead_lettered(
    settings: Settings, registry: store.Pool, database_url: str
) -> None:
    """No adapter stands in the way: a record without any hub header, produced to ingress. The
    core dead-letters it with the reason (stage routing) and routes nothing: no egress, no
    delivery, no inbox; its clean twin to a registered gemeente is routed."""
    assert settings.kafka_bootstrap is not None
    await _topics(settings)
    stray = _message("iwmo-3.2/WMO305.xml", Ontvanger="0999", Identificatie="STRAY0001")
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topics.name(settings, topics.INGRESS), stray)
    finally:
        await producer.stop()
    [record] = await ingress_records(settings, 1)
    core = make_runtime(settings, settings.kafka_bootstrap, database_url, "test-core")
    core.attach_pool(registry)
    try:
        item = intake.incoming(record)
        await intake.process(core, intake.build_context(core), [item])
    finally:
        core.attach_pool(None)
    status = await registry.fetchval("SELECT status FROM message WHERE id = $1", item.id)
    assert status == "dead-lettered"
    letters = await registry.fetch("SELECT stage, error, reason FROM dead_letter")
    assert [(r["stage"], r["error"]) for r in letters] == [("routing", "unknown-gemeente")]
    assert "Header/Ontvanger '0999'" in letters[0]["reason"]
    out = [r["topic"] for r in await registry.fetch("SELECT topic FROM outbox")]
    assert not [t for t in out if ".egress." in t], out
    assert [t for t in out if t.endswith(".dlq")]
    assert await registry.fetchval("SELECT count(*) FROM delivery") == 0
    events = await registry.fetch(
        "SELECT payload FROM outbox_resolved WHERE topic = $1", topics.name(settings, topics.EVENTS)
    )
    [event] = [json.loads(bytes(e["payload"])) for e in events]
    assert event["type"] == "message.rejected"
    assert (event["data"]["stage"], event["data"]["dead_lettered"]) == ("routing", True)


# --- node codes on every kind of refusal, on both adapters --------------------------------------


async def _refusals(client: Any, token: dict[str, str]) -> dict[str, dict[str, Any]]:
    """One refusal of each path a refusal takes: the gate, authentication, the body reader,
    validation and the framework."""
    out = {}
    answers = {
        "unauthenticated": await client.post("/v1/messages", content=b"<x/>"),
        "content_type": await client.post(
            "/v1/messages", content=b"{}", headers={**token, "Content-Type": "text/plain"}
        ),
        "unreadable": await client.post("/v1/messages", content=b"<open>", headers=token),
        "unknown_message": await client.post(
            "/v1/messages",
            content=_message("iwmo-3.2/WMO305.xml", BerichtCode="999"),
            headers=token,
        ),
        "schema": await client.post(
            "/v1/messages",
            content=_message("iwmo-3.2/WMO305.xml", Dagtekening="2025-13-45"),
            headers=token,
        ),
        "not_found": await client.get("/v1/no-such-path", headers=token),
    }
    for name, answer in answers.items():
        assert 400 <= answer.status_code < 500, (name, answer.text)
        out[name] = answer.json()["detail"]
    return out


EXPECTED = {
    "ggk": {"unauthenticated": "IB002", "content_type": "IB001", "unreadable": "IB001",
            "unknown_message": "IB004", "schema": "IB001", "not_found": None},
    "vecozo": {"unauthenticated": "BRS01", "content_type": "BRS14", "unreadable": "BRS14",
               "unknown_message": "IB004", "schema": "IB014", "not_found": None},
}  # fmt: skip


async def test_every_refusal_carries_its_adapters_node_code(
    settings: Settings, tokens: dict[str, dict[str, str]], adapter: Client
) -> None:
    for node, uploader in (("ggk", GEMEENTE), ("vecozo", PROVIDER)):
        async with adapter(node) as client:
            found = await _refusals(client, tokens[uploader])
        for name, body in found.items():
            # The body keeps its fields; the node's code is added beside the hub's reason.
            assert {"error", "reason", "detail"} <= set(body), (node, name, body)
            assert body.get("node_code") == EXPECTED[node][name], (node, name, body)
            assert ("node_code_meaning" in body) is (EXPECTED[node][name] is not None)


async def test_the_sender_check_answers_with_the_spoofing_code(
    settings: Settings, tokens: dict[str, dict[str, str]], adapter: Client
) -> None:
    spoofed = _message("iwmo-3.2/WMO305.xml", Afzender=JEUGD)
    async with adapter("vecozo") as vecozo:
        answer = await vecozo.post("/v1/messages", content=spoofed, headers=tokens[PROVIDER])
    assert answer.status_code == 403, answer.text
    detail = answer.json()["detail"]
    assert (detail["reason"], detail["node_code"]) == ("sender_mismatch", "BRS03")
