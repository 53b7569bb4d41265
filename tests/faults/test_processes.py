"""kill -9 of an adapter and of the outbox relay in a stream of uploads: every upload that got
its 202 is carried exactly once, retried uploads (same Idempotency-Key) are taken once, every
expected retour and WMO405 exists once, and the ledger is at rest."""

from __future__ import annotations

import asyncio

import pytest

from tests.e2e.traffic import Traffic, journal_left, settle
from tests.faults.conftest import Hub

pytestmark = pytest.mark.e2e

PERSONS = 150  # 135 trajectories (301 + 305 + WMO405) and 15 rejected 301s: 285 uploads


async def test_adapter_killed_mid_stream(healthy: Hub) -> None:
    hub = healthy

    async def kill_ggk() -> None:
        # The GGK adapter takes the gemeente's 301s and fills the gemeente's and the CAK's
        # inboxes; uploads in flight die with it and are retried by the gemeente's system.
        await asyncio.to_thread(hub.stack.kill, "ggk")
        await asyncio.sleep(0.5)
        await asyncio.to_thread(hub.stack.restart, "ggk")

    traffic = Traffic(hub.stack, hub.tokens, hub.pool, persons=PERSONS)
    await traffic.run(kill_ggk, fault_after=PERSONS // 3)
    await settle(hub.pool, traffic)
    print(traffic.summary())
    assert traffic.stats.retried > 0, "the kill hit no upload"
    assert await journal_left(hub.pool, traffic) == 0
    assert hub.stack.dead() == []


async def test_relay_killed_mid_stream(healthy: Hub) -> None:
    hub = healthy

    async def kill_relay() -> None:
        # Rows it claimed roll back with its connection; rows it had published but not yet
        # deleted are published again, and the inboxes ignore them.
        await asyncio.to_thread(hub.stack.kill, "relay")
        await asyncio.sleep(1.0)
        await asyncio.to_thread(hub.stack.restart, "relay")

    traffic = Traffic(hub.stack, hub.tokens, hub.pool, persons=PERSONS)
    await traffic.run(kill_relay, fault_after=PERSONS // 2)
    await settle(hub.pool, traffic)
    print(traffic.summary())
    assert hub.stack.procs["relay"].starts >= 2
    assert hub.stack.dead() == []
