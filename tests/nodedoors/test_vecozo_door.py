"""The VECOZO-like door (adapters/vecozodoor*.py) over real TLS with a registered client
certificate (tests/certkit.py), with plain httpx multipart: a gemeente's 301 pulled, searched,
downloaded and confirmed; the provider's 302 pushed back in the conversation and its status; a
305 the core rejects, whose hub-built 306 comes back with alsAntwoordOp; and the bad pushes,
each refused with its status and code, nothing kept. The core decides in process (intake)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from adapters.vecozodoor_push import upload_id
from handlers import intake
from hub.domain.decide import Context, Incoming
from hub.domain.parties import new_token
from hub.infra import store
from hub.infra.kafka import topic_admin
from hub.infra.runtime import Runtime
from hub.settings import Settings
from tests.adapterkit import bearer, ingress_record
from tests.certkit import CertAuthority
from tests.core.test_intake import _fixture
from tests.nodedoors.vecozokit import (
    GEMEENTE,
    OTHER_PROVIDER,
    PROVIDER,
    client,
    metadata,
    parts,
    served,
    software,
    tls_settings,
)

PROBLEM = "application/problem+json"


@pytest.fixture
def pki(tmp_path: Path) -> CertAuthority:
    return CertAuthority(tmp_path)


def _incoming(message_id: UUID, payload: bytes, party: str, node: str) -> Incoming:
    # The fixtures' dates hold on this day (tests/core/test_intake.py).
    return Incoming(id=message_id, node=node, party=party, payload=payload, partition=0,
                    offset=1, topic="t.ingress",
                    received_at=datetime(2025, 7, 21, 9, 30, tzinfo=UTC))  # fmt: skip


def _problem(answer: httpx.Response) -> dict[str, Any]:
    assert answer.headers["content-type"].startswith(PROBLEM), answer.text
    body: dict[str, Any] = answer.json()
    assert body["status"] == answer.status_code
    assert {"type", "title", "detail", "instance"} <= set(body)
    return body


async def _kept(pool: store.Pool, traceer_id: str) -> tuple[int, int]:
    """Rows a push left behind: its references and its journaled upload."""
    refs = await pool.fetchval(
        "SELECT count(*) FROM vsp_reference WHERE traceer_id = $1", traceer_id
    )
    journaled = await pool.fetchval(
        "SELECT count(*) FROM ingress_journal WHERE message_id = $1",
        upload_id("vecozo", PROVIDER, traceer_id),
    )
    return int(refs), int(journaled)


async def test_a_conversation_through_the_door(
    runtime: Runtime, settings: Settings, pki: CertAuthority
) -> None:
    pool = runtime.pool
    assert settings.kafka_bootstrap is not None
    await topic_admin.ensure_topics(settings, settings.kafka_bootstrap)
    ctx: Context = intake.build_context(runtime)
    # The gemeente's 301 (through the JSON API or the GGk door), routed to the provider.
    toewijzing = _fixture("WMO301")
    heen = _incoming(uuid4(), toewijzing, GEMEENTE, "ggk")
    await intake.process(runtime, ctx, [heen])
    await store.add_deliveries(pool, "vecozo", [(heen.id, PROVIDER)])
    token = new_token()
    await store.add_token(pool, PROVIDER, token)
    issued = await software(pool, pki)

    async with (
        served(tls_settings(settings, pki), pool) as port,
        client(port, pki, issued) as door,
        client(port, pki, None) as by_token,
    ):
        listed = await door.get("/berichten", params={"limit": 10})
        assert listed.status_code == 200, listed.text
        [bericht] = listed.json()
        refs, route = bericht["referentiegegevens"], bericht["routeringgegevens"]
        assert refs["traceerId"] == refs["conversatieId"] == str(heen.id)
        assert "alsAntwoordOp" not in refs or refs["alsAntwoordOp"] is None
        assert route["afzender"] == {"rol": "gemeente", "code": GEMEENTE}
        assert route["geadresseerden"] == [{"rol": "aanbieder", "code": PROVIDER}]
        stroom = route["berichtstroom"]
        assert (stroom["berichttype"], stroom["berichtversie"], stroom["berichtsubversie"]) == (
            "WMO301", "3", "2")  # fmt: skip
        basis = bericht["basisgegevens"]["payload"]
        assert basis["url"] == f"https://127.0.0.1:{port}/berichten/{heen.id}/payload"
        assert basis["checksum"]["algoritme"] == "SHA-256"

        searches = {
            "stroom": {"berichtstroom": {"berichttype": "WMO301"},
                       "geadresseerde": {"rol": "aanbieder", "code": PROVIDER}},
            "conversatie": {"conversatieId": str(heen.id)},
            "other stroom": {"berichtstroom": {"berichttype": "WMO315"}},
            "other addressee": {"berichtstroom": {"berichttype": "WMO301"},
                                "geadresseerde": {"rol": "aanbieder", "code": OTHER_PROVIDER}},
        }  # fmt: skip
        found = {k: await door.post("/berichten/zoeken", json=v) for k, v in searches.items()}
        counts = {k: len(v.json()) for k, v in found.items()}
        assert counts == {"stroom": 1, "conversatie": 1, "other stroom": 0, "other addressee": 0}
        two_paths = await door.post(
            "/berichten/zoeken", json={"conversatieId": "a", "alsAntwoordOp": "b"}
        )
        assert _problem(two_paths)["status"] == 400

        downloaded = await door.get(basis["url"])
        assert downloaded.status_code == 200
        assert hashlib.sha256(downloaded.content).hexdigest() == basis["checksum"]["waarde"]
        assert len(downloaded.content) == basis["grootte"]

        # The provider answers with its 302, in the 301's conversation.
        antwoord = _fixture("WMO302")
        traceer = str(uuid4())
        meta = metadata(PROVIDER, GEMEENTE, "WMO302", traceer_id=traceer,
                        conversatie_id=str(heen.id), als_antwoord_op=str(heen.id))  # fmt: skip
        pushed = await door.post("/berichten", files=parts(meta, antwoord))
        assert pushed.status_code == 204, pushed.text
        again = await door.post("/berichten", files=parts(meta, antwoord))
        assert again.status_code == 204, again.text  # a resend: taken once
        message_id = upload_id("vecozo", PROVIDER, traceer)
        record = await ingress_record(settings, message_id)
        assert record.value == antwoord
        received = await door.get("/berichtstatussen", params={"traceerId": traceer})
        [status] = received.json()
        assert status["berichtstatus"] == "ontvangen"  # not decided by the core yet

        await intake.process(runtime, ctx, [_incoming(message_id, antwoord, PROVIDER, "vecozo")])
        assert await pool.fetchval("SELECT answers FROM message WHERE id = $1", message_id) == (
            heen.id
        )
        by_traceer = await by_token.get(
            "/berichtstatussen", params={"traceerId": traceer}, headers=bearer(token)
        )
        assert by_traceer.status_code == 200, by_traceer.text
        [status] = by_traceer.json()
        assert status["berichtstatus"] == "geaccepteerd"
        assert status["referentiegegevens"] == {
            "conversatieId": str(heen.id), "traceerId": traceer,
            "alsAntwoordOp": str(heen.id), "referentieId": None,
        }  # fmt: skip
        assert status["berichtstroom"]["berichttype"] == "WMO302"
        by_conversatie = await door.get("/berichtstatussen", params={"conversatieId": str(heen.id)})
        # The 301 is the gemeente's: only the provider's own message is its to see.
        assert [s["referentiegegevens"]["traceerId"] for s in by_conversatie.json()] == [traceer]
        for query in ({}, {"traceerId": traceer, "conversatieId": str(heen.id)}):
            assert _problem(await door.get("/berichtstatussen", params=query))["status"] == 400

        # Receipt confirmed: gone from this door and from the JSON API's inbox alike.
        confirmed = await door.delete(f"/berichten/{heen.id}")
        assert confirmed.status_code == 202, confirmed.text
        assert _problem(await door.delete(f"/berichten/{heen.id}"))["status"] == 404
        assert _problem(await door.get(basis["url"]))["status"] == 404
        assert (await door.get("/berichten")).json() == []
        inbox = await by_token.get("/v1/inbox", headers=bearer(token))
        assert inbox.json() == []

        # A 305 whose BSN fails its elfproef: the core answers with its own 306.
        start = _fixture("WMO305", Bsn="174285918")
        t305, c305 = str(uuid4()), str(uuid4())
        meta = metadata(PROVIDER, GEMEENTE, "WMO305", traceer_id=t305, conversatie_id=c305)
        assert (await door.post("/berichten", files=parts(meta, start))).status_code == 204
        start_id = upload_id("vecozo", PROVIDER, t305)
        await intake.process(runtime, ctx, [_incoming(start_id, start, PROVIDER, "vecozo")])
        retour_id = await pool.fetchval("SELECT retour_id FROM message WHERE id = $1", start_id)
        assert retour_id is not None
        await store.add_deliveries(pool, "vecozo", [(retour_id, PROVIDER)])
        [retour] = (await door.get("/berichten")).json()
        assert retour["referentiegegevens"]["traceerId"] == str(retour_id)
        assert retour["referentiegegevens"]["alsAntwoordOp"] == t305
        assert retour["referentiegegevens"]["conversatieId"] == c305
        answering = await door.post("/berichten/zoeken", json={"alsAntwoordOp": t305})
        assert [b["referentiegegevens"]["traceerId"] for b in answering.json()] == [str(retour_id)]
        [rejected] = (await door.get("/berichtstatussen", params={"traceerId": t305})).json()
        assert rejected["berichtstatus"] == "afgekeurd"
        first, *_ = rejected["meldingen"]  # the elfproef's finding, as the retour names it
        assert first["toelichting"].startswith("retourcode 0001 at /Bericht/Client")


_BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<Bericht xmlns="http://www.istandaarden.nl/iwmo/3_2/wmo305/schema">&lol3;</Bericht>"""


