"""PostgreSQL and the broker restarted under a stream of uploads. No hub process exits or
spins: they wait, retry with backoff and carry on. The broker keeps everything in memory, so
its restart loses topics, records and offsets: the hub creates the topics again, the relay
re-sends the egress no inbox has, and the adapters re-produce the journaled uploads the
ledger lacks. Then every upload that got its 202 is carried exactly once."""

from __future__ import annotations

import asyncio
import re
import time

import pytest

from hub.infra.store import recovery
from tests.e2e.traffic import Traffic, journal_left, settle
from tests.faults._logs import LogMark
from tests.faults.conftest import Hub

pytestmark = pytest.mark.e2e

PERSONS = 150
# A loop's failure is logged once per retried batch or turn, each followed by a backoff of
# about a second: a hot loop would log thousands of lines.
MAX_FAILURE_LINES = 100
_RESENT = re.compile(r"(relay|journal-\w+): (\d+) message\(s\) sent again")


def _failure_lines(mark: LogMark) -> int:
    return sum(mark.count("failed").values())


async def test_postgres_restarted_mid_stream(healthy: Hub) -> None:
    hub = healthy
    mark = LogMark(hub.stack)
    starts = {name: p.starts for name, p in hub.stack.procs.items()}
    down: list[float] = []

    async def restart_postgres() -> None:
        began = time.monotonic()
        await asyncio.to_thread(hub.infra.restart_postgres, 3.0)
        down.append(time.monotonic() - began)

    traffic = Traffic(hub.stack, hub.tokens, hub.pool, persons=PERSONS)
    await traffic.run(restart_postgres, fault_after=PERSONS // 3)
    await settle(hub.pool, traffic)
    print(traffic.summary(), f"; PostgreSQL down {down[0]:.1f} s")
    assert await journal_left(hub.pool, traffic) == 0
    # Nobody exited or was restarted: pools reconnected by themselves.
    assert hub.stack.dead() == []
    assert {name: p.starts for name, p in hub.stack.procs.items()} == starts
    assert _failure_lines(mark) <= MAX_FAILURE_LINES, mark.count("failed")
    # Refused for now (503, retried), never failed (500).
    assert 500 not in traffic.stats.statuses, traffic.summary()


async def test_broker_restarted_with_work_in_flight(healthy: Hub) -> None:
    """The core and the VECOZO adapter are stalled (SIGSTOP) while the broker restarts, so
    ingress and egress records are waiting in it when it loses them: only the journal and
    the relay's recovery can bring them back."""
    hub = healthy
    mark = LogMark(hub.stack)
    starts = {name: p.starts for name, p in hub.stack.procs.items()}
    epoch = await recovery.current(hub.pool)

    async def restart_broker() -> None:
        for name in ("core", "vecozo"):
            hub.stack.pause(name)
        try:
            await asyncio.sleep(1.5)  # uploads to the GGK adapter pile up in ingress
            await asyncio.to_thread(hub.infra.restart_broker)
        finally:
            for name in ("core", "vecozo"):
                hub.stack.resume(name)

    traffic = Traffic(hub.stack, hub.tokens, hub.pool, persons=PERSONS)
    await traffic.run(restart_broker, fault_after=PERSONS // 3)
    await settle(hub.pool, traffic)
    print(traffic.summary())
    assert await journal_left(hub.pool, traffic) == 0
    assert hub.stack.dead() == []
    assert {name: p.starts for name, p in hub.stack.procs.items()} == starts
    # A new broker epoch, which every recovery role has caught up with.
    now = await recovery.current(hub.pool)
    assert now > epoch
    roles = {r["role"]: r["epoch"] for r in await hub.pool.fetch("SELECT * FROM broker_recovery")}
    assert roles == {"relay": now, "journal-ggk": now, "journal-vecozo": now}
    resent = {
        role: int(n) for name in ("relay", "ggk") for role, n in _RESENT.findall(mark.since(name))
    }
    print("sent again after the broker restart:", resent)
    assert resent.get("journal-ggk", 0) > 0, "no journaled upload was needed: nothing proven"
    assert _failure_lines(mark) <= MAX_FAILURE_LINES, mark.count("failed")
    # Refused for now (503, retried), never failed (500).
    assert 500 not in traffic.stats.statuses, traffic.summary()
