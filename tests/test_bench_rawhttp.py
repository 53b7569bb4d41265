"""The load generator's HTTP client (benchmarks/rawhttp.py) against a server that answers with
a Content-Length, a chunked body, and Connection: close; a dead port is an HttpError."""

from __future__ import annotations

import asyncio

import pytest

from benchmarks.rawhttp import HttpError, RawHttp
from hub.infra.embedded import free_port

_ANSWERS = [
    b"HTTP/1.1 202 Accepted\r\nContent-Length: 8\r\ncontent-type: text/plain\r\n\r\naccepted",
    b"HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"4\r\nbad \r\n5;x=y\r\ninput\r\n0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
]


async def test_posts_over_one_kept_alive_connection() -> None:
    seen: list[bytes] = []
    connections = 0

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            seen.append(head.split(b"\r\n")[0] + b" " + await reader.readexactly(length))
            writer.write(_ANSWERS[min(len(seen), len(_ANSWERS)) - 1])
            await writer.drain()
            if len(seen) >= len(_ANSWERS):
                writer.close()
                return

    port = free_port()
    server = await asyncio.start_server(serve, "127.0.0.1", port)
    client = RawHttp("127.0.0.1", timeout_s=5)
    try:
        headers = {"Authorization": "Bearer t"}
        assert await client.post(port, "/v1/messages", b"<a/>", headers) == (202, b"accepted")
        assert await client.post(port, "/v1/messages", b"<b/>", headers) == (400, b"bad input")
        assert await client.post(port, "/x", b"", headers) == (200, b"ok")
        assert seen == [b"POST /v1/messages HTTP/1.1 <a/>", b"POST /v1/messages HTTP/1.1 <b/>",
                        b"POST /x HTTP/1.1 "]  # fmt: skip
        assert connections == 1  # kept alive until the server said close
    finally:
        await client.close()
        server.close()
        await server.wait_closed()
    with pytest.raises(HttpError, match=r"ConnectionRefusedError|OSError"):
        await client.post(port, "/v1/messages", b"<a/>", {})
