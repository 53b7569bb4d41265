"""Tracing: the OpenTelemetry SDK set up from the standard OTEL_* variables, and the few span
helpers the flow uses so that one message is one trace (upload → ingress → core → relay →
delivery → download).

Off unless OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_TRACES_EXPORTER asks for it. The trace id of a
message is its hub message id, so the download (a later HTTP request that shares nothing with
the upload but the id) joins the same trace, and `hub trace ID` and the tracing backend use
one key. Spans carry codes only (message type, parties, verdict, retourcodes): never a BSN,
a name, a birth date or the payload (design rule 12).

The hub's own messaging spans (the core's and the delivery's `process`, the relay's `send`)
follow the current OpenTelemetry messaging conventions (`messaging_span_name`,
`messaging_attributes`); FastStream's spans keep its older names (docs/tracing.md lists both).

Database queries are traced by the asyncpg instrumentation as child spans of the work they
belong to: the statement text only, never its parameters (which hold BSNs); a query outside
any trace (the relay's polling, the gauges) starts no trace of its own.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Final, Literal
from uuid import UUID

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import AttributeValue

from hub.infra.spanprivacy import ScrubbingExporter
from hub.infra.tracesdk import (
    CountingBatchProcessor,
    NoRootQueries,
    _configured_sampler,
    _exporter_from_env,
)

log = logging.getLogger(__name__)

TRACER: Final = trace.get_tracer("isd-hub")
PROPAGATOR: Final = TraceContextTextMapPropagator()
# Attribute names, declared once; values are codes, never personal data.
A_MESSAGE_ID: Final = "isd.message.id"
A_MESSAGE_TYPE: Final = "isd.message.type"
A_DIRECTION: Final = "isd.message.direction"
A_NODE: Final = "isd.node"
A_SENDER: Final = "isd.sender"
A_RECEIVER: Final = "isd.receiver"
A_VERDICT: Final = "isd.verdict"
A_RETOURCODES: Final = "isd.retourcodes"
# The messaging semantic conventions (status: development) as of semconv 1.44, the release
# opentelemetry-semantic-conventions 0.66b1 carries (tests/observability checks the names
# against it). Destination, partition, group and operation are given when a span starts: the
# conventions mark them as what a sampler may decide on.
M_SYSTEM: Final = "messaging.system"
M_OPERATION_TYPE: Final = "messaging.operation.type"
M_OPERATION_NAME: Final = "messaging.operation.name"
M_DESTINATION: Final = "messaging.destination.name"
M_PARTITION: Final = "messaging.destination.partition.id"
M_CONSUMER_GROUP: Final = "messaging.consumer.group.name"
M_OFFSET: Final = "messaging.kafka.offset"
M_MESSAGE_ID: Final = "messaging.message.id"
M_BATCH_COUNT: Final = "messaging.batch.message_count"

# The conventions' operation types; for Kafka the operation name is the same word for the
# two the hub's spans use (send, process), so it defaults to the type.
MessagingOperation = Literal["create", "send", "receive", "process", "settle"]

_enabled = False
_seed: contextvars.ContextVar[tuple[int, int] | None] = contextvars.ContextVar(
    "isd_trace_seed", default=None
)


class MessageIdGenerator(RandomIdGenerator):
    """Random ids, except inside `seeded(message_id)`, where a root span gets the message id as
    its trace id and a span id derived from it (so later spans can name it as their parent)."""

    def generate_span_id(self) -> int:
        seed = _seed.get()
        if seed is not None:
            return seed[1]
        return super().generate_span_id()

    def generate_trace_id(self) -> int:
        seed = _seed.get()
        if seed is not None:
            return seed[0]
        return super().generate_trace_id()


def _ids(message_id: UUID) -> tuple[int, int]:
    span_id = (message_id.int & 0xFFFF_FFFF_FFFF_FFFF) or 1
    return message_id.int or 1, span_id


def configure(
    service_name: str,
    *,
    exporter: SpanExporter | None = None,
    env: Mapping[str, str] | None = None,
    synchronous: bool = False,
) -> bool:
    """Install the process's tracer provider; returns whether tracing is on.

    `exporter` overrides the environment (tests pass an in-memory one, with `synchronous` so
    spans are there as soon as they end). Called once per process, before the broker is built.
    """
    global _enabled
    if _enabled:  # one provider per process; a second app in the same process shares it
        return True
    env = os.environ if env is None else env
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true" and exporter is None:
        return False
    if exporter is None:
        exporter = _exporter_from_env(env)
    if exporter is None:
        return False
    attributes: dict[str, str] = {"service.name": service_name}
    if env.get("OTEL_SERVICE_NAME"):
        attributes["service.name"] = env["OTEL_SERVICE_NAME"]
    # Resource.create also merges OTEL_RESOURCE_ATTRIBUTES; the sampler follows
    # OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG (SDK default: parentbased_always_on).
    provider = TracerProvider(
        resource=Resource.create(attributes),
        id_generator=MessageIdGenerator(),
        sampler=NoRootQueries(_configured_sampler()),
    )
    queue = int(env.get("OTEL_BSP_MAX_QUEUE_SIZE", "2048") or 2048)
    exporter = ScrubbingExporter(exporter)  # libraries record exception texts; drop them
    processor: SpanProcessor = (
        SimpleSpanProcessor(exporter) if synchronous else CountingBatchProcessor(exporter, queue)
    )
    provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    # Parameters are never captured (capture_parameters=False): they hold BSNs.
    instrumentor = AsyncPGInstrumentor(capture_parameters=False)  # type: ignore[no-untyped-call]
    instrumentor.instrument(tracer_provider=provider)
    _enabled = True
    return True


def enabled() -> bool:
    return _enabled


def shutdown() -> None:
    """Flush and stop exporting; the flow's own spans stop too (the provider stays installed,
    as OpenTelemetry allows one per process)."""
    global _enabled
    provider = trace.get_tracer_provider()
    if _enabled and isinstance(provider, TracerProvider):
        provider.shutdown()
    if _enabled:
        AsyncPGInstrumentor().uninstrument()  # type: ignore[no-untyped-call]
    _enabled = False


@contextlib.contextmanager
def seeded(message_id: UUID) -> Iterator[None]:
    """Inside: a new root span gets the message id as its trace id (see MessageIdGenerator)."""
    token = _seed.set(_ids(message_id))
    try:
        yield
    finally:
        _seed.reset(token)


def message_root(message_id: UUID) -> otel_context.Context:
    """A context whose parent is the message's upload span, for work that has nothing else
    to link to (a download)."""
    trace_id, span_id = _ids(message_id)
    parent = trace.SpanContext(
        trace_id, span_id, is_remote=True, trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED)
    )
    return trace.set_span_in_context(trace.NonRecordingSpan(parent))


def extract(headers: Mapping[str, str]) -> otel_context.Context:
    return PROPAGATOR.extract(dict(headers))


def inject(span: Span, headers: dict[str, str]) -> None:
    PROPAGATOR.inject(headers, context=trace.set_span_in_context(span))


def start(
    name: str,
    parent: otel_context.Context | None = None,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: Mapping[str, AttributeValue] | None = None,
    start_time: int | None = None,
) -> Span:
    return TRACER.start_span(
        name, context=parent, kind=kind, attributes=attributes, start_time=start_time
    )


def fail(span: Span, exc: BaseException) -> None:
    """Mark a span failed with the exception's type only: messages can quote payload."""
    span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
    span.set_attribute("error.type", type(exc).__name__)


