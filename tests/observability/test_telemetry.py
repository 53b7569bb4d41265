"""Tracing set-up from OTEL_* variables, a failing exporter that never slows the flow, and
metric labels that stay within their bounded sets."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SpanExporter, SpanExportResult

from hub.infra import metrics, telemetry, tracesdk


class _Hanging(SpanExporter):
    """An exporter whose endpoint never answers."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.release.wait(10)
        return SpanExportResult.FAILURE

    def shutdown(self) -> None:
        self.release.set()


def _dropped(reason: str) -> float:
    return metrics.SPANS_DROPPED.labels(reason)._value.get()  # type: ignore[attr-defined, no-any-return]


def test_a_hanging_exporter_costs_spans_not_time() -> None:
    exporter = _Hanging()
    processor = tracesdk.CountingBatchProcessor(exporter, max_queue_size=64)
    provider = TracerProvider(id_generator=telemetry.MessageIdGenerator())
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("test")
    before = _dropped("queue_full")
    started = time.perf_counter()
    for _ in range(5000):
        tracer.start_span("work").end()
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0, elapsed
    assert _dropped("queue_full") - before > 4000
    exporter.release.set()
    provider.shutdown()


def test_exporter_choice_follows_the_otel_variables(caplog: pytest.LogCaptureFixture) -> None:
    assert tracesdk._exporter_from_env({}) is None
    assert tracesdk._exporter_from_env({"OTEL_TRACES_EXPORTER": "none"}) is None
    console = tracesdk._exporter_from_env({"OTEL_TRACES_EXPORTER": "console"})
    assert isinstance(console, ConsoleSpanExporter)
    try:
        import opentelemetry.exporter.otlp.proto.http.trace_exporter  # noqa: F401
    except ImportError:
        found = tracesdk._exporter_from_env({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://nowhere:1"})
        assert found is None
        assert "opentelemetry-exporter-otlp is not installed" in caplog.text
    assert not telemetry.configure("t", env={"OTEL_SDK_DISABLED": "true"})


def test_metric_labels_stay_bounded() -> None:
    assert metrics.message_type("WMO301") == "WMO301"
    assert metrics.message_type("174285917") == "other"
    assert metrics.message_type(None) == "unknown"
    assert metrics.retourcode("9056") == "9056"
    assert metrics.retourcode("174285917") == "other"
    assert metrics.retourcode("") == "none"
    assert metrics.word("unknown-heenbericht") == "unknown-heenbericht"
    assert metrics.word("Berg, J. 1948-03-14") == "other"
    assert metrics.topic_kind("isd.egress.ggk") == "egress"
    assert metrics.topic_kind("isd.events") == "events"
    assert metrics.topic_kind("isd.dlq") == "dlq"
    metrics.count("upload", "whatever", message_type_="X", node="0363")
    labels = [s.labels for m in metrics.MESSAGES.collect() for s in m.samples]
    assert {"stage": "upload", "message_type": "other", "direction": "unknown",
            "node": "other", "outcome": "other"} in labels  # fmt: skip


def test_event_counters_stay_bounded_and_count_notice_kinds() -> None:
    from hub.infra import metrics

    before = metrics.EB_NOTICE_ENTRIES.labels("405", "start")._value.get()
    metrics.count_event(
        "eigenbijdrage.notice",
        {"entries": [{"status": 1}, {"status": "3"}]},
        "WMO405",
    )
    assert metrics.EB_NOTICE_ENTRIES.labels("405", "start")._value.get() == before + 1
    metrics.count_event("not an event type!", {}, None)
    types = {s.labels["type"] for m in metrics.EVENTS.collect() for s in m.samples}
    assert "not an event type!" not in types
    assert "other" in types


def test_kafka_span_attributes_are_text_so_the_console_exporter_can_write_them() -> None:
    """FastStream records the Kafka key as bytes; OpenTelemetry attributes are str, bool, int
    or float, and the console exporter (OTEL_TRACES_EXPORTER=console) failed on it."""
    import io

    from faststream.kafka.response import KafkaPublishCommand
    from faststream.response.publish_type import PublishType
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    key = b"8f14e45fceea167a5a36dedd4bea2543"  # a keyed person hash, as ingress uses
    cmd = KafkaPublishCommand(b"<xml/>", topic="isd.ingress", _publish_type=PublishType.PUBLISH,
                              key=key, correlation_id="c")  # fmt: skip
    for msg in (None, ()):  # one record, a batch
        attrs = tracesdk._attribute_providers(msg).get_publish_attrs_from_cmd(cmd)
        assert attrs["messaging.kafka.message.key"] == key.decode()
        assert all(isinstance(v, str | bool | int | float) for v in attrs.values()), attrs

    out = io.StringIO()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(out=out)))
    provider.get_tracer("t").start_span("isd.ingress publish", attributes=attrs).end()
    provider.shutdown()
    assert key.decode() in out.getvalue()


