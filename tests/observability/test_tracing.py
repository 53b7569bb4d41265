"""One message is one trace, from the upload through the core and the relay to the delivery
and the download, and no span carries personal data: the core and both adapters run in this
process on the real broker and PostgreSQL, with an in-memory span exporter."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from uuid import UUID

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.applications import Starlette

from hub import store, telemetry, topics
from hub.app import adapter_app, core_app
from hub.parties import load_parties, new_token
from hub.settings import Settings

GEMEENTE, PROVIDER = "0363", "65656055"
WMO301 = (Path(__file__).parents[1] / "fixtures" / "iwmo-3.2" / "WMO301.xml").read_bytes()
# What the fixture says about its client, and every BSN of the fixtures; none of it may reach
# a span (the database spans carry statements, never their parameters).
PERSONAL = (
    "174285917", "1948-03-14", "19480314", "14-03-1948", "Berg", "Kerkstraat",
    "239157461", "318402579", "451273801", "603841752", "732195081",
)  # fmt: skip


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    spans = InMemorySpanExporter()
    assert telemetry.configure("isd-hub-test", exporter=spans, synchronous=True)
    yield spans
    telemetry.shutdown()  # later tests run untraced again


@contextlib.asynccontextmanager
async def _serving(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub") as c,
    ):
        yield c


async def _wait_for(pool: store.Pool, sql: str, want: int, *args: object) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if await pool.fetchval(sql, *args) >= want:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {sql}")


def _span_text(span: ReadableSpan) -> str:
    """Everything a span exports: name, attributes, events, links, resource."""
    return json.dumps(
        {
            "name": span.name,
            "attributes": dict(span.attributes or {}),
            "events": [(e.name, dict(e.attributes or {})) for e in span.events],
            "links": [dict(link.attributes or {}) for link in span.links],
            "resource": dict(span.resource.attributes),
            "status": span.status.description,
        },
        default=list,  # sequences; bytes would fail here, as in the console exporter
    )


def _plain(value: object) -> bool:
    """An attribute value OpenTelemetry allows: str, bool, int, float, or a sequence of them."""
    if isinstance(value, tuple | list):
        return all(_plain(v) for v in value)
    return isinstance(value, str | bool | int | float)


async def test_one_trace_per_message_and_no_personal_data_in_spans(
    exporter: InMemorySpanExporter, settings: Settings, pool: store.Pool, database_url: str
) -> None:
    assert settings.kafka_bootstrap is not None
    bootstrap = settings.kafka_bootstrap
    await topics.ensure_topics(settings, bootstrap)
    await store.upsert_parties(pool, list(load_parties(settings.parties_file)))
    tokens = {code: new_token() for code in (GEMEENTE, PROVIDER)}
    for code, token in tokens.items():
        await store.add_token(pool, code, token)

    core = core_app(settings, bootstrap, database_url)
    ggk = adapter_app("ggk", settings, bootstrap, database_url)
    vecozo = adapter_app("vecozo", settings, bootstrap, database_url)
    async with _serving(core), _serving(ggk) as g, _serving(vecozo) as v:
        gemeente = {"Authorization": f"Bearer {tokens[GEMEENTE]}"}
        provider = {"Authorization": f"Bearer {tokens[PROVIDER]}"}
        first = await g.post("/v1/messages", content=WMO301, headers=gemeente)
        assert first.status_code == 202, first.text
        # The same Identificatie again: rejected by TR056 and answered with a 9056 retour.
        second = await g.post("/v1/messages", content=WMO301, headers=gemeente)
        assert second.status_code == 202, second.text
        refused = await g.post("/v1/messages", content=b"<not-xml", headers=gemeente)
        assert refused.status_code == 400
        accepted_id, rejected_id = UUID(first.json()["id"]), UUID(second.json()["id"])
        await _wait_for(pool, "SELECT count(*) FROM delivery", 2)
        download = await v.get(f"/v1/inbox/{accepted_id}", headers=provider)
        assert download.status_code == 200
        assert b"174285917" in download.content  # the payload has it; the spans must not

    spans = exporter.get_finished_spans()
    assert spans
    by_trace: dict[int, list[ReadableSpan]] = {}
    for s in spans:
        assert s.context is not None
        by_trace.setdefault(s.context.trace_id, []).append(s)

    # The accepted message: one trace, whose id is the message id, from upload to download.
    chain = by_trace[accepted_id.int]
    names = {s.name for s in chain}
    ingress, egress = topics.name(settings, topics.INGRESS), f"{settings.topic_prefix}.egress."
    assert {"upload", f"{ingress} publish", "core process", "validate"} <= names, names
    assert {"history rules", "ledger and outbox write", "deliver", "download"} <= names, names
    assert any(n.startswith(egress) and n.endswith(" publish") for n in names), names
    core_span = next(s for s in chain if s.name == "core process")
    attrs = dict(core_span.attributes or {})
    assert attrs[telemetry.A_MESSAGE_TYPE] == "WMO301"
    assert attrs[telemetry.A_SENDER] == GEMEENTE
    assert attrs[telemetry.A_RECEIVER] == PROVIDER
    assert attrs[telemetry.A_VERDICT] == "accepted"
    roots = [s for s in chain if s.parent is None]
    assert [s.name for s in roots] == ["upload"]
    span_ids = {s.context.span_id for s in chain if s.context is not None}
    # Every span but the root hangs on a span of the same trace (the download on the upload).
    assert all(s.parent.span_id in span_ids for s in chain if s.parent is not None)

    # The rejected one: its verdict and retourcode, and the hub's retour delivered in its trace.
    rejected = by_trace[rejected_id.int]
    core_span = next(s for s in rejected if s.name == "core process")
    attrs = dict(core_span.attributes or {})
    assert attrs[telemetry.A_VERDICT] == "rejected"
    assert "9056" in tuple(attrs[telemetry.A_RETOURCODES])  # type: ignore[arg-type]
    assert any(s.name == "deliver" for s in rejected)

    # Database queries are child spans (asyncpg instrumentation): the download's among them.
    queries = [s for s in spans if (s.attributes or {}).get("db.system") == "postgresql"]
    assert queries
    assert all(s.parent is not None for s in queries)  # never a trace of their own
    download = next(s for s in chain if s.name == "download")
    assert download.context is not None
    assert any(
        s.parent is not None and s.parent.span_id == download.context.span_id for s in queries
    ), "no query span under the download"
    assert all("db.statement.parameters" not in (s.attributes or {}) for s in queries)

    # No span, attribute, event, link or resource quotes the client; every attribute is of a
    # type the exporters can write (the console exporter's JSON included).
    for s in spans:
        text = _span_text(s)
        for value in PERSONAL:
            assert value not in text, f"{value!r} in span {s.name}: {text}"
        assert all(_plain(v) for v in (s.attributes or {}).values()), s.attributes
        s.to_json()  # what OTEL_TRACES_EXPORTER=console writes
