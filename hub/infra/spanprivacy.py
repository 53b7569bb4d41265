"""The last gate before spans leave the process: exception texts are removed.

The hub's own spans record a failure by its type only (hub.infra.telemetry.fail), but libraries do
not: FastStream's consumer spans and the asyncpg instrumentation record exceptions the
OpenTelemetry way, with the exception's message and stack trace, and set the message as the
span's status description. A message can quote what it failed on (a query argument, an XML
value), which may be a BSN or a birth date. So every exported span keeps the exception's type
and loses its text, whoever recorded it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import Status, StatusCode

# What OpenTelemetry's exception events carry besides the type (and `escaped`).
_TEXT_KEYS: Final = frozenset({"exception.message", "exception.stacktrace"})


class ScrubbingExporter(SpanExporter):
    """Wraps the real exporter; spans without exception text pass unchanged."""

    def __init__(self, inner: SpanExporter) -> None:
        self._inner = inner

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self._inner.export([scrub(s) for s in spans])

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self._inner.force_flush(timeout_millis)


def scrub(span: ReadableSpan) -> ReadableSpan:
    """The span without exception messages, stack traces or a free-text status description
    (an error status keeps the exception type as its description)."""
    texts = any(_TEXT_KEYS.intersection(e.attributes or {}) for e in span.events)
    status = span.status
    free_text = status.description is not None and status.description != _error_type(span)
    if not texts and not free_text:
        return span
    events = [
        Event(
            e.name,
            {k: v for k, v in (e.attributes or {}).items() if k not in _TEXT_KEYS},
            e.timestamp,
        )
        for e in span.events
    ]
    if free_text:
        code = status.status_code
        status = Status(code, _error_type(span)) if code is StatusCode.ERROR else Status(code)
    return ReadableSpan(
        name=span.name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=span.attributes,
        events=events,
        links=span.links,
        kind=span.kind,
        status=status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


def _error_type(span: ReadableSpan) -> str | None:
    """The failure's type: the span's error.type, else the first exception event's type."""
    declared = (span.attributes or {}).get("error.type")
    if isinstance(declared, str):
        return declared
    for e in span.events:
        found = (e.attributes or {}).get("exception.type")
        if isinstance(found, str):
            return found
    return None
