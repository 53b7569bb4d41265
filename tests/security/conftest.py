"""Shared fixtures of the security tests: the demo parties, tokens and in-process adapters on the
real PostgreSQL and broker (as tests/test_auth.py runs them)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from adapters.registry import build_adapter_app
from hub import store
from hub.app import make_runtime
from hub.parties import DEMO_FILE, load_parties, new_token
from hub.runtime import Runtime
from hub.settings import Settings

FIXTURES = Path(__file__).parents[1] / "fixtures"

Client = Callable[[str], contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]
Issue = Callable[[str], Awaitable[str]]


@pytest.fixture
async def registry(pool: store.Pool) -> store.Pool:
    await store.upsert_parties(pool, load_parties(DEMO_FILE))
    return pool


@pytest.fixture
def token(registry: store.Pool) -> Issue:
    async def issue(code: str) -> str:
        value = new_token()
        await store.add_token(registry, code, value)
        return value

    return issue


@contextlib.asynccontextmanager
async def _no_resources(runtime: Runtime) -> AsyncIterator[None]:
    yield


@pytest.fixture
def adapter(registry: store.Pool, settings: Settings) -> Client:
    """An adapter app on the test database with a connected producer; no egress consumer."""

    @contextlib.asynccontextmanager
    async def open_client(name: str) -> AsyncIterator[httpx.AsyncClient]:
        bootstrap = settings.kafka_bootstrap
        assert bootstrap is not None
        runtime = make_runtime(settings, bootstrap, "postgresql://unused", f"test-{name}")
        app = build_adapter_app(name, runtime, _no_resources)
        runtime.attach_pool(registry)
        await runtime.broker.connect()
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(
                transport=transport, base_url="http://adapter", timeout=60
            ) as client:
                yield client
        finally:
            await runtime.broker.stop()
            runtime.attach_pool(None)

    return open_client


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}
