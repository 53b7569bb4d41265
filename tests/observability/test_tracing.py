"""One message is one trace, from the upload through the core and the relay to the delivery
and the download, and no span carries personal data: the core and both adapters run in this
process on the real broker and PostgreSQL, with an in-memory span exporter. The hub's own
messaging spans are named and attributed as the current messaging conventions have it."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from adapters import delivery as runner
from adapters import journal
from handlers.observe import BatchObservation
from hub.app import adapter_app, core_app
from hub.domain import records, topics
from hub.domain.decide import Incoming
from hub.domain.headers import H
from hub.domain.parties import load_parties, new_token
from hub.infra import outbox, store, telemetry
from hub.infra.kafka import topic_admin
from hub.settings import Settings
from tests.adapterkit import recovered, serving

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


@pytest.fixture
def local_spans(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    """The hub's span helpers on a tracer of their own, for spans one function makes: the
    process's provider can be set only once, and the flow test above owns it."""
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    monkeypatch.setattr(telemetry, "TRACER", provider.get_tracer("isd-hub-test"))
    monkeypatch.setattr(telemetry, "_enabled", True)
    yield spans
    provider.shutdown()


def _conventional(
    span: ReadableSpan, operation: str, topic: str, **more: str | int
) -> dict[str, object]:
    """Assert a span is the messaging conventions' `operation` on `topic`; its attributes."""
    attrs = dict(span.attributes or {})
    assert span.name == f"{operation} {topic}", span.name
    want = {
        telemetry.M_SYSTEM: "kafka",
        telemetry.M_OPERATION_TYPE: operation,
        telemetry.M_OPERATION_NAME: operation,
        telemetry.M_DESTINATION: topic,
        **more,
    }
    assert want.items() <= attrs.items(), attrs
    # Our own spans never record the Kafka key (a party code or a keyed person hash).
    assert "messaging.kafka.message.key" not in attrs
    assert "kafka.message.key" not in attrs
    return attrs


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
    await topic_admin.ensure_topics(settings, bootstrap)
    await store.upsert_parties(pool, list(load_parties(settings.parties_file)))
    tokens = {code: new_token() for code in (GEMEENTE, PROVIDER)}
    for code, token in tokens.items():
        await store.add_token(pool, code, token)

    core = core_app(settings, bootstrap, database_url)
    ggk = adapter_app("ggk", settings, bootstrap, database_url)
    vecozo = adapter_app("vecozo", settings, bootstrap, database_url)
    async with serving(core, ggk, vecozo) as (_, g, v):
        await recovered(pool, (outbox.RECOVERY_ROLE, journal.role("ggk"), journal.role("vecozo")))
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
    core = f"process {ingress}"  # the core's span; "{ingress} publish" is FastStream's
    assert {"upload", f"{ingress} publish", core, "validate"} <= names, names
    assert {"history rules", "ledger and outbox write", "download"} <= names, names
    _relay_and_delivery(chain, egress)  # their names: the two tests at the end of this file
    core_span = next(s for s in chain if s.name == core)
    assert core_span.kind is SpanKind.CONSUMER
    attrs = _conventional(
        core_span,
        "process",
        ingress,
        **{telemetry.M_CONSUMER_GROUP: settings.consumer_group},
    )
    assert isinstance(attrs[telemetry.M_PARTITION], str)  # the conventions' partition id
    assert isinstance(attrs[telemetry.M_OFFSET], int)
    assert attrs[telemetry.M_MESSAGE_ID] == str(accepted_id)
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
    core_span = next(s for s in rejected if s.name == core)
    attrs = dict(core_span.attributes or {})
    assert attrs[telemetry.A_VERDICT] == "rejected"
    assert "9056" in tuple(attrs[telemetry.A_RETOURCODES])  # type: ignore[arg-type]
    _relay_and_delivery(rejected, egress)

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


def _relay_and_delivery(chain: list[ReadableSpan], egress: str) -> None:
    """The trace goes on through the relay's producer span on an egress topic and, under it,
    an adapter's delivery (a consumer span): found by kind and parent, as their names are
    what the tests below check."""
    relay = {
        s.context.span_id
        for s in chain
        if s.kind is SpanKind.PRODUCER and egress in s.name and s.context is not None
    }
    assert relay, [s.name for s in chain]
    assert any(
        s.kind is SpanKind.CONSUMER and s.parent is not None and s.parent.span_id in relay
        for s in chain
    ), [s.name for s in chain]


def test_the_core_span_follows_the_messaging_conventions(
    local_spans: InMemorySpanExporter,
) -> None:
    item = Incoming(
        id=uuid4(),
        node="ggk",
        party=GEMEENTE,
        received_at=datetime.now(UTC),
        payload=WMO301,
        partition=3,
        offset=42,
        topic="isd.ingress",
    )
    for s in BatchObservation([item], "isd-hub-core").spans.values():
        s.end()
    [span] = local_spans.get_finished_spans()
    assert span.kind is SpanKind.CONSUMER
    _conventional(
        span,
        "process",
        "isd.ingress",
        **{
            telemetry.M_PARTITION: "3",
            telemetry.M_OFFSET: 42,
            telemetry.M_CONSUMER_GROUP: "isd-hub-core",
            telemetry.M_MESSAGE_ID: str(item.id),
            telemetry.A_MESSAGE_ID: str(item.id),
            telemetry.A_NODE: "ggk",
        },
    )
    assert telemetry.M_BATCH_COUNT not in (span.attributes or {})  # one message, no batch


# --- The relay's and the delivery's spans follow the conventions' names too.


def test_the_relay_span_is_send_egress_topic(local_spans: InMemorySpanExporter) -> None:
    upstream = telemetry.start("process isd.ingress")
    headers = {
        H.MESSAGE_ID.value: str(uuid4()),
        H.MESSAGE_TYPE.value: "WMO301",
        H.NODE.value: "vecozo",
        H.RECEIVER.value: PROVIDER,
    }
    telemetry.inject(upstream, headers)
    message = records.OutboxMessage("isd.egress.vecozo", PROVIDER.encode(), b"<x/>", headers)
    spans, _ = outbox._trace([message])
    for s in (*spans, upstream):
        s.end()
    [relay] = [s for s in local_spans.get_finished_spans() if s.kind is SpanKind.PRODUCER]
    attrs = _conventional(relay, "send", "isd.egress.vecozo")
    assert attrs[telemetry.A_RECEIVER] == PROVIDER
    assert relay.parent is not None
    assert relay.parent.span_id == upstream.get_span_context().span_id


def test_the_delivery_span_is_process_egress_topic(local_spans: InMemorySpanExporter) -> None:
    message_id = uuid4()
    headers = {H.MESSAGE_TYPE.value: "WMO301", H.RECEIVER.value: PROVIDER}
    runner._delivery_span(
        headers,
        message_id,
        "vecozo",
        topic="isd.egress.vecozo",
        partition=2,
        offset=7,
        group="isd-adapter-vecozo",
    ).end()
    [span] = local_spans.get_finished_spans()
    assert span.kind is SpanKind.CONSUMER
    _conventional(
        span,
        "process",
        "isd.egress.vecozo",
        **{
            telemetry.M_PARTITION: "2",
            telemetry.M_OFFSET: 7,
            telemetry.M_CONSUMER_GROUP: "isd-adapter-vecozo",
            telemetry.M_MESSAGE_ID: str(message_id),
            telemetry.A_RECEIVER: PROVIDER,
        },
    )
