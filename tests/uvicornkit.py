"""An app served by a real uvicorn server on a loopback port, for tests that speak HTTP over
a socket (TLS, client certificates, the request-head bound, the node doors)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import uvicorn

from hub.infra.embedded import free_port


@contextlib.asynccontextmanager
async def uvicorn_serving(
    app: Any, *, within_s: float = 20.0, **options: Any
) -> AsyncIterator[int]:
    """`app` served on a free loopback port until the block ends; yields the port. `options`
    go to uvicorn.Config (lifespan off unless given). On exit a connection a client keeps
    alive is not waited out: after 3 s the server is forced down."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, access_log=False,
        **{"lifespan": "off", **options},
    )  # fmt: skip
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(within_s):
            while not server.started:
                assert not task.done(), "the server stopped before it served"
                await asyncio.sleep(0.02)
        yield port
    finally:
        server.should_exit = True
        done, _ = await asyncio.wait([task], timeout=3)
        if not done:
            server.force_exit = True
            await asyncio.wait_for(task, 20)