@contextlib.contextmanager
def span(
    name: str,
    parent: otel_context.Context | None = None,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: Mapping[str, AttributeValue] | None = None,
    root_of: UUID | None = None,
) -> Iterator[Span]:
    """A current span that records failures by type, never by message. With `root_of`, the
    root span of that message's trace (its trace id is the message id)."""
    if root_of is not None:
        with seeded(root_of):
            s = start(name, otel_context.Context(), kind=kind, attributes=attributes)
    else:
        s = start(name, parent, kind=kind, attributes=attributes)
    try:
        with trace.use_span(s, record_exception=False, set_status_on_exception=False):
            yield s
    # blind: the span records every way out (cancellation too) by its type; raised again
    except BaseException as exc:
        fail(s, exc)
        raise
    finally:
        s.end()


def message_attributes(
    *,
    message_id: UUID | None = None,
    message_type: str | None = None,
    direction: str | None = None,
    node: str | None = None,
    sender: str | None = None,
    receiver: str | None = None,
    verdict: str | None = None,
    retourcodes: Sequence[str] = (),
) -> dict[str, str | Sequence[str]]:
    """The only attributes a message's spans carry: ids and codes."""
    pairs: dict[str, str | Sequence[str] | None] = {
        A_MESSAGE_ID: str(message_id) if message_id else None,
        A_MESSAGE_TYPE: message_type,
        A_DIRECTION: direction,
        A_NODE: node,
        A_SENDER: sender,
        A_RECEIVER: receiver,
        A_VERDICT: verdict,
        A_RETOURCODES: list(retourcodes) if retourcodes else None,
    }
    return {k: v for k, v in pairs.items() if v}


def messaging_span_name(operation: str, destination: str) -> str:
    """A messaging span's name as the conventions have it: "{operation name} {destination}"
    ("send isd.egress.ggk", "process isd.ingress"). Topic names are few and fixed, so the
    name stays of low cardinality as the conventions ask."""
    return f"{operation} {destination}"


def messaging_attributes(
    operation_type: MessagingOperation,
    destination: str,
    *,
    operation_name: str | None = None,
    partition: int | None = None,
    offset: int | None = None,
    group: str | None = None,
    batch: int | None = None,
    message_id: str | None = None,
) -> dict[str, AttributeValue]:
    """The current conventions' attributes of one Kafka operation. The partition is recorded
    as text (`messaging.destination.partition.id`), as the conventions want; `batch` only for
    an operation on several messages. There is deliberately no Kafka key here: the hub's
    keys are party codes or keyed person hashes, and a span has no use for either."""
    pairs: dict[str, AttributeValue | None] = {
        M_SYSTEM: "kafka",
        M_OPERATION_TYPE: operation_type,
        M_OPERATION_NAME: operation_name or operation_type,
        M_DESTINATION: destination,
        M_PARTITION: str(partition) if partition is not None else None,
        M_OFFSET: offset,
        M_CONSUMER_GROUP: group,
        M_BATCH_COUNT: batch,
        M_MESSAGE_ID: message_id,
    }
    return {k: v for k, v in pairs.items() if v is not None}
