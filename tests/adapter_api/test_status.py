"""Status per upload for its sender (GET /v1/messages), on a real adapter app and PostgreSQL, with
the core deciding the messages in process: verdict and findings, route, deliveries, retour and
deadline, a verzoek's clock; only the uploader and the sending party's readers see a message."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from handlers import intake
from hub.domain.decide import Context
from hub.domain.parties import new_token
from hub.infra import store
from hub.infra.kafka import topic_admin
from hub.infra.runtime import Runtime
from hub.infra.store import ledger
from hub.settings import Settings
from tests.adapterkit import WMO305, Client, adapters, bearer
from tests.core.test_intake import FIXTURES, _fixture, _item
from tests.core.test_request_clock import _319, _accepted

PROVIDER, OTHER_PROVIDER, GEMEENTE = "65656055", "41125003", "0363"
AGENT, INDIENER = "SWH-DEMO", "98000017"  # the demo registry's intermediary and indiener


@pytest.fixture
def ctx(runtime: Runtime) -> Context:
    return intake.build_context(runtime)


@pytest.fixture
def adapter(runtime: Runtime, settings: Settings) -> Client:
    return adapters(runtime.pool, settings)


async def _tokens(pool: store.Pool, *codes: str) -> dict[str, dict[str, str]]:
    out = {}
    for code in codes:
        value = new_token()
        await store.add_token(pool, code, value)
        out[code] = bearer(value)
    return out


async def _traced(runtime: Runtime, message_id: UUID) -> ledger.TraceEntry:
    """The message's own entry of `hub trace` (which lists its retour beside it)."""
    return {e.id: e for e in await ledger.trace(runtime.pool, str(message_id))}[message_id]


async def test_a_rejected_upload_shows_its_findings_and_retour_to_its_sender_only(
    runtime: Runtime, ctx: Context, adapter: Client
) -> None:
    # A 305 with a BSN that fails its elfproef: the core answers it with a 306 (0001).
    heen = _item(_fixture("WMO305", Bsn="174285918"), PROVIDER, "vecozo")
    await intake.process(runtime, ctx, [heen])
    retour_id = await runtime.pool.fetchval("SELECT retour_id FROM message WHERE id = $1", heen.id)
    assert retour_id is not None
    who = await _tokens(runtime.pool, PROVIDER, OTHER_PROVIDER, AGENT, INDIENER, GEMEENTE)
    async with adapter("vecozo") as vecozo, adapter("ggk") as ggk:
        own = await vecozo.get(f"/v1/messages/{heen.id}", headers=who[PROVIDER])
        agent = await vecozo.get(f"/v1/messages/{heen.id}", headers=who[AGENT])
        other = await vecozo.get(f"/v1/messages/{heen.id}", headers=who[OTHER_PROVIDER])
        # An indiener's toestemmingsverklaring covers uploading, not reading what others sent.
        indiener = await vecozo.get(f"/v1/messages/{heen.id}", headers=who[INDIENER])
        receiver = await ggk.get(f"/v1/messages/{heen.id}", headers=who[GEMEENTE])
        unknown = await vecozo.get(f"/v1/messages/{uuid4()}", headers=who[OTHER_PROVIDER])
        hub_retour = await vecozo.get(f"/v1/messages/{retour_id}", headers=who[PROVIDER])
        query = {"identificatie": "30520250405", "berichtcode": "418"}
        found = await vecozo.get("/v1/messages", params=query, headers=who[PROVIDER])
        none = await vecozo.get("/v1/messages", params=query, headers=who[OTHER_PROVIDER])
        missing = await vecozo.get(
            "/v1/messages", params={"identificatie": "x"}, headers=who[PROVIDER]
        )

    assert own.status_code == 200, own.text
    status = own.json()
    assert (status["id"], status["status"]) == (str(heen.id), "rejected")
    assert (status["message_type"], status["bericht_code"]) == ("WMO305", "418")
    assert (status["submitted_by"], status["sender"]) == (PROVIDER, PROVIDER)
    assert status["findings"], "a rejection names its findings"
    finding = status["findings"][0]
    assert set(finding) == {"rule", "retourcode", "level", "location", "sentence"}
    assert finding["retourcode"] == "0001"
    assert finding["location"].startswith("/Bericht")
    assert finding["sentence"]
    assert status["retourcodes"] == ["0001"]
    assert status["retour"]["id"] == str(retour_id)
    assert (status["retour"]["bericht_code"], status["retour"]["retourcodes"]) == ("419", ["0001"])
    assert (status["deliveries"], status["deadline_passed"]) == ([], False)
    assert "174285918" not in own.text  # the BSN is in no finding
    # `hub trace` reads the findings with the same query.
    traced = await _traced(runtime, heen.id)
    assert [f.rule for f in traced.findings] == [f["rule"] for f in status["findings"]]

    assert agent.status_code == 200
    assert agent.json() == status
    # Not the sender's: not found, in the same words as an id that does not exist.
    for refused in (other, indiener, receiver, unknown, hub_retour):
        assert refused.status_code == 404, refused.text
        assert refused.json()["detail"]["reason"] == "not_your_message"
    assert other.json() == unknown.json()

    assert found.status_code == 200
    assert found.json() == [status]
    assert none.status_code == 200
    assert none.json() == []
    assert missing.status_code == 400
    assert missing.json()["detail"]["reason"] == "berichtcode"


