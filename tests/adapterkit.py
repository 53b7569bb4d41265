"""What the adapter tests share: an in-process adapter on the test's database and broker, a
party's bearer header, a message placed straight into an inbox, the ingress records an upload
produced (read with a plain consumer, not the core), and whole apps served in process."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from starlette.applications import Starlette

from adapters.registry import build_adapter_app
from hub.app import make_runtime
from hub.domain import topics
from hub.domain.headers import H
from hub.infra import store
from hub.infra.runtime import Runtime
from hub.infra.store import recovery
from hub.settings import Settings
from tests.uvicornkit import uvicorn_serving

FIXTURES = Path(__file__).parent / "fixtures"
WMO305 = (FIXTURES / "iwmo-3.2" / "WMO305.xml").read_bytes()  # 65656055 → 0363

Client = Callable[[str], contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@contextlib.asynccontextmanager
async def _no_resources(runtime: Runtime) -> AsyncIterator[None]:
    yield  # the test opens and closes what the app needs


def adapters(registry: store.Pool, settings: Settings) -> Client:
    """Opens an adapter app ("ggk" / "vecozo") on the test database; its producer connects,
    its egress consumer does not run (deliveries are written with the store instead)."""

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


async def deliver(pool: store.Pool, party: str, node: str = "ggk") -> UUID:
    """A routed message already in `party`'s inbox at `node`."""
    message_id = uuid4()
    row = store.IngressRow(
        id=message_id,
        received_at=datetime.now(UTC),
        source_node="vecozo",
        submitted_by="65656055",
        namespace=None,
        bericht_code="418",
        afzender="65656055",
        ontvanger=party,
        identificatie=f"T{message_id.hex[:10]}",
        status="routed",
        payload=WMO305,
        ingress_partition=None,
        ingress_offset=None,
    )
    await store.record_messages(pool, [row])
    await store.add_deliveries(pool, node, [(message_id, party)])
    return message_id


async def read_topic(
    settings: Settings, topic: str, done: Callable[[list[Any]], bool], timeout: float
) -> list[Any]:
    """A topic's records from the beginning until `done(records)` says enough."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False, fetch_max_wait_ms=10
    )
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, p) for p in range(settings.partitions)])
        await consumer.seek_to_beginning()
        records: list[Any] = []
        async with asyncio.timeout(timeout):
            while not done(records):
                for batch in (await consumer.getmany(timeout_ms=200)).values():
                    records.extend(batch)
        return records
    finally:
        await consumer.stop()


async def ingress_records(settings: Settings, count: int, timeout: float = 30) -> list[Any]:
    """The first `count` records on the ingress topic."""
    ingress = topics.name(settings, topics.INGRESS)
    return await read_topic(settings, ingress, lambda found: len(found) >= count, timeout)


async def ingress_record(settings: Settings, message_id: UUID, timeout: float = 30) -> Any:
    """The ingress record of one upload."""

    def wanted(record: Any) -> bool:
        headers = {k: bytes(v).decode() for k, v in record.headers}
        return headers.get(H.MESSAGE_ID.value) == str(message_id)

    ingress = topics.name(settings, topics.INGRESS)
    found = await read_topic(settings, ingress, lambda rs: any(wanted(r) for r in rs), timeout)
    return next(r for r in found if wanted(r))


@contextlib.asynccontextmanager
async def served(app: Any) -> AsyncIterator[int]:
    """`app` served by uvicorn on a free loopback port (a real socket), stopped on exit."""
    async with uvicorn_serving(app) as port:
        yield port


async def recovered(pool: store.Pool, roles: Sequence[str], timeout: float = 60) -> None:
    """Until each recovery role (hub.infra.store.recovery) caught up with the broker's epoch,
    as a process's first broker check does soon after its start. Uploads before an
    adapter's first check may be produced again from its journal: the core ignores the
    copies, but a test of what one upload causes (its trace) must not race them."""
    deadline = time.monotonic() + timeout
    while True:
        epoch = await recovery.current(pool)
        lagging = [r for r in roles if epoch == 0 or await recovery.behind(pool, r, epoch)]
        if not lagging:
            return
        assert time.monotonic() < deadline, f"not recovered from epoch {epoch}: {lagging}"
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def _lifespan_client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub") as c,
    ):
        yield c


@contextlib.asynccontextmanager
async def serving(*apps: Starlette) -> AsyncIterator[list[httpx.AsyncClient]]:
    """Each app started (its lifespan) with an in-process client on it, as nested `async
    with` blocks would, but the starts side by side: a core or an adapter waits seconds for
    its consumer group to form, so one start after the other costs the sum.

    Each app runs in a task of its own, which both enters and leaves its lifespan (a lifespan
    ends in the task that began it). They stop one by one in reverse order, the core last, as
    nested blocks stop; a failed start or stop is raised here."""
    loop = asyncio.get_running_loop()
    stops = [asyncio.Event() for _ in apps]
    ready: list[asyncio.Future[httpx.AsyncClient]] = [loop.create_future() for _ in apps]

    async def serve(
        app: Starlette, client: asyncio.Future[httpx.AsyncClient], stop: asyncio.Event
    ) -> None:
        async with _lifespan_client(app) as c:
            client.set_result(c)
            await stop.wait()

    tasks = [
        asyncio.create_task(serve(*started)) for started in zip(apps, ready, stops, strict=True)
    ]
    try:
        clients = []
        for client, task in zip(ready, tasks, strict=True):
            either: list[asyncio.Future[Any]] = [client, task]
            await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
            if not client.done():
                task.result()  # raises why it stopped
                raise AssertionError("an app stopped before its lifespan started")
            clients.append(client.result())
        yield clients
    finally:
        failures: list[BaseException] = []
        for stop, task in reversed(list(zip(stops, tasks, strict=True))):
            stop.set()
            try:
                await task
            except BaseException as exc:  # stop the others first, then raise it
                failures.append(exc)
        if failures:
            raise failures[0]