def test_queries_outside_a_trace_start_none_inside_one_they_are_children() -> None:
    from opentelemetry import trace
    from opentelemetry.sdk.trace.sampling import ALWAYS_ON, Decision

    sampler = tracesdk.NoRootQueries(ALWAYS_ON)
    db = {"db.system": "postgresql", "db.statement": "SELECT 1"}
    assert sampler.should_sample(None, 1, "SELECT", attributes=db).decision is Decision.DROP
    assert sampler.should_sample(None, 1, "upload").decision is Decision.RECORD_AND_SAMPLE
    parent = trace.SpanContext(
        1, 2, is_remote=False, trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED)
    )
    inside = trace.set_span_in_context(trace.NonRecordingSpan(parent))
    decision = sampler.should_sample(inside, 1, "SELECT", attributes=db).decision
    assert decision is Decision.RECORD_AND_SAMPLE
    assert "NoRootQueries" in sampler.get_description()


def test_messaging_helpers_use_the_current_convention_names() -> None:
    from opentelemetry.semconv._incubating.attributes import messaging_attributes as semconv

    # The names are those of the installed semantic-conventions release.
    assert telemetry.M_SYSTEM == semconv.MESSAGING_SYSTEM
    assert telemetry.M_OPERATION_TYPE == semconv.MESSAGING_OPERATION_TYPE
    assert telemetry.M_OPERATION_NAME == semconv.MESSAGING_OPERATION_NAME
    assert telemetry.M_DESTINATION == semconv.MESSAGING_DESTINATION_NAME
    assert telemetry.M_PARTITION == semconv.MESSAGING_DESTINATION_PARTITION_ID
    assert telemetry.M_CONSUMER_GROUP == semconv.MESSAGING_CONSUMER_GROUP_NAME
    assert telemetry.M_OFFSET == semconv.MESSAGING_KAFKA_OFFSET
    assert telemetry.M_MESSAGE_ID == semconv.MESSAGING_MESSAGE_ID
    assert telemetry.M_BATCH_COUNT == semconv.MESSAGING_BATCH_MESSAGE_COUNT
    assert {"send", "process"} <= {v.value for v in semconv.MessagingOperationTypeValues}

    assert telemetry.messaging_span_name("send", "isd.egress.ggk") == "send isd.egress.ggk"
    assert telemetry.messaging_attributes("send", "isd.egress.ggk") == {
        "messaging.system": "kafka",
        "messaging.operation.type": "send",
        "messaging.operation.name": "send",
        "messaging.destination.name": "isd.egress.ggk",
    }
    attrs = telemetry.messaging_attributes(
        "process", "isd.ingress", partition=0, offset=0, group="isd-hub-core", batch=3
    )
    assert attrs["messaging.destination.partition.id"] == "0"  # text, and 0 is kept
    assert attrs["messaging.kafka.offset"] == 0
    assert attrs["messaging.consumer.group.name"] == "isd-hub-core"
    assert attrs["messaging.batch.message_count"] == 3
    assert not any("key" in name for name in attrs)


def test_exception_texts_never_leave_the_process() -> None:
    """A library that records an exception the OpenTelemetry way (message, stack trace, status
    description) exports only its type: the message may quote a BSN."""
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import Status, StatusCode

    from hub.infra.spanprivacy import ScrubbingExporter

    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(ScrubbingExporter(memory)))
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("library span") as failing:
        failing.record_exception(ValueError("no client with Bsn 174285917"))
        failing.set_status(Status(StatusCode.ERROR, "ValueError: no client with Bsn 174285917"))
    with tracer.start_as_current_span("clean span") as clean:
        clean.set_attribute("isd.verdict", "accepted")
    exported = {s.name: s for s in memory.get_finished_spans()}
    scrubbed = exported["library span"]
    assert "174285917" not in ConsoleSpanExporter().formatter(scrubbed)  # type: ignore[attr-defined]
    assert scrubbed.status.status_code is StatusCode.ERROR
    assert scrubbed.status.description == "ValueError"
    assert [dict(e.attributes or {}).get("exception.type") for e in scrubbed.events] == [
        "ValueError"
    ]
    assert exported["clean span"].attributes == {"isd.verdict": "accepted"}
