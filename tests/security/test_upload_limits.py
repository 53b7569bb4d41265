"""The upload door's limits over real HTTP: a stalled body is answered 408, a client that goes
away mid-body is one log line, uploads beyond the in-flight limit get 503 with Retry-After, and
a compressed or non-XML body is refused with 415 and the reason. A path id that is not a UUID
gets the hub's own refusal shape."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from adapters.registry import build_adapter_app
from hub.app import make_runtime
from hub.infra import store
from hub.settings import Settings
from tests.adapterkit import WMO305, served
from tests.security.conftest import Client, Issue, bearer

PROVIDER = "65656055"  # the WMO305 fixture's Afzender, served by the VECOZO-like node


@contextlib.asynccontextmanager
async def _no_resources(_: Any) -> AsyncIterator[None]:
    yield


@contextlib.asynccontextmanager
async def serving(registry: store.Pool, settings: Settings, **overrides: Any) -> AsyncIterator[int]:
    """The VECOZO-like adapter under uvicorn on a loopback port (real sockets), its producer
    connected, on the test database; yields the port."""
    tuned = settings.model_copy(update=overrides)
    assert tuned.kafka_bootstrap is not None
    runtime = make_runtime(tuned, tuned.kafka_bootstrap, "postgresql://unused", "test-limits")
    app = build_adapter_app("vecozo", runtime, _no_resources)
    runtime.attach_pool(registry)
    await runtime.broker.connect()
    try:
        async with served(app) as port:
            yield port
    finally:
        await runtime.broker.stop()
        runtime.attach_pool(None)


async def _half_sent(port: int, token: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """An upload whose headers and first 100 bytes are sent, the rest never."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (
        f"POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/xml\r\n"
        f"Content-Length: {len(WMO305)}\r\n\r\n"
    ).encode()
    writer.write(head + WMO305[:100])
    await writer.drain()
    return reader, writer


async def test_a_stalled_body_is_answered_408_within_the_timeout(
    registry: store.Pool, settings: Settings, token: Issue
) -> None:
    provider = await token(PROVIDER)
    async with serving(registry, settings, upload_body_timeout_s=1.0) as port:
        reader, writer = await _half_sent(port, provider)
        started = time.monotonic()
        try:
            async with asyncio.timeout(8):
                answer = await reader.read()  # the adapter closes the connection after it
        finally:
            writer.close()
        waited = time.monotonic() - started
    status = answer.split(b"\r\n", 1)[0]
    assert status.startswith(b"HTTP/1.1 408"), answer[:300]
    assert b'"reason":"body_timeout"' in answer
    assert 0.8 < waited < 5


async def test_a_client_gone_mid_body_is_one_log_line(
    registry: store.Pool, settings: Settings, token: Issue, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    provider = await token(PROVIDER)
    async with serving(registry, settings) as port:
        _, writer = await _half_sent(port, provider)
        await asyncio.sleep(0.5)  # authenticated and reading the body
        writer.close()
        async with asyncio.timeout(5):
            while not any("went away" in r.getMessage() or r.exc_info for r in caplog.records):
                await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)  # anything else it would log
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert errors == []
    gone = [r for r in caplog.records if "went away" in r.getMessage()]
    assert len(gone) == 1
    assert gone[0].levelno in (logging.INFO, logging.WARNING)
    assert "\n" not in gone[0].getMessage()


async def test_uploads_beyond_the_in_flight_limit_get_503_with_retry_after(
    registry: store.Pool, settings: Settings, token: Issue
) -> None:
    provider = await token(PROVIDER)
    async with serving(registry, settings, upload_max_in_flight=2) as port:
        held = [await _half_sent(port, provider) for _ in range(2)]
        await asyncio.sleep(0.5)  # both authenticated and waiting for their bodies
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            started = time.monotonic()
            busy = await client.post("/v1/messages", content=WMO305, headers=bearer(provider))
            answered_in = time.monotonic() - started
            # Reading the inbox is not an upload: it is served while the uploads are full.
            inbox = await client.get("/v1/inbox", headers=bearer(provider))
            for _, writer in held:
                writer.close()
            await asyncio.sleep(0.5)  # the held uploads end; their slots free up
            after = await client.post("/v1/messages", content=WMO305, headers=bearer(provider))
    assert busy.status_code == 503, busy.text
    assert busy.headers["Retry-After"].isdigit()
    assert busy.json()["detail"]["reason"] == "busy"
    assert answered_in < 2
    assert inbox.status_code == 200
    assert after.status_code == 202, after.text


async def test_a_compressed_body_is_refused_415_saying_so(adapter: Client, token: Issue) -> None:
    provider = await token(PROVIDER)
    headers = {**bearer(provider), "Content-Type": "application/xml"}
    async with adapter("vecozo") as client:
        gz = await client.post(
            "/v1/messages",
            content=gzip.compress(WMO305),
            headers={**headers, "Content-Encoding": "gzip"},
        )
        identity = await client.post(
            "/v1/messages", content=WMO305, headers={**headers, "Content-Encoding": "identity"}
        )
    assert gz.status_code == 415, gz.text
    assert gz.json()["detail"]["reason"] == "content_encoding"
    assert "gzip" in gz.json()["detail"]["detail"]
    assert gz.headers["Accept-Encoding"] == "identity"
    assert identity.status_code == 202, identity.text


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        (None, 202),  # no claim: the body is checked as XML
        ("application/xml", 202),
        ("application/xml; charset=UTF-8", 202),
        ("text/xml", 202),
        ("application/octet-stream", 202),  # generic bytes (a file), checked as XML
        ("application/json", 400),  # read as a message's JSON view (docs/json.md): not JSON
        ("text/plain", 415),
        ("multipart/form-data; boundary=x", 415),
        ("application/x-www-form-urlencoded", 415),  # curl's --data-binary default
    ],
)
async def test_the_content_type_must_be_xml_or_generic(
    adapter: Client, token: Issue, content_type: str | None, status: int
) -> None:
    provider = await token(PROVIDER)
    headers = bearer(provider)
    if content_type is not None:
        headers["Content-Type"] = content_type
    async with adapter("vecozo") as client:
        answer = await client.post("/v1/messages", content=WMO305, headers=headers)
    assert answer.status_code == status, answer.text
    if status == 415:
        refusal = answer.json()["detail"]
        assert refusal["reason"] == "content_type"
        assert "application/xml" in refusal["detail"]


async def test_a_message_id_that_is_no_uuid_gets_the_hub_refusal(
    adapter: Client, token: Issue
) -> None:
    gemeente = await token("0363")
    async with adapter("ggk") as client:
        download = await client.get("/v1/inbox/not-a-uuid", headers=bearer(gemeente))
        ack = await client.post("/v1/inbox/12345/ack", headers=bearer(gemeente))
        listing = await client.get("/v1/inbox?limit=many", headers=bearer(gemeente))
    for answer, name in ((download, "message_id"), (ack, "message_id"), (listing, "limit")):
        assert answer.status_code == 400, answer.text
        refusal = answer.json()["detail"]
        assert refusal["error"] == "invalid"
        assert refusal["reason"] == name
        assert name in refusal["detail"]