async def test_bad_pushes_are_refused_with_their_code_and_nothing_is_kept(
    runtime: Runtime, settings: Settings, pki: CertAuthority
) -> None:
    pool = runtime.pool
    assert settings.kafka_bootstrap is not None
    await topic_admin.ensure_topics(settings, settings.kafka_bootstrap)
    issued = await software(pool, pki)
    start = _fixture("WMO305")
    other_start = _fixture("WMO305", Identificatie="30520250999")

    def meta(**changes: Any) -> dict[str, Any]:
        data = metadata(PROVIDER, GEMEENTE, "WMO305", traceer_id=str(uuid4()))
        for path, value in changes.items():
            *parents, leaf = path.split("__")
            node: Any = data
            for p in parents:
                node = node[p]
            node[leaf] = value
        return data

    spoofed = _fixture("WMO305", Afzender=OTHER_PROVIDER)
    cases: dict[str, tuple[dict[str, Any] | None, bytes | None, int, str | None, str | None]] = {
        # name: (metadata, payload, status, code, errors key)
        "no metadata": (None, start, 400, "IB017", "berichtMetadata"),
        "no payload": (meta(), None, 400, "IB017", "payload"),
        "not the shape": (meta(referentiegegevens={"conversatieId": "x"}), start, 400,
                          "IB017", "referentiegegevens.traceerId"),
        "afzender": (meta(routeringgegevens__afzender__code=OTHER_PROVIDER), start, 400,
                     "IB017", "routeringgegevens.afzender.code"),
        "geadresseerde": (meta(routeringgegevens__geadresseerden=[
            {"rol": "gemeente", "code": "0344"}]), start, 400, "IB017",
            "routeringgegevens.geadresseerden.0.code"),
        "versie": (meta(routeringgegevens__berichtstroom__berichtversie="9"), start, 400,
                   "IB017", "routeringgegevens.berichtstroom.berichtversie"),
        "berichttype": (meta(routeringgegevens__berichtstroom__berichttype="WMO301"), start,
                        400, "IB017", "routeringgegevens.berichtstroom.berichttype"),
        "not xml": (meta(), b"\x00\x01 not a message", 422, "BRS14", None),
        "xml bomb": (meta(), _BOMB, 422, "BRS14", None),
        "not for whom it may send": (
            metadata(OTHER_PROVIDER, GEMEENTE, "WMO305"), spoofed, 422, "BRS03", None),
        "schema": (meta(), _fixture("WMO305", Bsn="12"), 422, "IB014", None),
        "unknown receiver": (metadata(PROVIDER, "0999", "WMO305"),
                             _fixture("WMO305", Ontvanger="0999"), 422, "BRS04",
                             "Header/Ontvanger"),
    }  # fmt: skip
    async with (
        served(tls_settings(settings, pki), pool) as port,
        client(port, pki, issued) as door,
        client(port, pki, None) as anonymous,
    ):
        for name, (data, payload, status, code, field) in cases.items():
            answer = await door.post("/berichten", files=parts(data, payload))
            assert answer.status_code == status, (name, answer.text)
            problem = _problem(answer)
            assert problem.get("code") == code, (name, problem)
            if field is not None:
                assert field in problem["errors"], (name, problem["errors"])
            if code == "IB014":  # every schema finding, with its place
                assert problem["findings"][0]["location"].startswith("/Bericht"), problem
            if data is not None:
                traceer = data["referentiegegevens"].get("traceerId")
                assert await _kept(pool, traceer or "-") == (0, 0), name
        bomb = await door.post("/berichten", files=parts(meta(), _BOMB))
        assert "DOCTYPE" in _problem(bomb)["detail"]

        not_multipart = await door.post("/berichten", content=start,
                                        headers={"content-type": "application/xml"})  # fmt: skip
        assert _problem(not_multipart)["errors"] == {"Content-Type": ["application/xml"]}
        oversized = await door.post(
            "/berichten", files=parts(meta(), b"<" + b"x" * (25 * 1024 * 1024) + b"/>")
        )
        assert (oversized.status_code, _problem(oversized).get("code")) == (422, "IB012")

        # One traceerId, two payloads: the second is refused (BRS114), the first stays.
        first = meta()
        traceer = first["referentiegegevens"]["traceerId"]
        assert (await door.post("/berichten", files=parts(first, start))).status_code == 204
        reused = await door.post("/berichten", files=parts(first, other_start))
        assert (reused.status_code, _problem(reused).get("code")) == (422, "BRS114")
        assert await _kept(pool, traceer) == (1, 1)

        for unknown in (door.get("/berichten/no-such-id/payload"),
                        door.delete("/berichten/no-such-id"),
                        door.delete(f"/berichten/{uuid4()}")):  # fmt: skip
            assert _problem(await unknown)["status"] == 404
        nobody = await anonymous.get("/berichten")
        assert (nobody.status_code, _problem(nobody).get("code")) == (401, "BRS01")
