"""Fixtures of the end-to-end tests: the hub's environment on the session's broker and a
fresh database (see tests/e2e/stack.py for the processes)."""

from __future__ import annotations

import pytest

from hub.infra import store
from hub.settings import Settings
from tests.e2e.stack import hub_env as environment
from tests.e2e.stack import prepare


@pytest.fixture
async def hub_env(
    settings: Settings, pool: store.Pool, database_url: str
) -> tuple[dict[str, str], dict[str, str]]:
    """(environment of the hub processes, tokens of the gemeente and the provider)."""
    tokens = await prepare(settings, pool)
    return environment(settings, database_url), tokens
