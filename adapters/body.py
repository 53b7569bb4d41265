"""Reading an upload's body: capped at the nodes' limit, bounded in time, and a client that goes
away mid-body told apart from a failure."""

from __future__ import annotations

import asyncio
import logging
from typing import Final

from fastapi import Request, Response
from starlette.requests import ClientDisconnect

from adapters.refusal import refuse

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES: Final = 25 * 1024 * 1024  # the nodes' limit (IB003 / IB012)


async def read_capped(request: Request, timeout_s: float) -> bytes:
    """Read the body, refusing as soon as it passes the node limit (no 25 MB+ in memory) or
    when no part of it arrives for `timeout_s` (408; the connection is closed after it)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES:
        refuse(413, "too_large", "too_large", f"body of {declared} bytes exceeds 25 MB")
    chunks: list[bytes] = []
    size = 0
    stream = request.stream()
    while True:
        try:
            async with asyncio.timeout(timeout_s):
                chunk = await anext(stream)
        except StopAsyncIteration:
            break
        except TimeoutError:
            log.info("%s %s: no body for %.0f s after %d bytes; answered 408",
                     request.method, request.url.path, timeout_s, size)  # fmt: skip
            refuse(408, "timeout", "body_timeout", f"no part of the body arrived for "
                   f"{timeout_s:g} s (after {size} bytes); send the whole message at once",
                   headers={"Connection": "close"})  # fmt: skip
        size += len(chunk)
        if size > MAX_UPLOAD_BYTES:
            refuse(413, "too_large", "too_large", "body exceeds 25 MB")
        chunks.append(chunk)
    return b"".join(chunks)


async def client_gone(request: Request, exc: Exception) -> Response:
    """A client that disconnects before its request is read is nobody's failure: one line,
    no traceback. Nothing was taken, so its retry (same Idempotency-Key) starts afresh."""
    log.info("%s %s: the client went away before its request was read; nothing taken",
             request.method, request.url.path)  # fmt: skip
    # Never sent (the connection is gone); 499 is what proxies record for it.
    return Response(status_code=499)


__all__ = ["MAX_UPLOAD_BYTES", "ClientDisconnect", "client_gone", "read_capped"]
