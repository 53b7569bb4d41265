"""Just enough HTTP/1.1 for a load generator: POST over one kept-alive connection per port.

httpx spent ~5,000 µs of CPU per upload in `make bench-retour`: at 128 uploads a second the
load generator took a third of this two-core machine, more than any process it measured.
This client writes the request in one call and reads the status, the headers and a
Content-Length or chunked body; ~10 times less per request. One instance per concurrent
worker: a connection carries one request at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping


class HttpError(Exception):
    """The connection failed or the answer was not HTTP/1.1 as this client reads it."""


class RawHttp:
    def __init__(self, host: str, timeout_s: float = 30.0) -> None:
        self.host = host
        self.timeout_s = timeout_s
        self._conns: dict[int, tuple[asyncio.StreamReader, asyncio.StreamWriter]] = {}

    async def post(
        self, port: int, path: str, body: bytes, headers: Mapping[str, str]
    ) -> tuple[int, bytes]:
        """(status, body); HttpError when the exchange failed (the connection is dropped)."""
        try:
            return await asyncio.wait_for(self._post(port, path, body, headers), self.timeout_s)
        except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
            self._drop(port)
            raise HttpError(f"{type(exc).__name__}: {exc}") from exc

    async def _post(
        self, port: int, path: str, body: bytes, headers: Mapping[str, str]
    ) -> tuple[int, bytes]:
        if port not in self._conns:
            self._conns[port] = await asyncio.open_connection(self.host, port)
        reader, writer = self._conns[port]
        head = f"POST {path} HTTP/1.1\r\nHost: {self.host}:{port}\r\n"
        head += f"Content-Length: {len(body)}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        writer.write(head.encode("latin-1") + body)
        status_line = await reader.readline()
        parts = status_line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise ValueError(f"not an HTTP answer: {status_line[:60]!r}")
        status = int(parts[1])
        length, chunked, close = 0, False, False
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            key = name.strip().lower()
            if key == b"content-length":
                length = int(value)
            elif key == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif key == b"connection":
                close = b"close" in value.lower()
        answer = await _chunks(reader) if chunked else await reader.readexactly(length)
        if close:
            self._drop(port)
        return status, answer

    def _drop(self, port: int) -> None:
        conn = self._conns.pop(port, None)
        if conn is not None:
            conn[1].close()

    async def close(self) -> None:
        for port in list(self._conns):
            self._drop(port)


async def _chunks(reader: asyncio.StreamReader) -> bytes:
    out = bytearray()
    while True:
        size = int((await reader.readline()).split(b";")[0].strip(), 16)
        if size == 0:
            while (await reader.readline()) not in (b"\r\n", b""):
                pass  # trailers
            return bytes(out)
        out += await reader.readexactly(size)
        await reader.readexactly(2)  # the chunk's CRLF
