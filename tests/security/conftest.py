"""Shared fixtures of the security tests: the demo parties, tokens and in-process adapters on the
real PostgreSQL and broker (as tests/test_auth.py runs them)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from hub.domain.parties import DEMO_FILE, load_parties, new_token
from hub.infra import store
from hub.settings import Settings
from tests.adapterkit import Client, adapters, bearer

FIXTURES = Path(__file__).parents[1] / "fixtures"

__all__ = ["FIXTURES", "Client", "Issue", "bearer"]

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


@pytest.fixture
def adapter(registry: store.Pool, settings: Settings) -> Client:
    """An adapter app on the test database with a connected producer; no egress consumer."""
    return adapters(registry, settings)
