"""The adapter refuses early what a freeze holds: 423 Locked with phase, since, until and a
Retry-After while the freeze lasts; 409 for an old-release message after the cutover; a
new-release message before the cutover is accepted as parked."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from types import MappingProxyType

import httpx

from adapters.registry import build_adapter_app
from hub.app import make_runtime
from hub.domain import freeze
from hub.domain.freeze import ZONE, Calendar
from hub.domain.messages import Standard
from hub.domain.parties import DEMO_FILE, load_parties, new_token
from hub.infra import store
from hub.infra.kafka import topic_admin
from hub.infra.runtime import Runtime
from hub.settings import Settings

WMO305 = (Path(__file__).parents[1] / "fixtures" / "iwmo-3.2" / "WMO305.xml").read_bytes()
GO_LIVE = datetime(2027, 4, 5, 13, 0, tzinfo=ZONE)


@contextlib.asynccontextmanager
async def _no_resources(runtime: Runtime) -> AsyncIterator[None]:
    yield


@contextlib.asynccontextmanager
async def _vecozo(
    settings: Settings, pool: store.Pool, old: str, new: str, now: datetime
) -> AsyncIterator[httpx.AsyncClient]:
    assert settings.kafka_bootstrap is not None
    runtime = make_runtime(settings, settings.kafka_bootstrap, "postgresql://unused", "t-freeze")
    runtime.freeze = Calendar(
        MappingProxyType({Standard.IWMO: freeze.plan(Standard.IWMO, GO_LIVE, old, new)})
    )
    runtime.clock = lambda: now
    app = build_adapter_app("vecozo", runtime, _no_resources)
    runtime.attach_pool(pool)
    await runtime.broker.connect()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://adapter") as client:
            yield client
    finally:
        await runtime.broker.stop()
        runtime.attach_pool(None)


async def _token(pool: store.Pool) -> dict[str, str]:
    await store.upsert_parties(pool, list(load_parties(DEMO_FILE)))
    value = new_token()
    await store.add_token(pool, "65656055", value)
    return {"Authorization": f"Bearer {value}"}


async def test_a_frozen_upload_gets_423_with_retry_after(
    settings: Settings, pool: store.Pool
) -> None:
    auth = await _token(pool)
    now = datetime(2027, 3, 31, 17, 30, tzinfo=ZONE)  # heen freeze
    async with _vecozo(settings, pool, "3.2", "3.3", now) as vecozo:
        answer = await vecozo.post("/v1/messages", content=WMO305, headers=auth)
    assert answer.status_code == 423, answer.text
    assert answer.headers["Retry-After"] == str(int((GO_LIVE - now).total_seconds()))
    body = answer.json()["detail"]
    assert body["error"] == "frozen"
    assert body["phase"] == "heen-freeze"
    assert datetime.fromisoformat(body["since"]) == datetime(2027, 3, 31, 17, 0, tzinfo=ZONE)
    assert datetime.fromisoformat(body["until"]) == GO_LIVE
    assert "WMO305" in body["detail"]


async def test_an_old_release_upload_after_cutover_gets_409(
    settings: Settings, pool: store.Pool
) -> None:
    auth = await _token(pool)
    async with _vecozo(settings, pool, "3.2", "3.3", GO_LIVE + timedelta(days=1)) as vecozo:
        answer = await vecozo.post("/v1/messages", content=WMO305, headers=auth)
    assert answer.status_code == 409, answer.text
    body = answer.json()["detail"]
    assert body["error"] == "release_retired"
    assert "iwmo 3.2" in body["detail"]
    assert "2027-04-05 13:00" in body["detail"]
    assert "Retry-After" not in answer.headers
    assert "until" not in body


async def test_a_new_release_upload_before_cutover_is_accepted_as_parked(
    settings: Settings, pool: store.Pool
) -> None:
    assert settings.kafka_bootstrap is not None
    await topic_admin.ensure_topics(settings, settings.kafka_bootstrap)
    auth = await _token(pool)
    now = datetime(2027, 4, 2, 10, 0, tzinfo=ZONE)  # transition
    async with _vecozo(settings, pool, "3.1", "3.2", now) as vecozo:
        answer = await vecozo.post("/v1/messages", content=WMO305, headers=auth)
    assert answer.status_code == 202, answer.text
    assert answer.json()["status"] == "parked"
