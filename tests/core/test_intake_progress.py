"""The core's /readyz turns unready when intake commits nothing while ingress records wait."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette

from hub.app import core_app
from hub.infra import metrics
from hub.infra.health import probe_routes
from hub.infra.intake_progress import Progress, ingress_lag, intake_check
from hub.settings import Settings

TOPIC = "progress-test.ingress"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _lag(partition: int, value: float, topic: str = TOPIC) -> None:
    metrics.CONSUMER_LAG.labels(topic, str(partition)).set(value)


def test_stalled_only_when_records_wait_and_nothing_committed_for_the_stall_time() -> None:
    clock = Clock()
    progress = Progress(clock)
    clock.now += 200
    assert not progress.stalled(0, 120)  # idle: nothing waits
    assert progress.stalled(5, 120)  # records wait, nothing committed since the start
    progress.committed(10)
    assert not progress.stalled(5, 120)
    clock.now += 121
    assert progress.stalled(1, 120)


def test_ingress_lag_sums_the_topics_partitions_only() -> None:
    _lag(0, 3)
    _lag(1, 4)
    _lag(0, 100, "progress-test.egress.ggk")
    try:
        assert ingress_lag(TOPIC) == 7
    finally:
        for labels in ((TOPIC, "0"), (TOPIC, "1"), ("progress-test.egress.ggk", "0")):
            metrics.CONSUMER_LAG.remove(*labels)


async def test_readyz_says_not_ready_while_intake_is_stalled() -> None:
    clock = Clock()
    progress = Progress(clock)
    app = Starlette(routes=probe_routes("core", {"intake": intake_check(TOPIC, 60, progress)}))
    _lag(0, 12)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://hub"
        ) as client:
            assert (await client.get("/readyz")).status_code == 200
            clock.now += 61
            stalled = await client.get("/readyz")
            assert stalled.status_code == 503
            assert stalled.json()["checks"] == {"intake": False}
            progress.committed(1)
            assert (await client.get("/readyz")).status_code == 200
    finally:
        metrics.CONSUMER_LAG.remove(TOPIC, "0")


async def test_the_cores_readyz_checks_intake(settings: Settings, database_url: str) -> None:
    """The core app's /readyz carries the intake check (here without its lifespan: the
    database and broker checks fail, the intake one stands)."""
    assert settings.kafka_bootstrap is not None
    app = core_app(settings, settings.kafka_bootstrap, database_url)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://hub"
    ) as client:
        answer = await client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["checks"]["intake"] is True
