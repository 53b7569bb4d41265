"""The node doors' message routes behind the upload gate's in-flight limit (adapters/gate.py),
over real HTTP: a GGk SOAP envelope or a VECOZO push beyond HUB_UPLOAD_MAX_IN_FLIGHT is answered
busy in its door's own shape (a SOAP Server fault with a Fo03, an RFC 7807 problem), with
Retry-After, and a door's upload under way holds a slot the JSON API's uploads count too."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx

from adapters.registry import build_adapter_app
from hub.app import make_runtime
from hub.domain.parties import DEMO_FILE, load_parties, new_token
from hub.infra import store
from hub.settings import Settings
from tests.adapterkit import WMO305, bearer, served

GEMEENTE, PROVIDER = "0363", "65656055"
SOAP_ACTION = "http://www.stufstandaarden.nl/koppelvlak/ggk0210/ggk_Di01"


@contextlib.asynccontextmanager
async def _no_resources(_: Any) -> AsyncIterator[None]:
    yield


@contextlib.asynccontextmanager
async def _adapter(pool: store.Pool, node: str) -> AsyncIterator[tuple[int, str]]:
    """The node's adapter under uvicorn with room for one upload at once; its port and a
    token of a party it serves. No broker: nothing here gets as far as producing."""
    await store.upsert_parties(pool, list(load_parties(DEMO_FILE)))
    token = new_token()
    await store.add_token(pool, GEMEENTE if node == "ggk" else PROVIDER, token)
    settings = Settings(upload_max_in_flight=1, upload_body_timeout_s=30.0)
    runtime = make_runtime(settings, "127.0.0.1:9", "postgresql://unused", f"t-gate-{node}")
    app = build_adapter_app(node, runtime, _no_resources)
    runtime.attach_pool(pool)
    try:
        async with served(app) as port:
            yield port, token
    finally:
        runtime.attach_pool(None)


async def _held(port: int, path: str, token: str, content_type: str) -> asyncio.StreamWriter:
    """A POST whose headers and first bytes are sent and the rest never: it holds its slot."""
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: {content_type}\r\nSOAPAction: {SOAP_ACTION}\r\n"
        "Content-Length: 5000\r\n\r\n"
    ).encode()
    writer.write(head + b"x" * 100)
    await writer.drain()
    await asyncio.sleep(0.5)  # authenticated (the push) and waiting for the body
    return writer


async def test_a_vecozo_push_beyond_the_limit_is_a_503_problem(pool: store.Pool) -> None:
    async with _adapter(pool, "vecozo") as (port, token):
        held = await _held(port, "/berichten", token, "multipart/form-data; boundary=b")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            busy = await client.post("/berichten", headers=bearer(token),
                                     files={"payload": ("m.xml", WMO305)})  # fmt: skip
            # The door's push under way counts for the JSON API's uploads too.
            upload = await client.post("/v1/messages", content=WMO305, headers=bearer(token))
            listing = await client.get("/berichten", headers=bearer(token))  # no upload
            held.close()
            await asyncio.sleep(0.5)  # the held push ends; its slot frees up
            after = await client.post("/berichten", headers=bearer(token),
                                      files={"payload": ("m.xml", WMO305)})  # fmt: skip
    assert busy.status_code == 503, busy.text
    assert busy.headers["content-type"] == "application/problem+json"
    assert busy.headers["Retry-After"] == "1"
    assert "connection" not in busy.headers  # its body was read: the connection lives
    problem = busy.json()
    assert problem["status"] == 503
    assert problem["type"] == "urn:isd-hub:problem:unavailable:busy"
    assert problem["instance"] == "/berichten"
    assert "1 uploads at once" in problem["detail"]
    assert upload.status_code == 503
    assert upload.json()["detail"]["reason"] == "busy"
    assert listing.status_code == 200, listing.text
    assert after.status_code == 400, after.text  # no metadata: the door's own judgement


async def test_a_ggk_envelope_beyond_the_limit_is_a_soap_server_fault(pool: store.Pool) -> None:
    async with _adapter(pool, "ggk") as (port, token):
        held = await _held(port, "/ggk/soap", token, "text/xml; charset=utf-8")
        headers = {**bearer(token), "SOAPAction": SOAP_ACTION, "Content-Type": "text/xml"}
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            busy = await client.post("/ggk/soap", content=b"<not-an-envelope/>", headers=headers)
            upload = await client.post("/v1/messages", content=WMO305, headers=bearer(token))
            held.close()
            await asyncio.sleep(0.5)
            after = await client.post("/ggk/soap", content=b"<not-an-envelope/>", headers=headers)
    assert busy.status_code == 500, busy.text  # SOAP 1.1: a fault is a 500
    assert busy.headers["content-type"].startswith("text/xml")
    assert busy.headers["Retry-After"] == "1"
    assert "connection" not in busy.headers  # the small body was read: the connection lives
    assert b"Fault" in busy.content
    assert b"Server" in busy.content  # resend unchanged, not the client's fault
    assert b"unavailable/busy" in busy.content
    assert upload.status_code == 503
    assert after.status_code == 500
    assert b"unavailable/busy" not in after.content  # now judged: not an envelope
