"""The freeze gauges the core samples from its calendar and the ledger: each standard's phase
(open without a freeze), parked messages per kind, and, while a freeze is under way, the old
release's routed messages that are not in an inbox yet or not fetched yet."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from uuid import uuid4

import pytest
from prometheus_client import REGISTRY

from handlers import intake
from hub.domain import freeze
from hub.domain.decide import Incoming
from hub.domain.freeze import ZONE, Calendar, Phase
from hub.domain.messages import Standard
from hub.infra import freeze_gauges, metrics, store
from hub.infra.runtime import Runtime

FIXTURES = Path(__file__).parents[1] / "fixtures" / "iwmo-3.2"
GO_LIVE = datetime(2027, 4, 5, 13, 0, tzinfo=ZONE)
OPEN = datetime(2027, 3, 1, 9, 0, tzinfo=ZONE)
HEEN_FROZEN = datetime(2027, 3, 31, 17, 30, tzinfo=ZONE)


@pytest.fixture
def runtime(runtime: Runtime) -> Runtime:
    """The shared core runtime, under an iWmo freeze calendar."""
    runtime.freeze = Calendar(
        MappingProxyType({Standard.IWMO: freeze.plan(Standard.IWMO, GO_LIVE, "3.2", "3.3")})
    )
    return runtime


def _item(name: str, party: str, node: str, at: datetime) -> Incoming:
    payload = (FIXTURES / f"{name}.xml").read_bytes()
    return Incoming(uuid4(), node, party, at, payload, 0, 1, "t.ingress")


def _value(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


async def _sample(runtime: Runtime, now: datetime) -> None:
    runtime.clock = lambda: now
    await freeze_gauges.sample(runtime)


async def test_phase_parked_and_unsent_gauges(runtime: Runtime) -> None:
    ctx = intake.build_context(runtime)
    routed = _item("WMO301", "0363", "ggk", OPEN)
    frozen = _item("WMO305", "65656055", "vecozo", HEEN_FROZEN)
    await intake.process(runtime, ctx, [routed])
    await intake.process(runtime, ctx, [frozen])

    await _sample(runtime, HEEN_FROZEN)
    phase = "isdhub_freeze_phase"
    assert _value(phase, standard="iwmo", phase="heen-freeze") == 1
    assert {p.value for p in Phase if _value(phase, standard="iwmo", phase=p.value)} == {
        "heen-freeze"
    }
    assert _value(phase, standard="ijw", phase="open") == 1  # no freeze: open
    assert _value("isdhub_parked_messages", standard="iwmo", kind="old-release") == 1
    assert _value("isdhub_parked_messages", standard="iwmo", kind="new-release") == 0
    assert _value("isdhub_parked_messages", standard="ieb", kind="old-release") == 0
    unsent = "isdhub_freeze_unsent_messages"
    # The 301 routed before the freeze is in nobody's inbox yet ...
    assert _value(unsent, standard="iwmo", state="undelivered") == 1
    assert _value(unsent, standard="iwmo", state="not-downloaded") == 0
    # ... then it is, but not fetched ...
    async with runtime.pool.acquire() as conn, conn.transaction():
        await store.deliver(conn, "vecozo", [(routed.id, "65656055")])
    await _sample(runtime, HEEN_FROZEN)
    assert _value(unsent, standard="iwmo", state="undelivered") == 0
    assert _value(unsent, standard="iwmo", state="not-downloaded") == 1
    # ... and once fetched nothing is left.
    assert await store.download(runtime.pool, "vecozo", "65656055", routed.id) is not None
    await _sample(runtime, HEEN_FROZEN)
    assert _value(unsent, standard="iwmo", state="not-downloaded") == 0

    # Outside a freeze under way the old release's leftovers are not counted.
    await runtime.pool.execute("UPDATE delivery SET downloaded_at = NULL")
    await _sample(runtime, HEEN_FROZEN)
    assert _value(unsent, standard="iwmo", state="not-downloaded") == 1
    await _sample(runtime, OPEN)
    assert _value(phase, standard="iwmo", phase="open") == 1
    assert _value(unsent, standard="iwmo", state="not-downloaded") == 0
    await _sample(runtime, GO_LIVE + timedelta(hours=1))
    assert _value(phase, standard="iwmo", phase="live") == 1


def test_set_freeze_fills_every_standard_with_bounded_labels() -> None:
    metrics.set_freeze({}, {}, {})
    samples = [s for m in metrics.FREEZE_PHASE.collect() for s in m.samples]
    assert {(s.labels["standard"], s.labels["phase"]) for s in samples if s.value == 1} == {
        (std.value, "open") for std in Standard
    }
    labels = {
        (s.labels["standard"], s.labels["kind"])
        for m in metrics.PARKED.collect()
        for s in m.samples
    }
    assert labels == {(std.value, k) for std in Standard for k in metrics.PARKED_KINDS}