async def test_the_uploader_and_the_sender_both_see_an_indieners_upload(
    runtime: Runtime, ctx: Context, adapter: Client
) -> None:
    heen = _item(_fixture("WMO305", Bsn="174285918"), INDIENER, "vecozo")
    await intake.process(runtime, ctx, [heen])
    who = await _tokens(runtime.pool, PROVIDER, INDIENER, OTHER_PROVIDER)
    async with adapter("vecozo") as vecozo:
        seen = {c: await vecozo.get(f"/v1/messages/{heen.id}", headers=h) for c, h in who.items()}
        by_indiener = await vecozo.get(
            "/v1/messages",
            params={"identificatie": "30520250405", "berichtcode": "418"},
            headers=who[INDIENER],
        )
    assert seen[INDIENER].status_code == 200, seen[INDIENER].text
    assert (seen[INDIENER].json()["submitted_by"], seen[INDIENER].json()["sender"]) == (
        INDIENER, PROVIDER,
    )  # fmt: skip
    assert seen[PROVIDER].status_code == 200
    assert seen[OTHER_PROVIDER].status_code == 404
    assert [s["id"] for s in by_indiener.json()] == [str(heen.id)]


async def test_a_routed_upload_shows_its_delivery_download_ack_and_linked_retour(
    runtime: Runtime, ctx: Context, adapter: Client
) -> None:
    await _accepted(runtime, ctx, _fixture("WMO301"), GEMEENTE)  # the toewijzing (TR019)
    heen = await _accepted(runtime, ctx, _fixture("WMO305"), PROVIDER)
    await store.deliver(runtime.pool, "ggk", [(heen, GEMEENTE)])  # as the egress consumer does
    who = await _tokens(runtime.pool, PROVIDER, GEMEENTE)
    async with adapter("vecozo") as vecozo, adapter("ggk") as ggk:
        before = (await vecozo.get(f"/v1/messages/{heen}", headers=who[PROVIDER])).json()
        assert (await ggk.get(f"/v1/inbox/{heen}", headers=who[GEMEENTE])).status_code == 200
        assert (await ggk.post(f"/v1/inbox/{heen}/ack", headers=who[GEMEENTE])).status_code == 204
        retour = _item((FIXTURES / "WMO306.xml").read_bytes(), GEMEENTE, "ggk")
        await intake.process(runtime, ctx, [retour])
        after = (await vecozo.get(f"/v1/messages/{heen}", headers=who[PROVIDER])).json()
        gemeentes = await ggk.get(f"/v1/messages/{retour.id}", headers=who[GEMEENTE])

    assert (before["status"], before["receiver"], before["receiver_node"]) == (
        "accepted", GEMEENTE, "ggk",
    )  # fmt: skip
    assert before["findings"] == []
    assert before["retour"] is None
    # _item's moment (21 July 2025) is long past, and so is its deadline, with no retour yet.
    assert before["retour_due"] is not None
    assert before["deadline_passed"] is True
    [delivered] = before["deliveries"]
    assert (delivered["party"], delivered["node"], delivered["downloaded_at"]) == (
        GEMEENTE, "ggk", None,
    )  # fmt: skip

    [delivered] = after["deliveries"]
    [(party, _, downloaded, acked)] = (await _traced(runtime, heen)).deliveries
    assert (party, downloaded, acked) == (
        GEMEENTE,
        datetime.fromisoformat(delivered["downloaded_at"]),
        datetime.fromisoformat(delivered["acknowledged_at"]),
    )
    assert delivered["downloaded_at"] is not None
    assert delivered["acknowledged_at"] is not None
    assert after["retour"]["id"] == str(retour.id)
    assert after["retour"]["bericht_code"] == "419"
    assert after["retour"]["retourcodes"] == ["0200"]  # its Header/RetourCodes
    # The retour came (at _item's moment) before the deadline.
    assert after["deadline_passed"] is False

    # The gemeente's own retour names the heenbericht it answers.
    assert gemeentes.status_code == 200, gemeentes.text
    answers: dict[str, Any] = gemeentes.json()["answers"]
    assert (answers["id"], answers["bericht_code"], answers["identificatie"]) == (
        str(heen), "418", "30520250405",
    )  # fmt: skip


