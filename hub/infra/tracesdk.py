"""The OpenTelemetry SDK parts the hub installs: a span queue that counts what it drops, the
sampler that starts no trace for a lone query, the exporter the OTEL_* variables ask for, and
FastStream's Kafka middleware with attributes OpenTelemetry accepts."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Final

from faststream.kafka.opentelemetry.provider import (
    BatchKafkaTelemetrySettingsProvider,
    KafkaTelemetrySettingsProvider,
)
from faststream.kafka.response import KafkaPublishCommand
from faststream.opentelemetry.middleware import TelemetryMiddleware
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes

from hub.infra import metrics

log = logging.getLogger(__name__)

_KAFKA_KEY: Final = "messaging.kafka.message.key"
_DB_SYSTEM: Final = ("db.system", "db.system.name")  # old and new semantic conventions


class CountingBatchProcessor(SpanProcessor):
    """A BatchSpanProcessor (bounded queue, export in its own thread) that counts the spans it
    drops: a full queue or a failing exporter never blocks or slows the flow, it costs spans."""

    def __init__(self, exporter: SpanExporter, max_queue_size: int = 2048) -> None:
        self.max_queue_size = max_queue_size
        self._inner = BatchSpanProcessor(
            _CountingExporter(exporter),
            max_queue_size=max_queue_size,
            max_export_batch_size=min(512, max_queue_size),
            export_timeout_millis=5_000,
        )

    def on_start(self, span: Any, parent_context: otel_context.Context | None = None) -> None:
        self._inner.on_start(span, parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        queue = getattr(getattr(self._inner, "_batch_processor", None), "_queue", None)
        if queue is not None and len(queue) >= self.max_queue_size:
            metrics.SPANS_DROPPED.labels("queue_full").inc()
        self._inner.on_end(span)

    def shutdown(self) -> None:
        self._inner.shutdown()  # type: ignore[no-untyped-call]

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self._inner.force_flush(timeout_millis)


class _CountingExporter(SpanExporter):
    def __init__(self, inner: SpanExporter) -> None:
        self.inner = inner

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            result = self.inner.export(spans)
        except Exception:  # blind: an exporter failing in any way drops spans, never the hub's work
            log.debug("span export failed", exc_info=True)
            result = SpanExportResult.FAILURE
        if result is not SpanExportResult.SUCCESS:
            metrics.SPANS_DROPPED.labels("export_failed").inc(len(spans))
        return result

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self.inner.force_flush(timeout_millis)


class NoRootQueries(Sampler):
    """The configured sampler, except that a database query outside any trace is dropped: the
    relay, the watches and the gauge sampler query several times a second, and each would
    start a trace of its own that belongs to no message."""

    def __init__(self, inner: Sampler) -> None:
        self.inner = inner

    def should_sample(
        self,
        parent_context: otel_context.Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        parent = trace.get_current_span(parent_context).get_span_context()
        if not parent.is_valid and attributes and any(k in attributes for k in _DB_SYSTEM):
            return SamplingResult(Decision.DROP)
        return self.inner.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return f"NoRootQueries{{{self.inner.get_description()}}}"


def _configured_sampler() -> Sampler:
    """What OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG ask for (SDK default:
    parentbased_always_on), as the SDK reads them."""
    return TracerProvider(shutdown_on_exit=False).sampler


def _text_key(attributes: dict[str, Any]) -> dict[str, Any]:
    """Span attributes are str, bool, int or float (or sequences of them): FastStream records
    the Kafka key as bytes, which the console exporter cannot write (its JSON has no bytes)
    and OTLP sends as opaque bytes. The messaging conventions want the text of a key that is
    not a string; the hub's keys are a keyed person hash, a party code or a message id."""
    key = attributes.get(_KAFKA_KEY)
    if isinstance(key, bytes | bytearray):
        attributes[_KAFKA_KEY] = bytes(key).decode("utf-8", "replace")
    return attributes


class _RecordAttributes(KafkaTelemetrySettingsProvider):
    def get_publish_attrs_from_cmd(self, cmd: KafkaPublishCommand) -> dict[str, Any]:
        return _text_key(super().get_publish_attrs_from_cmd(cmd))

    def get_consume_attrs_from_message(self, msg: Any) -> dict[str, Any]:
        return _text_key(super().get_consume_attrs_from_message(msg))


class _BatchAttributes(BatchKafkaTelemetrySettingsProvider):
    def get_publish_attrs_from_cmd(self, cmd: KafkaPublishCommand) -> dict[str, Any]:
        return _text_key(super().get_publish_attrs_from_cmd(cmd))


def _attribute_providers(msg: Any) -> _RecordAttributes | _BatchAttributes:
    return _BatchAttributes() if isinstance(msg, Sequence) else _RecordAttributes()


def kafka_middleware() -> TelemetryMiddleware[KafkaPublishCommand]:
    """FastStream's Kafka telemetry (produce and consume spans, traceparent in the headers)
    with its span attributes as OpenTelemetry allows them (`_text_key`)."""
    return TelemetryMiddleware(settings_provider_factory=_attribute_providers)


def _exporter_from_env(env: Mapping[str, str]) -> SpanExporter | None:
    """OTEL_TRACES_EXPORTER (otlp, console, none); otlp by default when an endpoint is set."""
    endpoint = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or env.get(
        "OTEL_EXPORTER_OTLP_ENDPOINT"
    )
    choice = env.get("OTEL_TRACES_EXPORTER", "otlp" if endpoint else "none").strip().lower()
    if choice == "console":
        return ConsoleSpanExporter()
    if choice != "otlp":
        return None
    protocol = env.get("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
    try:  # optional: the `opentelemetry-exporter-otlp` distribution
        if protocol == "grpc":
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (  # type: ignore[import-not-found,unused-ignore]
                OTLPSpanExporter,
            )
        else:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # type: ignore[import-not-found,unused-ignore]
                OTLPSpanExporter,
            )
    except ImportError:
        log.warning(
            "OTEL_EXPORTER_OTLP_ENDPOINT is set but opentelemetry-exporter-otlp is not "
            "installed: tracing stays off"
        )
        return None
    exporter: SpanExporter = OTLPSpanExporter()  # reads the OTEL_EXPORTER_OTLP_* variables
    return exporter
