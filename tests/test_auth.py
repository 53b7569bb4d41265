"""Party authentication at the adapters, in-process (httpx.ASGITransport) on the real PostgreSQL
and, for accepted uploads, the real broker: tokens, delegations, nodes and inbox isolation."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from hub.domain import topics
from hub.domain.errors import ConfigError
from hub.domain.headers import H
from hub.domain.parties import DEMO_FILE, Party, load_parties, make_party, new_token
from hub.infra import store
from hub.infra.kafka import topic_admin
from hub.settings import Settings
from tests.adapterkit import Client, adapters, bearer, deliver, ingress_records

FIXTURES = Path(__file__).parent / "fixtures"
WMO305 = (FIXTURES / "iwmo-3.2" / "WMO305.xml").read_bytes()  # 65656055 → 0363
WMO306 = (FIXTURES / "iwmo-3.2" / "WMO306.xml").read_bytes()  # retour, sent by 0363
WMO406 = (FIXTURES / "ieb-4.0" / "WMO406.xml").read_bytes()  # retour, sent by the CAK
INDIENER = "98000017"  # may submit for 65656055 only (in these tests)


def _afzender(payload: bytes, code: str) -> bytes:
    original = b"<Afzender>65656055</Afzender>"
    assert original in payload
    return payload.replace(original, f"<Afzender>{code}</Afzender>".encode())


@pytest.fixture
async def registry(pool: store.Pool) -> store.Pool:
    """The demo parties, with an indiener whose delegation covers one provider only."""
    parties: list[Party] = [p for p in load_parties(DEMO_FILE) if p.code != INDIENER]
    parties.append(make_party(INDIENER, "Kantoor", may_submit_for=["65656055"]))
    await store.upsert_parties(pool, parties)
    return pool


@pytest.fixture
async def token(registry: store.Pool) -> Callable[[str], Any]:
    async def issue(code: str, **kwargs: Any) -> str:
        value = new_token()
        await store.add_token(registry, code, value, **kwargs)
        return value

    return issue


@pytest.fixture
def adapter(registry: store.Pool, settings: Settings) -> Client:
    return adapters(registry, settings)


async def _pass_time(pool: store.Pool, delta: timedelta) -> None:
    """Let `delta` pass for every token: the clock cannot move, so the tokens do."""
    await pool.execute(
        "UPDATE party_token SET created_at = created_at - $1::interval,"
        " expires_at = expires_at - $1::interval, revoked_at = revoked_at - $1::interval",
        delta,
    )


# --- tokens ------------------------------------------------------------------------------


async def test_missing_unknown_expired_and_revoked_tokens_get_one_answer(
    registry: store.Pool, token: Any, adapter: Client
) -> None:
    expired = await token("0363", expires_at=datetime.now(UTC) - timedelta(seconds=1))
    revoked = await token("0363")
    assert await store.revoke_tokens(registry, "0363") == 1
    async with adapter("ggk") as client:
        answers = [
            await client.get("/v1/inbox"),
            await client.get("/v1/inbox", headers=bearer(new_token())),
            await client.get("/v1/inbox", headers=bearer("not-even-a-token")),
            await client.get("/v1/inbox", headers=bearer(expired)),
            await client.get("/v1/inbox", headers=bearer(revoked)),
            await client.get("/v1/inbox", headers={"Authorization": f"Basic {revoked}"}),
            await client.post("/v1/messages", content=WMO306, headers=bearer(revoked)),
            await client.get(f"/v1/inbox/{uuid4()}", headers=bearer(expired)),
            await client.post(f"/v1/inbox/{uuid4()}/ack"),
        ]
    assert {a.status_code for a in answers} == {401}
    bodies = {a.text for a in answers}
    assert len(bodies) == 1, bodies
    detail = answers[0].json()["detail"]
    assert (detail["error"], detail["reason"]) == ("unauthenticated", "unauthenticated")
    assert all(a.headers["www-authenticate"].startswith("Bearer") for a in answers)


async def test_a_valid_token_opens_the_inbox_until_it_expires(
    registry: store.Pool, token: Any, adapter: Client
) -> None:
    value = await token("0363", expires_at=datetime.now(UTC) + timedelta(days=1))
    async with adapter("ggk") as client:
        assert (await client.get("/v1/inbox", headers=bearer(value))).status_code == 200
        await _pass_time(registry, timedelta(days=1, seconds=1))
        assert (await client.get("/v1/inbox", headers=bearer(value))).status_code == 401


async def test_rotation_keeps_the_old_token_for_the_grace_period_only(
    registry: store.Pool, token: Any, adapter: Client
) -> None:
    old = await token("65656055")
    new = new_token()
    row, revoked = await store.rotate_token(registry, "65656055", new, grace=timedelta(minutes=5))
    assert revoked == 1
    assert row.party == "65656055"
    async with adapter("vecozo") as client:
        assert (await client.get("/v1/inbox", headers=bearer(old))).status_code == 200
        assert (await client.get("/v1/inbox", headers=bearer(new))).status_code == 200
        await _pass_time(registry, timedelta(minutes=5, seconds=1))
        assert (await client.get("/v1/inbox", headers=bearer(old))).status_code == 401
        assert (await client.get("/v1/inbox", headers=bearer(new))).status_code == 200


async def test_rotation_without_grace_and_revoke_end_old_tokens_at_once(
    registry: store.Pool, token: Any, adapter: Client
) -> None:
    first = await token("0363")
    second = new_token()
    _, revoked = await store.rotate_token(registry, "0363", second)
    assert revoked == 1
    async with adapter("ggk") as client:
        assert (await client.get("/v1/inbox", headers=bearer(first))).status_code == 401
        assert (await client.get("/v1/inbox", headers=bearer(second))).status_code == 200
        # A later grace never postpones a revocation already made.
        third = new_token()
        await store.rotate_token(registry, "0363", third, grace=timedelta(hours=1))
        assert (await client.get("/v1/inbox", headers=bearer(first))).status_code == 401
        assert (await client.get("/v1/inbox", headers=bearer(second))).status_code == 200
        assert await store.revoke_tokens(registry, "0363") == 2
        for value in (second, third):
            assert (await client.get("/v1/inbox", headers=bearer(value))).status_code == 401
    assert await store.active_token_counts(registry) == {}


async def test_only_the_digest_of_a_token_is_stored(registry: store.Pool, token: Any) -> None:
    value = await token("0363")
    rows = await registry.fetch("SELECT * FROM party_token")
    assert len(rows) == 1
    assert rows[0]["token_sha256"] == hashlib.sha256(value.encode()).digest()
    assert value not in repr([dict(r) for r in rows])
    found = await store.authenticate(registry, value)
    assert found is not None
    assert found.party.code == "0363"
    assert found.token_id == rows[0]["id"]


async def test_a_token_for_an_unknown_party_is_refused(registry: store.Pool) -> None:
    with pytest.raises(ConfigError, match="unknown party 0999"):
        await store.add_token(registry, "0999", new_token())


# --- nodes -------------------------------------------------------------------------------


async def test_a_party_of_the_other_node_is_forbidden(token: Any, adapter: Client) -> None:
    gemeente = await token("0363")
    provider = await token("65656055")
    cak = await token("99000001")
    async with adapter("vecozo") as vecozo, adapter("ggk") as ggk:
        for client, value in ((vecozo, gemeente), (vecozo, cak), (ggk, provider)):
            answer = await client.get("/v1/inbox", headers=bearer(value))
            assert answer.status_code == 403
            assert answer.json()["detail"]["reason"] == "wrong_node"
            upload = await client.post("/v1/messages", content=WMO305, headers=bearer(value))
            assert upload.status_code == 403
        # The CAK is an 8-digit party, served by the gemeente-side node.
        assert (await ggk.get("/v1/inbox", headers=bearer(cak))).status_code == 200


# --- uploads -----------------------------------------------------------------------------


async def test_uploads_as_yourself_or_for_a_delegating_party_are_accepted(
    settings: Settings, token: Any, adapter: Client
) -> None:
    assert settings.kafka_bootstrap is not None
    await topic_admin.ensure_topics(settings, settings.kafka_bootstrap)
    provider = await token("65656055")
    indiener = await token(INDIENER)
    gemeente = await token("0363")
    cak = await token("99000001")
    async with adapter("vecozo") as vecozo, adapter("ggk") as ggk:
        own = await vecozo.post("/v1/messages", content=WMO305, headers=bearer(provider))
        delegated = await vecozo.post("/v1/messages", content=WMO305, headers=bearer(indiener))
        retour = await ggk.post("/v1/messages", content=WMO306, headers=bearer(gemeente))
        ieb = await ggk.post("/v1/messages", content=WMO406, headers=bearer(cak))
    for answer in (own, delegated, retour, ieb):
        assert answer.status_code == 202, answer.text
    uploaded_by = {
        own.json()["id"]: "65656055",
        delegated.json()["id"]: INDIENER,  # the indiener is who uploaded, not the Afzender
        retour.json()["id"]: "0363",
        ieb.json()["id"]: "99000001",
    }
    records = await ingress_records(settings, 4)
    seen = {}
    for record in records:
        headers = {k: bytes(v).decode() for k, v in record.headers}
        seen[headers[H.MESSAGE_ID.value]] = headers[H.PARTY.value]
        # Keyed by the person (a keyed hash of the BSN), so one person's messages stay in
        # order on one partition; never by the BSN itself.
        # A message without a Client (a header-only retour) is keyed by its uploader.
        key = record.key.decode()
        if key != headers[H.PARTY.value]:
            assert len(key) == 32
            assert all(c in "0123456789abcdef" for c in key)
    assert seen == uploaded_by


async def test_another_partys_afzender_is_refused(token: Any, adapter: Client) -> None:
    provider = await token("65656055")
    gemeente = await token("0363")
    async with adapter("vecozo") as vecozo, adapter("ggk") as ggk:
        spoofed = await vecozo.post(
            "/v1/messages", content=_afzender(WMO305, "41125003"), headers=bearer(provider)
        )
        # A retour's sender is its Ontvanger (the heen's header is kept): 0344 is not 0363.
        retour = await ggk.post(
            "/v1/messages",
            content=WMO306.replace(b"<Ontvanger>0363<", b"<Ontvanger>0344<"),
            headers=bearer(gemeente),
        )
    for answer in (spoofed, retour):
        assert answer.status_code == 403
        assert answer.json()["detail"]["reason"] == "sender_mismatch"


async def test_an_indiener_may_submit_only_within_its_delegation(
    token: Any, adapter: Client, caplog: pytest.LogCaptureFixture
) -> None:
    indiener = await token(INDIENER)
    async with adapter("vecozo") as vecozo:
        outside = await vecozo.post(
            "/v1/messages", content=_afzender(WMO305, "41125003"), headers=bearer(indiener)
        )
    assert outside.status_code == 403
    assert outside.json()["detail"]["reason"] == "sender_mismatch"
    refusals = [r.getMessage() for r in caplog.records if r.name == "adapters.auth"]
    assert refusals == [f"refused party {INDIENER}: sender_mismatch"]


# --- inbox ---------------------------------------------------------------------------------


async def test_the_first_download_raises_message_downloaded_once(
    registry: store.Pool, token: Any, adapter: Client, settings: Settings
) -> None:
    """message.downloaded (documented on the events topic) tells the sender's software its
    message was fetched: once, by whom and where, never again for a second download."""
    mine = await token("0363")
    message_id = await deliver(registry, "0363")
    events_topic = topics.name(settings, topics.EVENTS)

    async def downloaded() -> list[dict[str, Any]]:
        rows = await registry.fetch(
            "SELECT payload FROM outbox_resolved WHERE topic = $1", events_topic
        )
        found = [json.loads(bytes(r["payload"])) for r in rows]
        return [e for e in found if e["type"] == "message.downloaded"]

    async with adapter("ggk") as client:
        listed = await client.get("/v1/inbox", headers=bearer(mine))
        assert [item["id"] for item in listed.json()] == [str(message_id)]
        assert await downloaded() == []  # listing is not downloading
        for _ in range(2):
            body = await client.get(f"/v1/inbox/{message_id}", headers=bearer(mine))
            assert body.status_code == 200
            assert body.content == WMO305
    [event] = await downloaded()
    assert event["message_id"] == str(message_id)
    assert event["data"] == {"node": "ggk", "by": "0363"}


async def test_another_partys_message_is_not_found(
    registry: store.Pool, token: Any, adapter: Client
) -> None:
    mine = await token("0363")
    other = await token("0344")
    message_id = await deliver(registry, "0363")
    async with adapter("ggk") as client:
        assert (await client.get("/v1/inbox", headers=bearer(other))).json() == []
        theirs = await client.get(f"/v1/inbox/{message_id}", headers=bearer(other))
        absent = await client.get(f"/v1/inbox/{uuid4()}", headers=bearer(other))
        ack = await client.post(f"/v1/inbox/{message_id}/ack", headers=bearer(other))
        for answer in (theirs, absent, ack):
            assert answer.status_code == 404
        assert theirs.text == absent.text == ack.text  # existence does not leak

        listing = await client.get("/v1/inbox", headers=bearer(mine))
        assert [item["id"] for item in listing.json()] == [str(message_id)]
        body = await client.get(f"/v1/inbox/{message_id}", headers=bearer(mine))
        assert body.status_code == 200
        assert body.content == WMO305
        ack = await client.post(f"/v1/inbox/{message_id}/ack", headers=bearer(mine))
        assert ack.status_code == 204
        assert (await client.get("/v1/inbox", headers=bearer(mine))).json() == []


async def test_the_openapi_document_declares_bearer_auth(adapter: Client) -> None:
    async with adapter("vecozo") as client:
        document = (await client.get("/openapi.json")).json()
    schemes = document["components"]["securitySchemes"]
    assert [s["scheme"].lower() for s in schemes.values()] == ["bearer"]
    upload = document["paths"]["/v1/messages"]["post"]
    assert upload["security"]
    assert "401" in upload["responses"]


async def test_schema_failures_are_refused_at_once_with_every_finding(
    token: Any, adapter: Client
) -> None:
    provider = await token("65656055")
    bad_bsn = WMO305.replace(b">174285917<", b">1742859170<")
    unknown = WMO305.replace(b"/3_2/wmo305/", b"/2_4/wmo305/")
    async with adapter("vecozo") as vecozo:
        schema = await vecozo.post("/v1/messages", content=bad_bsn, headers=bearer(provider))
        release = await vecozo.post("/v1/messages", content=unknown, headers=bearer(provider))
        # A rule failure beyond the schema is not refused here: the core answers it with the
        # standard retour, so the upload is accepted.
        rule = await vecozo.post(
            "/v1/messages",
            content=WMO305.replace(b">174285917<", b">174285918<"),
            headers=bearer(provider),
        )
    assert schema.status_code == 400
    body = schema.json()["detail"]
    assert (body["error"], body["reason"]) == ("invalid", "schema")
    assert {f["location"] for f in body["findings"]} == {"/Bericht/Client/Bsn"}
    assert b"1742859170" not in schema.content  # the value itself is never echoed
    assert release.status_code == 400
    assert release.json()["detail"]["reason"] == "unknown_message"
    assert "2.4" in release.json()["detail"]["detail"]
    assert rule.status_code == 202
