"""A request head too large to be a request gets 431 and a closed connection, as h11 refused it
before the hub served HTTP with httptools (hub/infra/httpserve.py); a body never counts."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from adapters.tlsserve import CertificateAwareHttp
from hub.infra.httpserve import MAX_HEAD_BYTES, BoundedHttp
from hub.ops.cli import run
from tests.uvicornkit import uvicorn_serving


async def _echo(request: Request) -> PlainTextResponse:
    return PlainTextResponse(f"{len(await request.body())} bytes")


@pytest.fixture
async def port() -> AsyncIterator[int]:
    app = Starlette(routes=[Route("/", _echo, methods=["GET", "POST"])])
    async with uvicorn_serving(app, http=BoundedHttp) as number:
        yield number


async def _exchange(port: int, *pieces: bytes) -> bytes:
    """Send the pieces one write each (the server reads them apart), then read to the end."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for piece in pieces:
            writer.write(piece)
            await writer.drain()
            await asyncio.sleep(0.01)
        async with asyncio.timeout(10):
            return await reader.read()
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


def _head(extra: int) -> bytes:
    return (
        b"GET / HTTP/1.1\r\nHost: hub\r\nConnection: close\r\nX-Padding: "
        + b"a" * extra
        + b"\r\n\r\n"
    )


async def test_a_head_over_the_limit_is_refused_with_431_and_closed(port: int) -> None:
    head = _head(MAX_HEAD_BYTES + 1000)
    answer = await _exchange(port, head[:8000], head[8000:16000], head[16000:])
    assert answer.startswith(b"HTTP/1.1 431 ")
    assert b"request head too large" in answer
    assert b"connection: close" in answer.lower()


async def test_a_huge_header_sent_at_once_is_refused(port: int) -> None:
    answer = await _exchange(port, _head(2 * 1024 * 1024)[:-4])  # never even finished
    assert answer.startswith(b"HTTP/1.1 431 ")


async def test_a_whole_head_over_the_limit_in_one_read_is_refused(port: int) -> None:
    answer = await _exchange(port, _head(MAX_HEAD_BYTES + 10))
    assert answer.startswith(b"HTTP/1.1 431 ")


async def test_the_limit_holds_per_request_on_a_kept_alive_connection(port: int) -> None:
    first = _head(MAX_HEAD_BYTES // 2).replace(b"Connection: close", b"Connection: keep-alive")
    answer = await _exchange(
        port,
        first,
        _head(MAX_HEAD_BYTES // 2),
    )
    assert answer.count(b"HTTP/1.1 200 ") == 2
    answer = await _exchange(port, first, _head(MAX_HEAD_BYTES + 10))
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert b"HTTP/1.1 431 " in answer


async def test_a_head_under_the_limit_is_served(port: int) -> None:
    head = _head(MAX_HEAD_BYTES - 1000)
    answer = await _exchange(port, head[:5000], head[5000:])
    assert answer.startswith(b"HTTP/1.1 200 ")


async def test_a_large_body_in_the_same_read_as_its_head_is_not_counted(port: int) -> None:
    body = b"x" * (4 * MAX_HEAD_BYTES)
    request = (
        b"POST / HTTP/1.1\r\nHost: hub\r\nConnection: close\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )
    answer = await _exchange(port, request)
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert answer.endswith(f"{len(body)} bytes".encode())


def test_every_served_process_uses_the_bounded_protocol() -> None:
    """`hub core`, `hub relay` and `hub adapter` serve through run._serve, whose protocol
    is BoundedHttp unless the adapter's certificate-aware one (also bounded) is chosen."""
    assert issubclass(CertificateAwareHttp, BoundedHttp)
    source = run._serve.__code__.co_names
    assert "BoundedHttp" in source
