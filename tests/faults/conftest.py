"""The fault suite's hub: its own broker and PostgreSQL (the tests restart them), core, outbox
relay (its own process, so it can be killed alone) and both adapters, shared by every test of
the package; each test uploads its own trajectories and checks them."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from hub.infra import store
from hub.settings import Settings
from tests.e2e.stack import (
    GEMEENTE,
    PROVIDER,
    SESSION_TIMEOUT_MS,
    SPLIT,
    Infra,
    Stack,
    create_database,
    hub_env,
    hub_settings,
    prepare,
    running,
    workdir,
)

SECOND_PROVIDER = "41125003"

# Short intervals: the suite waits on the hub's own loops.
FAULT_SETTINGS = {
    "HUB_CORE_RELAY": "false",
    "HUB_BROKER_CHECK_S": "1",
    "HUB_JOURNAL_TRIM_S": "1",
    "HUB_LOG_LEVEL": "WARNING",
    "HUB_CONSUMER_SESSION_TIMEOUT_MS": str(SESSION_TIMEOUT_MS),
}


@dataclass
class Hub:
    infra: Infra
    settings: Settings
    pool: store.Pool
    stack: Stack
    tokens: dict[str, str]


@pytest.fixture(scope="package")
async def hub() -> AsyncIterator[Hub]:
    directory = workdir("isdhub-faults-")
    infra = await asyncio.to_thread(Infra.start, directory)
    try:
        url = await create_database(infra.dsn, "faults")
        pool = await store.create_pool(url, max_size=4)
        try:
            await store.migrate(pool)
            settings = hub_settings(infra.bootstrap, directory)
            tokens = await prepare(settings, pool, (GEMEENTE, PROVIDER, SECOND_PROVIDER))
            env = hub_env(settings, url, **FAULT_SETTINGS)
            with running(env, SPLIT, directory / "logs") as stack:
                yield Hub(infra, settings, pool, stack, tokens)
        finally:
            await pool.close()
    finally:
        await asyncio.to_thread(infra.stop)
        if os.environ.get("ISDHUB_KEEP_LOGS"):
            print(f"fault suite logs kept in {directory / 'logs'}")
        else:
            shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
async def healthy(hub: Hub) -> Hub:
    """Every process up before a test (one an earlier, failed, test left dead restarts)."""
    for name in hub.stack.dead():
        await asyncio.to_thread(hub.stack.restart, name)
    return hub
