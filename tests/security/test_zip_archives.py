"""ZIP archives in and out on the real adapter app (real PostgreSQL and broker): each member of an
uploaded archive is judged like a single upload; a hostile archive is refused whole with its
reason and nothing of it produced; the inbox comes out as one ZIP, each message counted as
downloaded."""

from __future__ import annotations

import io
import json
import zipfile

from hub.domain.headers import H
from hub.infra import store
from hub.infra.kafka import topic_admin
from hub.infra.store import journal
from hub.settings import Settings
from tests.adapterkit import adapters, deliver, ingress_records
from tests.security.conftest import FIXTURES, Client, Issue, bearer
from tests.test_ziparchive import HOSTILE

IWMO = FIXTURES / "iwmo-3.2"
WMO305 = (IWMO / "WMO305.xml").read_bytes()  # 65656055 → 0363, as are 307, 315 and 323
WMO307 = (IWMO / "WMO307.xml").read_bytes()
WMO315 = (IWMO / "WMO315.xml").read_bytes()
WMO323 = (IWMO / "WMO323.xml").read_bytes()
# Schema-invalid: an element the XSD does not know, right after BerichtCode.
BROKEN = WMO305.replace(b"<BerichtCode>418</BerichtCode>", b"<BerichtCode>418</BerichtCode><X/>")
PROVIDER = "65656055"
ZIP = {"Content-Type": "application/zip"}


def zipped(*members: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


GOOD = zipped(("a.xml", WMO305), ("b.xml", WMO307), ("c.xml", WMO315), ("d.xml", BROKEN))


async def test_each_member_is_judged_alone_and_answered_with_its_id_or_refusal(
    registry: store.Pool, settings: Settings, token: Issue, adapter: Client
) -> None:
    assert settings.kafka_bootstrap is not None
    await topic_admin.ensure_topics(settings, settings.kafka_bootstrap)
    provider = await token(PROVIDER)
    async with adapter("vecozo") as vecozo:
        answer = await vecozo.post(
            "/v1/messages/zip", content=GOOD, headers={**ZIP, **bearer(provider)}
        )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["accepted"], body["refused"]) == (3, 1)
    by_name = {m["name"]: m for m in body["members"]}
    assert [m["name"] for m in body["members"]] == ["a.xml", "b.xml", "c.xml", "d.xml"]
    ids = {by_name[n]["id"] for n in ("a.xml", "b.xml", "c.xml")}
    assert all(by_name[n]["status"] == "accepted" for n in ("a.xml", "b.xml", "c.xml"))
    # The refusal a single upload of it gets: same shape, reason and VECOZO's code.
    broken = by_name["d.xml"]
    assert (broken["status"], broken["http_status"]) == ("refused", 400)
    assert "id" not in broken
    refusal = broken["refusal"]
    assert (refusal["error"], refusal["reason"], refusal["node_code"]) == (
        "invalid",
        "schema",
        "IB014",
    )
    assert refusal["findings"]
    records = await ingress_records(settings, 3)
    produced = {
        dict((k, bytes(v).decode()) for k, v in r.headers)[H.MESSAGE_ID.value] for r in records
    }
    assert produced == ids
    assert sorted(bytes(r.value) for r in records) == sorted([WMO305, WMO307, WMO315])
    assert await journal.count(registry) == 3


async def test_a_resent_archive_with_its_idempotency_key_is_taken_once(
    registry: store.Pool, token: Issue, adapter: Client
) -> None:
    provider = await token(PROVIDER)
    headers = {**ZIP, **bearer(provider), "Idempotency-Key": "batch-2026-03"}
    async with adapter("vecozo") as vecozo:
        first = await vecozo.post("/v1/messages/zip", content=GOOD, headers=headers)
        again = await vecozo.post("/v1/messages/zip", content=GOOD, headers=headers)
        other = await vecozo.post(
            "/v1/messages/zip", content=GOOD, headers={**headers, "Idempotency-Key": "b-2"}
        )
    ids = [[m.get("id") for m in a.json()["members"]] for a in (first, again, other)]
    assert ids[0] == ids[1]
    assert len(set(ids[0][:3])) == 3
    assert not set(ids[0][:3]) & set(ids[2][:3])  # another key: other ids
    assert await journal.count(registry) == 6  # each id journaled once


