"""Push delivery against a real HTTPS receiver (tests/push/receiver.py) on the real PostgreSQL:
signed and delivered, retried while the receiver is down, given up with its event, and bad
endpoints (slow, redirecting, garbage) that never hold up another party's pushes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from uuid import UUID

import pytest

from adapters.context import AdapterContext
from adapters.push import PushLoop
from hub.domain import push
from hub.domain.parties import DEMO_FILE, load_parties
from hub.infra import pushmetrics, store
from hub.infra.embedded import free_port
from hub.infra.store import push as push_store
from hub.settings import Settings
from tests.adapterkit import WMO305, deliver

from .receiver import Receiver, make_certificates

SECRET = b"a-receivers-shared-secret-0123456789"
A, B, C, D = "0363", "0344", "0599", "0518"  # gemeenten on the ggk node


@dataclass
class _Runtime:
    pool: store.Pool
    woken: int = 0

    def wake_relay(self) -> None:
        self.woken += 1


@dataclass
class _Context:
    """What PushLoop uses of an AdapterContext (no broker needed: events go to the outbox)."""

    settings: Settings
    runtime: _Runtime
    node: str = "ggk"
    events_topic: str = "test.events"


@pytest.fixture
async def receiver(tmp_path: Path) -> AsyncIterator[Receiver]:
    _, cert, key = make_certificates(tmp_path)
    server = Receiver(cert, key, free_port())
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def parties(pool: store.Pool) -> store.Pool:
    await store.upsert_parties(pool, list(load_parties(DEMO_FILE)))
    return pool


def _settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "push_interval_s": 0.05,
        "push_timeout_s": 0.5,
        "push_retry_first_s": 0.1,
        "push_retry_max_s": 0.2,
        "push_give_up_s": 60.0,
        "push_concurrency": 4,
        "push_ca_file": tmp_path / "ca.pem",
    }
    return Settings(**{**values, **overrides})


async def _register(pool: store.Pool, settings: Settings, party: str, url: str) -> None:
    master = settings.person_key_secret.get_secret_value()
    await push_store.set_endpoint(pool, party, url, push_store.seal(master, party, SECRET))


@contextlib.asynccontextmanager
async def _pushing(pool: store.Pool, settings: Settings) -> AsyncIterator[PushLoop]:
    loop = PushLoop(cast(AdapterContext, _Context(settings, _Runtime(pool))))
    task = asyncio.create_task(loop.run())
    try:
        yield loop
    finally:
        loop.stop()
        await asyncio.wait_for(task, 10)


async def _until(check: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "not reached in time"
        await asyncio.sleep(0.02)


async def _state(pool: store.Pool, message_id: UUID, party: str) -> dict[str, Any]:
    found = await push_store.state(pool, message_id, party)
    assert found is not None, "no push row: the trigger did not queue it"
    return found


def _is(pool: store.Pool, message_id: UUID, party: str, state: str) -> Callable[[], Any]:
    async def check() -> bool:
        return bool((await _state(pool, message_id, party))["state"] == state)

    return check


async def _events(pool: store.Pool, type_: str) -> list[dict[str, Any]]:
    rows = await pool.fetch("SELECT payload FROM outbox WHERE topic = 'test.events'")
    found = [json.loads(bytes(r["payload"])) for r in rows]
    return [e for e in found if e["type"] == type_]


async def test_a_push_is_signed_names_its_message_and_leaves_it_in_the_pull_inbox(
    parties: store.Pool, receiver: Receiver, tmp_path: Path
) -> None:
    pool, settings = parties, _settings(tmp_path)
    await _register(pool, settings, A, receiver.url("/ok"))
    before = pushmetrics.PUSHES.labels("ggk", "delivered")._value.get()
    message_id = await deliver(pool, A)
    not_pushed = await deliver(pool, "65656055", node="vecozo")  # no endpoint: no push row
    async with _pushing(pool, settings):
        await _until(_is(pool, message_id, A, "delivered"))
    [got] = receiver.to("/ok")
    assert got.body == WMO305
    assert got.headers["x-hub-message-id"] == str(message_id)
    assert got.headers["content-type"] == "application/xml"
    assert push.verify(SECRET, got.body, got.headers["x-hub-signature"], int(time.time()))
    assert not push.verify(b"another-secret-0123456789", got.body, got.headers["x-hub-signature"],
                           int(time.time()))  # fmt: skip
    assert await push_store.state(pool, not_pushed, "65656055") is None
    [item] = await store.inbox(pool, "ggk", A)  # downloaded, not acknowledged: still listed
    assert item.message_id == message_id
    assert item.downloaded_at is not None
    [downloaded] = await _events(pool, "message.downloaded")
    assert downloaded["message_id"] == str(message_id)
    assert downloaded["data"]["by"] == A
    assert pushmetrics.PUSHES.labels("ggk", "delivered")._value.get() == before + 1


async def test_a_receiver_down_for_a_while_gets_the_push_once_it_is_back(
    parties: store.Pool, receiver: Receiver, tmp_path: Path
) -> None:
    pool, settings = parties, _settings(tmp_path)
    await receiver.stop()
    await _register(pool, settings, A, receiver.url("/ok"))
    message_id = await deliver(pool, A)
    async with _pushing(pool, settings):

        async def retried() -> bool:
            row = await _state(pool, message_id, A)
            return bool(row["attempts"] >= 3)

        await _until(retried)
        await asyncio.sleep(0.1)  # the gauge is refreshed once an interval
        assert pushmetrics.PUSH_PENDING.labels("ggk")._value.get() == 1
        assert pushmetrics.PUSH_OLDEST_PENDING.labels("ggk")._value.get() > 0
        row = await _state(pool, message_id, A)
        assert row["state"] == "pending"
        assert row["last_error"] == "connect"
        await receiver.start()
        await _until(_is(pool, message_id, A, "delivered"))
    assert [r.headers["x-hub-message-id"] for r in receiver.to("/ok")] == [str(message_id)]


async def test_it_gives_up_after_the_give_up_time_with_an_event_and_keeps_the_inbox_item(
    parties: store.Pool, receiver: Receiver, tmp_path: Path
) -> None:
    pool, settings = parties, _settings(tmp_path, push_give_up_s=0.8)
    await _register(pool, settings, A, receiver.url("/fail"))
    await _register(pool, settings, B, receiver.url("/gone"))
    failing, gone = await deliver(pool, A), await deliver(pool, B)
    async with _pushing(pool, settings):
        await _until(_is(pool, gone, B, "failed"))
        assert len(receiver.to("/gone")) == 1  # 410: no second attempt
        await _until(_is(pool, failing, A, "failed"))
    row = await _state(pool, failing, A)
    assert row["attempts"] >= 3
    assert row["last_error"] == "server-error 503"
    by_message = {e["message_id"]: e["data"] for e in await _events(pool, "delivery.push-failed")}
    assert by_message[str(failing)]["reason"] == "server-error"
    assert by_message[str(failing)]["status"] == 503
    assert by_message[str(gone)]["reason"] == "gone"
    assert by_message[str(failing)]["attempts"] == row["attempts"]
    [item] = await store.inbox(pool, "ggk", A)
    assert item.message_id == failing
    assert item.downloaded_at is None


async def test_slow_redirecting_and_garbage_endpoints_are_failed_attempts_and_block_no_one(
    parties: store.Pool, receiver: Receiver, tmp_path: Path
) -> None:
    pool, settings = parties, _settings(tmp_path, push_concurrency=2, push_timeout_s=3.0)
    await _register(pool, settings, A, receiver.url("/slow"))
    await _register(pool, settings, B, receiver.url("/redirect"))
    await _register(pool, settings, C, receiver.url("/garbage"))
    await _register(pool, settings, D, receiver.url("/ok"))
    owners = (A, A, A, B, B, C, C)
    stuck = [await deliver(pool, p) for p in owners]
    good = [await deliver(pool, D) for _ in range(6)]
    started = time.monotonic()
    async with _pushing(pool, settings):
        for message_id in good:
            await _until(_is(pool, message_id, D, "delivered"))
        took = time.monotonic() - started

        async def all_tried() -> bool:
            # A's first push timed out (its next ones wait their turn: one per party)
            rows = [await _state(pool, m, p) for m, p in zip(stuck, owners, strict=True)]
            return all(r["last_error"] for r in rows[:1] + rows[3:])

        await _until(all_tried)
    # The slow endpoint holds one of the two slots for 3 s per attempt; had its three pushes
    # taken both slots, the good party would have waited that long.
    assert took < 2.5, f"the good party's six pushes took {took:.1f} s"
    firsts = {"A": (stuck[0], A), "B": (stuck[3], B), "C": (stuck[5], C)}
    states = {name: await _state(pool, m, code) for name, (m, code) in firsts.items()}
    assert states["A"]["last_error"] == "timeout"
    assert states["A"]["state"] == "pending"
    assert states["B"]["last_error"] == "redirect 302"
    assert states["C"]["last_error"] == "protocol"
    assert len(receiver.to("/ok")) == len(good)  # the redirect was never followed to /ok


async def test_two_replicas_push_each_message_once(
    parties: store.Pool, receiver: Receiver, tmp_path: Path
) -> None:
    pool, settings = parties, _settings(tmp_path)
    for party in (A, B, C, D):
        await _register(pool, settings, party, receiver.url("/ok"))
    sent = [(await deliver(pool, p), p) for p in (A, B, C, D) * 5]
    async with _pushing(pool, settings), _pushing(pool, settings):
        for message_id, party in sent:
            await _until(_is(pool, message_id, party, "delivered"))
    ids = sorted(r.headers["x-hub-message-id"] for r in receiver.to("/ok"))
    assert ids == sorted(str(m) for m, _ in sent)


async def test_an_untrusted_certificate_is_a_tls_failure_and_a_removed_endpoint_stops(
    parties: store.Pool, receiver: Receiver, tmp_path: Path
) -> None:
    pool = parties
    settings = _settings(tmp_path, push_ca_file=None)  # the system CAs do not know the test CA
    await _register(pool, settings, A, receiver.url("/ok"))
    message_id = await deliver(pool, A)
    async with _pushing(pool, settings):

        async def tried() -> bool:
            return (await _state(pool, message_id, A))["last_error"] is not None

        await _until(tried)
        assert (await _state(pool, message_id, A))["last_error"] == "tls"
        assert await push_store.remove_endpoint(pool, A)
    assert await push_store.state(pool, message_id, A) is None
    assert receiver.to("/ok") == []
    [item] = await store.inbox(pool, "ggk", A)
    assert item.message_id == message_id


async def test_a_secret_that_cannot_be_unsealed_is_a_failed_attempt_said_once_then_given_up(
    parties: store.Pool, receiver: Receiver, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Sealed under another HUB_PERSON_KEY_SECRET: retried without a stack trace per lease,
    logged once for the push, given up at HUB_PUSH_GIVE_UP_S with its event."""
    pool, settings = parties, _settings(tmp_path, push_give_up_s=0.8)
    other = _settings(tmp_path, person_key_secret="the-key-the-secret-was-sealed-with-0123")
    await _register(pool, other, A, receiver.url("/ok"))
    before = pushmetrics.PUSH_ATTEMPTS.labels("ggk", "secret")._value.get()
    message_id = await deliver(pool, A)
    with caplog.at_level("INFO", logger="adapters.push"):
        async with _pushing(pool, settings):
            await _until(_is(pool, message_id, A, "failed"))
    row = await _state(pool, message_id, A)
    assert row["last_error"] == "secret"
    assert row["attempts"] >= 2
    said = [r for r in caplog.records if "cannot be unsealed" in r.getMessage()]
    assert len(said) == 1
    assert said[0].exc_info is None
    assert str(message_id) in said[0].getMessage()
    assert not [r for r in caplog.records if r.exc_info is not None]
    attempts = pushmetrics.PUSH_ATTEMPTS.labels("ggk", "secret")._value.get()
    assert attempts == before + row["attempts"]
    [event] = await _events(pool, "delivery.push-failed")
    assert event["data"]["reason"] == "secret"
    assert receiver.to("/ok") == []
    [item] = await store.inbox(pool, "ggk", A)
    assert item.message_id == message_id
