"""Intermediaries and standards per party at the adapters, in-process on the real PostgreSQL
(and the real broker for accepted uploads): an intermediary uploads for the parties that
authorised it and reads their inboxes; a party never exchanges a standard it does not list."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from hub.domain.parties import DEMO_FILE, Party, load_parties, make_party, new_token
from hub.infra import store
from hub.infra.kafka import topic_admin
from hub.infra.store import parties as party_store
from hub.settings import Settings
from tests.adapterkit import Client, adapters, bearer, deliver

FIXTURES = Path(__file__).parent / "fixtures"
WMO305 = (FIXTURES / "iwmo-3.2" / "WMO305.xml").read_bytes()  # 65656055 → 0363
JW305 = (FIXTURES / "ijw-3.2" / "JW305.xml").read_bytes()  # 41125003 → 0344
JW301 = (FIXTURES / "ijw-3.2" / "JW301.xml").read_bytes()  # 0344 → 41125003
AGENT = "SWH-TEST"  # an intermediary two providers authorised
WMO_ONLY = "87650001"  # a provider contracted for Wmo only
THIRD = "12340001"  # a provider that did not authorise the intermediary


def _from(payload: bytes, old: str, new: str) -> bytes:
    original = f"<Afzender>{old}</Afzender>".encode()
    assert original in payload
    return payload.replace(original, f"<Afzender>{new}</Afzender>".encode())


@pytest.fixture
async def registry(pool: store.Pool) -> store.Pool:
    parties: list[Party] = list(load_parties(DEMO_FILE))
    parties += [
        make_party(
            AGENT, "Softwarehuis", kind="intermediary", node="vecozo",
            may_submit_for=["65656055", "41125003"],
        ),
        make_party(WMO_ONLY, "Alleen Wmo", standards=["iwmo"]),
    ]  # fmt: skip
    await store.upsert_parties(pool, parties)
    return pool


@pytest.fixture
async def token(registry: store.Pool) -> Callable[[str], Any]:
    async def issue(code: str) -> str:
        value = new_token()
        await store.add_token(registry, code, value)
        return value

    return issue


@pytest.fixture
def adapter(registry: store.Pool, settings: Settings) -> Client:
    return adapters(registry, settings)


async def test_an_intermediary_uploads_for_its_parties_only(
    settings: Settings, token: Any, adapter: Client, caplog: pytest.LogCaptureFixture
) -> None:
    assert settings.kafka_bootstrap is not None
    await topic_admin.ensure_topics(settings, settings.kafka_bootstrap)
    agent = await token(AGENT)
    async with adapter("vecozo") as vecozo, adapter("ggk") as ggk:
        wmo = await vecozo.post("/v1/messages", content=WMO305, headers=bearer(agent))
        jw = await vecozo.post("/v1/messages", content=JW305, headers=bearer(agent))
        third = await vecozo.post(
            "/v1/messages", content=_from(WMO305, "65656055", THIRD), headers=bearer(agent)
        )
        wrong_node = await ggk.get("/v1/inbox", headers=bearer(agent))
    assert (wmo.status_code, jw.status_code) == (202, 202), (wmo.text, jw.text)
    assert third.status_code == 403
    detail = third.json()["detail"]
    assert detail["reason"] == "sender_mismatch"
    assert f"{THIRD} has not authorised intermediary {AGENT}" in detail["detail"]
    assert detail["node_code"] == "BRS03"  # submitter not mandated by the sender
    assert wrong_node.status_code == 403  # an intermediary uses its own node only
    refusals = [r.getMessage() for r in caplog.records if r.name == "adapters.auth"]
    assert f"refused party {AGENT}: sender_mismatch" in refusals


async def test_an_intermediarys_inbox_spans_its_parties(
    registry: store.Pool, token: Any, adapter: Client
) -> None:
    agent = await token(AGENT)
    provider = await token("65656055")
    wmo = await deliver(registry, "65656055", node="vecozo")
    jw = await deliver(registry, "41125003", node="vecozo")
    other = await deliver(registry, THIRD, node="vecozo")
    async with adapter("vecozo") as vecozo:
        listing = (await vecozo.get("/v1/inbox", headers=bearer(agent))).json()
        assert [(e["id"], e["ontvanger"]) for e in listing] == [
            (str(wmo), "65656055"),
            (str(jw), "41125003"),
        ]
        # The provider itself still sees only its own.
        own = (await vecozo.get("/v1/inbox", headers=bearer(provider))).json()
        assert [(e["id"], e["ontvanger"]) for e in own] == [(str(wmo), "65656055")]
        body = await vecozo.get(f"/v1/inbox/{jw}", headers=bearer(agent))
        assert body.status_code == 200
        assert body.content == WMO305  # adapterkit.deliver's payload
        # Another party's message is not found, as for anyone.
        for path in (f"/v1/inbox/{other}", f"/v1/inbox/{uuid4()}"):
            assert (await vecozo.get(path, headers=bearer(agent))).status_code == 404
        assert (
            await vecozo.post(f"/v1/inbox/{other}/ack", headers=bearer(agent))
        ).status_code == 404
        ack = await vecozo.post(f"/v1/inbox/{jw}/ack", headers=bearer(agent))
        assert ack.status_code == 204
        listing = (await vecozo.get("/v1/inbox", headers=bearer(agent))).json()
        assert [e["id"] for e in listing] == [str(wmo)]
        # Revoked: its inbox no longer shows that party's messages.
        assert await party_store.withdraw(registry, AGENT, ["65656055"]) == ["65656055"]
        assert (await vecozo.get("/v1/inbox", headers=bearer(agent))).json() == []
        assert (await vecozo.get(f"/v1/inbox/{wmo}", headers=bearer(agent))).status_code == 404


async def test_a_party_exchanges_only_its_standards(
    settings: Settings, token: Any, adapter: Client, caplog: pytest.LogCaptureFixture
) -> None:
    assert settings.kafka_bootstrap is not None
    await topic_admin.ensure_topics(settings, settings.kafka_bootstrap)
    wmo_only = await token(WMO_ONLY)
    gemeente = await token("0344")
    async with adapter("vecozo") as vecozo, adapter("ggk") as ggk:
        wmo = await vecozo.post(
            "/v1/messages", content=_from(WMO305, "65656055", WMO_ONLY), headers=bearer(wmo_only)
        )
        jw = await vecozo.post(
            "/v1/messages", content=_from(JW305, "41125003", WMO_ONLY), headers=bearer(wmo_only)
        )
        to_it = await ggk.post(
            "/v1/messages",
            content=JW301.replace(b"<Ontvanger>41125003<", f"<Ontvanger>{WMO_ONLY}<".encode()),
            headers=bearer(gemeente),
        )
    assert wmo.status_code == 202, wmo.text
    assert jw.status_code == 403
    assert jw.json()["detail"]["reason"] == "standard_not_allowed"
    assert "may not exchange iJw" in jw.json()["detail"]["detail"]
    assert jw.json()["detail"]["node_code"] == "IB008"  # lacks the role or grondslag
    assert to_it.status_code == 403
    assert to_it.json()["detail"]["reason"] == "receiver_standard_not_allowed"
    assert to_it.json()["detail"]["node_code"] == "IB011"  # addressee lacks the role
    assert f"receiving party {WMO_ONLY} does not exchange iJw" in to_it.json()["detail"]["detail"]
    refusals = [r.getMessage() for r in caplog.records if r.name == "adapters.auth"]
    assert refusals == [
        f"refused party {WMO_ONLY}: standard_not_allowed",
        "refused party 0344: receiver_standard_not_allowed",
    ]


async def test_an_intermediary_is_bounded_by_its_parties_and_its_own_standards(
    registry: store.Pool, token: Any, adapter: Client
) -> None:
    assert await party_store.authorise(registry, AGENT, [WMO_ONLY]) == [WMO_ONLY]
    agent = await token(AGENT)
    async with adapter("vecozo") as vecozo:
        for_wmo_only = await vecozo.post(
            "/v1/messages", content=_from(JW305, "41125003", WMO_ONLY), headers=bearer(agent)
        )
        narrowed = make_party(
            AGENT, "Softwarehuis", kind="intermediary", node="vecozo",
            may_submit_for=["65656055", "41125003"], standards=["iwmo"],
        )  # fmt: skip
        await store.upsert_parties(registry, [narrowed])
        own = await vecozo.post("/v1/messages", content=JW305, headers=bearer(agent))
    for answer, who in (
        (for_wmo_only, f"the sending party {WMO_ONLY}"),
        (own, f"the uploading party {AGENT}"),
    ):
        assert answer.status_code == 403
        assert answer.json()["detail"]["reason"] == "standard_not_allowed"
        assert who in answer.json()["detail"]["detail"]
