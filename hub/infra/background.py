"""A process's background loops (relay, watches, samplers): started with its lifespan,
stopped and awaited, in reverse order, when it ends."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Protocol


class Loop(Protocol):
    """What every background loop of the hub offers: run until stopped."""

    async def run(self) -> None: ...

    def stop(self) -> None: ...


@contextlib.asynccontextmanager
async def running(loops: Mapping[str, Loop]) -> AsyncIterator[None]:
    """Run every loop as a named task for the duration of the block."""
    tasks = [asyncio.create_task(loop.run(), name=name) for name, loop in loops.items()]
    try:
        yield
    finally:
        for loop in reversed(list(loops.values())):
            loop.stop()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
