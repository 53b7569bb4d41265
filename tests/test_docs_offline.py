"""The adapters' API documents work on a closed network: /docs and /redoc load only the
adapter's own assets, headless Chromium with every outside name unresolvable renders the
endpoints, and the OpenAPI document declares the XML body, Idempotency-Key and every refusal
in the hub's refusal shape."""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from adapters.registry import build_adapter_app
from hub.app import make_runtime
from hub.infra.embedded import free_port
from hub.settings import Settings
from tests.adapterkit import served

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
_REFUSAL = "#/components/schemas/Refusal"
_LINKS = re.compile(rb"""(?:src|href)=["']([^"']+)["']""")


@contextlib.asynccontextmanager
async def _no_resources(_: Any) -> AsyncIterator[None]:
    yield


@pytest.fixture(scope="module")
def app() -> Starlette:
    """The VECOZO-like adapter's app; the documents need neither database nor broker."""
    settings = Settings(kafka_bootstrap="127.0.0.1:9", database_url=None)
    runtime = make_runtime(settings, "127.0.0.1:9", "postgresql://unused", "test-docs")
    return build_adapter_app("vecozo", runtime, _no_resources)


@contextlib.asynccontextmanager
async def _client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://adapter") as client:
        yield client


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_the_pages_load_only_local_assets(app: Starlette, page: str) -> None:
    async with _client(app) as client:
        html = await client.get(page)
        assert html.status_code == 200
        links = [link.decode() for link in _LINKS.findall(html.content)]
        assert links, html.text
        assert all(link.startswith("/") and not link.startswith("//") for link in links), links
        assert b"http://" not in html.content
        assert b"https://" not in html.content
        for link in links:
            asset = await client.get(link)
            assert asset.status_code == 200, link
            assert len(asset.content) > 1000, link


async def test_the_spec_declares_body_header_and_refusals(app: Starlette) -> None:
    async with _client(app) as client:
        document = (await client.get("/openapi.json")).json()
    upload = document["paths"]["/v1/messages"]["post"]
    assert "application/xml" in upload["requestBody"]["content"]
    assert upload["requestBody"]["required"] is True
    headers = [p for p in upload["parameters"] if p["in"] == "header"]
    assert [p["name"] for p in headers] == ["Idempotency-Key"]

    def refusals(operation: dict[str, Any]) -> set[str]:
        found = set()
        for status, answer in operation["responses"].items():
            schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
            if schema.get("$ref") == _REFUSAL:
                found.add(status)
        return found

    wanted = {"400", "401", "403", "408", "409", "413", "415", "422", "423", "503"}
    assert wanted <= refusals(upload)
    assert "Retry-After" in upload["responses"]["503"]["headers"]
    for path in ("/v1/inbox/{message_id}", "/v1/inbox/{message_id}/ack"):
        for operation in document["paths"][path].values():
            assert {"400", "401", "403", "404", "503"} <= refusals(operation), path
            assert "422" not in operation["responses"], path
    assert "HTTPValidationError" not in str(document)


async def _render(url: str, profile: Path) -> str:
    """The DOM of `url` after Chromium ran its scripts, with every name but the loopback
    unresolvable and every other address unreachable: a page that needs the internet renders
    nothing."""
    assert CHROMIUM is not None
    process = await asyncio.create_subprocess_exec(
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        # An address literal needs no name: everything but the loopback (which Chromium never
        # proxies) goes to a proxy that is not there.
        f"--proxy-server=http://127.0.0.1:{free_port()}",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=5000",
        "--dump-dom",
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(90):
            out, err = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, err.decode(errors="replace")[-2000:]
    return out.decode(errors="replace")


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed (`make browser-tools` installs it as root)",
)
@pytest.mark.timeout(240)
@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_chromium_renders_the_endpoints_offline(
    app: Starlette, page: str, tmp_path: Path
) -> None:
    async with served(app) as port:
        dom = await _render(f"http://127.0.0.1:{port}{page}", tmp_path / "profile")
    for path in ("/v1/messages", "/v1/inbox/{message_id}", "/v1/inbox/{message_id}/ack"):
        assert path in dom, f"{page} does not show {path}"
    # Swagger UI's validator badge (an outside image) stays off.
    assert "validator.swagger.io" not in dom


async def test_the_frameworks_own_errors_come_in_the_refusal_shape(app: Starlette) -> None:
    async with _client(app) as client:
        unknown = await client.get("/v1/nothing-here")
        method = await client.put("/v1/messages")  # GET is the status lookup, POST the upload
    assert unknown.status_code == 404
    assert unknown.json()["detail"]["error"] == "not_found"
    assert method.status_code == 405
    assert method.json()["detail"]["error"] == "method_not_allowed"
    assert "allow" in method.headers