async def test_a_hostile_archive_is_refused_whole_and_nothing_produced(
    registry: store.Pool, token: Issue, adapter: Client
) -> None:
    provider = await token(PROVIDER)
    declaraties = zipped(*((f"d{i:02}.xml", WMO323) for i in range(31)))
    mixed = zipped(("d.xml", WMO323), ("a.xml", WMO305))
    cases = {
        **{name: value for name, value in HOSTILE.items()},
        # A good member first: refused whole means it is not taken either.
        "traversal after a good one": (
            zipped(("a.xml", WMO305), ("../b.xml", WMO307)),
            "unsafe_name",
        ),
        "31 declaraties": (declaraties, "too_many_declaraties"),
        "mixed": (mixed, "mixed_declaraties"),
    }
    async with adapter("vecozo") as vecozo:
        for name, (body, reason) in cases.items():
            if len(body) > 25 * 1024 * 1024:
                continue  # refused by size before it is read as a ZIP (test_upload_limits)
            answer = await vecozo.post(
                "/v1/messages/zip", content=body, headers={**ZIP, **bearer(provider)}
            )
            assert answer.status_code in (400, 413), (name, answer.text)
            detail = answer.json()["detail"]
            assert (detail["error"], detail["reason"]) == ("zip", reason), (name, detail)
            assert detail["node_code"].startswith(("BRS", "IB")), name
        document = (await vecozo.get("/openapi.json")).json()
        wrong_type = await vecozo.post(
            "/v1/messages/zip",
            content=GOOD,
            headers={"Content-Type": "application/xml", **bearer(provider)},
        )
    assert wrong_type.status_code == 415
    upload = document["paths"]["/v1/messages/zip"]["post"]
    assert "application/zip" in upload["requestBody"]["content"]
    assert upload["security"]
    example = document["components"]["schemas"]["ArchiveAnswer"]["examples"][0]
    assert {m["status"] for m in example["members"]} == {"accepted", "refused"}
    assert (
        "application/zip"
        in document["paths"]["/v1/inbox.zip"]["get"]["responses"]["200"]["content"]
    )
    assert await journal.count(registry) == 0


async def test_the_inbox_comes_as_one_zip_each_message_counted_as_downloaded(
    registry: store.Pool, settings: Settings, token: Issue
) -> None:
    gemeente = await token("0363")
    ids = [await deliver(registry, "0363") for _ in range(3)]
    tuned = settings.model_copy(update={"zip_inbox_max_messages": 2})
    async with adapters(registry, tuned)("ggk") as ggk:
        first = await ggk.get("/v1/inbox.zip", headers=bearer(gemeente))
        listed = (await ggk.get("/v1/inbox", headers=bearer(gemeente))).json()
        for message_id in ids[:2]:
            ack = await ggk.post(f"/v1/inbox/{message_id}/ack", headers=bearer(gemeente))
            assert ack.status_code == 204
        rest = await ggk.get("/v1/inbox.zip", headers=bearer(gemeente))
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "application/zip"
    assert first.headers["X-More-Messages"] == "true"
    with zipfile.ZipFile(io.BytesIO(first.content)) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
        assert names == [f"{ids[0]}.xml", f"{ids[1]}.xml", "manifest.json"]
        assert archive.read(f"{ids[0]}.xml") == WMO305
    assert [m["id"] for m in manifest["messages"]] == [str(i) for i in ids[:2]]
    assert manifest["messages"][0]["berichtcode"] == "418"
    first_entry = manifest["messages"][0]
    assert (first_entry["answers"], first_entry["retourcodes"]) == (None, [])  # not a retour
    assert manifest["more"] is True
    # Downloaded as a single download marks it; the third was not in the archive.
    assert [e["downloaded"] for e in listed] == [True, True, False]
    assert rest.headers["X-More-Messages"] == "false"
    with zipfile.ZipFile(io.BytesIO(rest.content)) as archive:
        assert archive.namelist() == [f"{ids[2]}.xml", "manifest.json"]
    # Only the first download of a delivery raises message.downloaded (the outbox has it).
    events = await registry.fetchval(
        "SELECT count(*) FROM outbox"
        " WHERE convert_from(payload, 'UTF8') LIKE '%message.downloaded%'"
    )
    assert events == 3