async def test_an_upload_the_core_has_not_decided_yet_is_received(
    runtime: Runtime, settings: Settings, adapter: Client
) -> None:
    assert settings.kafka_bootstrap is not None
    await topic_admin.ensure_topics(settings, settings.kafka_bootstrap)
    who = await _tokens(runtime.pool, PROVIDER, OTHER_PROVIDER)
    async with adapter("vecozo") as vecozo:  # no core runs: the upload stays undecided
        upload = await vecozo.post(
            "/v1/messages", content=WMO305, headers={**who[PROVIDER], "Idempotency-Key": "k1"}
        )
        assert upload.status_code == 202, upload.text
        message_id = upload.json()["id"]
        own = await vecozo.get(f"/v1/messages/{message_id}", headers=who[PROVIDER])
        other = await vecozo.get(f"/v1/messages/{message_id}", headers=who[OTHER_PROVIDER])
    assert own.status_code == 200, own.text
    status = own.json()
    assert (status["status"], status["submitted_by"], status["findings"]) == (
        "received", PROVIDER, [],
    )  # fmt: skip
    assert status["received_at"]
    assert other.status_code == 404


async def test_a_verzoek_shows_its_answer_clock(
    runtime: Runtime, ctx: Context, adapter: Client
) -> None:
    await _accepted(runtime, ctx, _fixture("WMO301"), GEMEENTE)
    verzoek = await _accepted(runtime, ctx, _fixture("WMO317"), PROVIDER)
    who = await _tokens(runtime.pool, PROVIDER)
    async with adapter("vecozo") as vecozo:
        waiting = (await vecozo.get(f"/v1/messages/{verzoek}", headers=who[PROVIDER])).json()
        answer = await _accepted(runtime, ctx, _319("1"), GEMEENTE)
        answered = (await vecozo.get(f"/v1/messages/{verzoek}", headers=who[PROVIDER])).json()
    [clock] = waiting["answer_clocks"]
    assert (clock["referentie"], clock["clock"], clock["answered_by"]) == (
        "VOW-2025-0007", "answer", None,
    )  # fmt: skip
    [clock] = answered["answer_clocks"]
    assert clock["answered_by"] == str(answer)
    assert clock["answered_at"] is not None


async def test_the_openapi_page_documents_the_status_and_the_inbox_paging(
    adapter: Client,
) -> None:
    async with adapter("vecozo") as vecozo:
        document = (await vecozo.get("/openapi.json")).json()
    by_id = document["paths"]["/v1/messages/{message_id}"]["get"]
    assert {"200", "401", "404"} <= set(by_id["responses"])
    lookup = document["paths"]["/v1/messages"]["get"]
    assert {p["name"] for p in lookup["parameters"]} == {"identificatie", "berichtcode"}
    schemas = document["components"]["schemas"]
    rejected, routed = schemas["MessageStatusOut"]["examples"]
    assert set(rejected) | set(routed) <= set(schemas["MessageStatusOut"]["properties"])
    assert (rejected["status"], rejected["findings"][0]["retourcode"]) == ("rejected", "9019")
    assert routed["deliveries"][0]["acknowledged_at"]
    assert schemas["InboxEntry"]["examples"][0]["answers"]["bericht_code"] == "418"
    listing = document["paths"]["/v1/inbox"]["get"]
    assert {"limit", "after"} <= {p["name"] for p in listing["parameters"]}
    assert "X-Next-Cursor" in listing["responses"]["200"]["headers"]
