"""What the doors answer with beyond the message itself: public URLs behind a TLS-terminating
proxy (HUB_GGK_PUBLIC_URL, HUB_VECOZO_PUBLIC_URL, X-Forwarded-Proto believed only from
HUB_ADAPTER_TRUSTED_PROXIES), a frozen release as a GGk Server fault with its retry time (and
the VECOZO door's 423 Retry-After), and a Fo03's crossRefnummer where the request failed its
schema or its caller was not identified. In process over httpx, and served by uvicorn."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from types import MappingProxyType
from typing import Any

import httpx
import pytest
from lxml import etree

from adapters.registry import build_adapter_app
from hub.app import make_runtime
from hub.domain import freeze, stuf
from hub.domain.freeze import ZONE, Calendar
from hub.domain.messages import Standard
from hub.domain.parties import DEMO_FILE, load_parties, new_token
from hub.infra import store
from hub.ops.cli.run import adapter_server_options
from hub.settings import Settings
from tests.adapterkit import FIXTURES, bearer, deliver
from tests.nodedoors.ggkkit import DI01_ACTION, GEMEENTE, b64, raw_di01, served
from tests.nodedoors.vecozokit import PROVIDER, metadata, parts

WMO301 = (FIXTURES / "iwmo-3.2" / "WMO301.xml").read_bytes()
WMO305 = (FIXTURES / "iwmo-3.2" / "WMO305.xml").read_bytes()
GO_LIVE = datetime(2027, 4, 5, 13, 0, tzinfo=ZONE)
HEEN_FREEZE = datetime(2027, 3, 31, 17, 30, tzinfo=ZONE)  # heenberichten of 3.2 refused
NS = {"S": stuf.STUF_NS, "soapenv": stuf.SOAP_NS}


@contextlib.asynccontextmanager
async def _no_resources(_: Any) -> AsyncIterator[None]:
    yield


@contextlib.asynccontextmanager
async def _door(
    settings: Settings, pool: store.Pool, name: str, now: datetime | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """The adapter `name` in process (base URL http://adapter); with `now`, its clock at that
    moment of an iWmo 3.2 -> 3.3 release calendar."""
    assert settings.kafka_bootstrap is not None
    runtime = make_runtime(settings, settings.kafka_bootstrap, "postgresql://unused", "t-doors")
    if now is not None:
        plan = freeze.plan(Standard.IWMO, GO_LIVE, "3.2", "3.3")
        runtime.freeze = Calendar(MappingProxyType({Standard.IWMO: plan}))
        runtime.clock = lambda: now
    app = build_adapter_app(name, runtime, _no_resources)
    runtime.attach_pool(pool)
    await runtime.broker.connect()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://adapter") as client:
            yield client
    finally:
        await runtime.broker.stop()
        runtime.attach_pool(None)


async def _token(pool: store.Pool, party: str) -> dict[str, str]:
    await store.upsert_parties(pool, list(load_parties(DEMO_FILE)))
    value = new_token()
    await store.add_token(pool, party, value)
    return bearer(value)


def _soap(body: bytes, auth: dict[str, str]) -> dict[str, Any]:
    return {"content": body, "headers": {"Content-Type": "text/xml", "SOAPAction": DI01_ACTION,
                                         **auth}}  # fmt: skip


def _fault(answer: httpx.Response) -> dict[str, str | None]:
    """A SOAP Fault's faultcode and its Fo03's code, details and crossRefnummer."""
    assert answer.status_code == 500, answer.text[:300]
    root = etree.fromstring(answer.content)
    fo03 = root.find(".//S:Fo03Bericht", NS)
    assert fo03 is not None, answer.text[:300]
    return {
        "faultcode": root.findtext(".//soapenv:Fault/faultcode", namespaces=NS),
        "code": fo03.findtext("S:body/S:code", namespaces=NS),
        "details": fo03.findtext("S:body/S:details", namespaces=NS),
        "cross": fo03.findtext("S:stuurgegevens/S:crossRefnummer", namespaces=NS),
    }


async def test_public_urls_come_from_the_settings(settings: Settings, pool: store.Pool) -> None:
    async with _door(settings, pool, "ggk") as ggk:
        inside = (await ggk.get("/ggk/soap?wsdl")).text
    assert 'location="http://adapter/ggk/soap"' in inside  # unset: the request's own
    urls = {"ggk_public_url": "https://hub.example.nl/ggk",
            "vecozo_public_url": "https://hub.example.nl/v"}  # fmt: skip
    public = settings.model_copy(update=urls)
    async with _door(public, pool, "ggk") as ggk:
        wsdl = (await ggk.get("/ggk/soap?wsdl")).text
    assert 'location="https://hub.example.nl/ggk/ggk/soap"' in wsdl
    assert 'schemaLocation="https://hub.example.nl/ggk/ggk/schemas/ggk0210.xsd"' in wsdl
    assert "http://adapter" not in wsdl

    auth = await _token(pool, PROVIDER)
    waiting = await deliver(pool, PROVIDER, "vecozo")
    async with _door(public, pool, "vecozo") as vecozo:
        listed = await vecozo.get("/berichten", headers=auth)
    assert listed.status_code == 200, listed.text
    [bericht] = listed.json()
    url = bericht["basisgegevens"]["payload"]["url"]
    assert url == f"https://hub.example.nl/v/berichten/{waiting}/payload"


def test_public_urls_are_checked() -> None:
    for bad in ("hub.example.nl/ggk", "ftp://hub.example.nl", "https://", "https://h/?a=1"):
        with pytest.raises(ValueError, match="ggk_public_url"):
            Settings.model_validate({"ggk_public_url": bad})
    kept = Settings.model_validate({"vecozo_public_url": "https://hub.example.nl/v/"})
    assert kept.vecozo_public_url == "https://hub.example.nl/v"


async def test_forwarded_proto_is_believed_from_the_trusted_proxies_only(
    settings: Settings, pool: store.Pool
) -> None:
    forwarded = {"X-Forwarded-Proto": "https"}
    # The test's client (127.0.0.1) is not among the proxies: its header is ignored (uvicorn
    # alone would believe it, from 127.0.0.1).
    elsewhere = settings.model_copy(update={"adapter_trusted_proxies": "10.9.0.0/16"})
    assert adapter_server_options(elsewhere)["forwarded_allow_ips"] == ["10.9.0.0/16"]
    proxied = settings.model_copy(update={"adapter_trusted_proxies": "127.0.0.1"})
    for which, expected in ((elsewhere, "http"), (proxied, "https")):
        async with served(which, pool) as port, httpx.AsyncClient() as client:
            wsdl = await client.get(f"http://127.0.0.1:{port}/ggk/soap?wsdl", headers=forwarded)
        assert f'location="{expected}://127.0.0.1:{port}/ggk/soap"' in wsdl.text


async def test_a_frozen_release_is_a_server_fault_with_its_retry_time(
    settings: Settings, pool: store.Pool
) -> None:
    auth = await _token(pool, GEMEENTE)
    ref = str(uuid.uuid4())
    wait = str(int((GO_LIVE - HEEN_FREEZE).total_seconds()))
    async with _door(settings, pool, "ggk", HEEN_FREEZE) as ggk:
        answer = await ggk.post("/ggk/soap", **_soap(raw_di01(b64(WMO301), ref=ref), auth))
    fault = _fault(answer)
    assert fault["faultcode"] == "soapenv:Server"  # resend unchanged, later
    assert answer.headers["Retry-After"] == wait
    assert f"resend after {wait} s" in (fault["details"] or "")
    assert fault["cross"] == ref

    # The VECOZO door's 423 keeps its Retry-After too.
    provider = await _token(pool, PROVIDER)
    meta = metadata(PROVIDER, GEMEENTE, "WMO305")
    async with _door(settings, pool, "vecozo", HEEN_FREEZE) as vecozo:
        pushed = await vecozo.post("/berichten", files=parts(meta, WMO305), headers=provider)
    assert pushed.status_code == 423, pushed.text
    assert pushed.headers["Retry-After"] == wait


async def test_a_fo03_names_the_referentienummer_it_could_read(
    settings: Settings, pool: store.Pool
) -> None:
    auth = await _token(pool, GEMEENTE)
    ref = str(uuid.uuid4())
    good = raw_di01(b64(WMO301), ref=ref)
    off_schema = good.replace(b"20261206101500<", b"gisteren<")
    assert off_schema != good
    async with _door(settings, pool, "ggk") as ggk:
        failed = _fault(await ggk.post("/ggk/soap", **_soap(off_schema, auth)))
        anonymous = _fault(await ggk.post("/ggk/soap", **_soap(good, {})))
        unreadable = _fault(await ggk.post("/ggk/soap", **_soap(b"<x:a xmlns:x='u:x'/>", auth)))
    assert (failed["code"], failed["faultcode"], failed["cross"]) == (
        "IB001", "soapenv:Client", ref)  # fmt: skip
    assert (anonymous["code"], anonymous["cross"]) == ("IB002", ref)
    assert unreadable["cross"] is None


def test_a_referentienummer_is_read_only_as_a_refnummer() -> None:
    long = raw_di01(b64(WMO301), ref="x" * 41)
    assert stuf.referentienummer_of(long) is None  # not a Refnummer: not echoed
    assert stuf.referentienummer_of(b"<!DOCTYPE a []><a/>") is None
    assert stuf.referentienummer_of(raw_di01("AAAA", ref="r-1")) == "r-1"
