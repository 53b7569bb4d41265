"""What the intake flow tells metrics and traces about one batch.

A span per message (child of the upload's trace, from the record's traceparent; named and
attributed as the messaging conventions have it, "process <ingress topic>") with its steps,
and the domain counters once the batch's transaction committed."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import TypeVar
from uuid import UUID

from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind
from opentelemetry.util.types import AttributeValue

from hub.domain.decide import Decision, Incoming
from hub.domain.headers import H
from hub.infra import metrics, telemetry

T = TypeVar("T")


class BatchObservation:
    """An async context manager around the batch's transaction: on exit after commit it
    counts and ends the message spans; on error it marks them failed."""

    def __init__(self, items: Sequence[Incoming], consumer_group: str | None = None) -> None:
        self.spans: dict[UUID, Span] = {}
        self.decisions: Sequence[Decision] = ()
        metrics.INTAKE_BATCH.observe(len(items))
        self._lap_wall, self._lap_cpu = time.perf_counter(), time.thread_time()
        if telemetry.enabled():
            for item in items:
                self.spans[item.id] = telemetry.start(
                    telemetry.messaging_span_name("process", item.topic),
                    telemetry.extract(item.trace_headers),
                    kind=SpanKind.CONSUMER,
                    attributes=_process_attributes(item, consumer_group),
                )

    def timed(self, item_id: UUID, name: str, fn: Callable[..., T], *args: object) -> T:
        """Run one per-message step, as a child span of that message when tracing."""
        parent = self.spans.get(item_id)
        if parent is None:
            return fn(*args)
        with telemetry.span(name, trace.set_span_in_context(parent)):
            return fn(*args)

    def step(self, name: str, started_ns: int) -> None:
        """A batch-wide step (the ledger write) as a child span of every message."""
        end = time.time_ns()
        for parent in self.spans.values():
            s = telemetry.start(name, trace.set_span_in_context(parent), start_time=started_ns)
            s.end(end_time=end)

    def lap(self, stage: str) -> None:
        """End one stage of the batch (metrics.INTAKE_STAGES): its wall and CPU time since
        the previous lap (or the batch's start) go to the stage metrics."""
        wall, cpu = time.perf_counter(), time.thread_time()
        metrics.observe_stage(stage, wall - self._lap_wall, cpu - self._lap_cpu)
        self._lap_wall, self._lap_cpu = wall, cpu

    def decided(self, decisions: Sequence[Decision]) -> None:
        self.decisions = decisions

    async def __aenter__(self) -> BatchObservation:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None:
            metrics.FAILURES.labels("intake").inc()
            for s in self.spans.values():
                telemetry.fail(s, exc)
                s.end()
            return
        self.lap("commit")  # the transaction and the connection exit first, then this
        _count(self.decisions)
        for decision in self.decisions:
            row = decision.rows[0] if decision.rows else None
            found = self.spans.pop(row.id, None) if row else None
            if found is not None and row is not None:
                found.set_attributes(
                    telemetry.message_attributes(
                        message_type=row.message_type,
                        direction=row.direction,
                        sender=row.sender,
                        receiver=row.receiver,
                        verdict=row.status,
                        retourcodes=row.retourcodes,
                    )
                )
                found.end()
        for s in self.spans.values():  # already in the ledger: a redelivery
            s.set_attribute(telemetry.A_VERDICT, "duplicate")
            s.end()


def _process_attributes(item: Incoming, group: str | None) -> dict[str, AttributeValue]:
    """A per-message `process` span in the messaging conventions (one record, so its offset
    and no batch count), plus the hub's own codes. The upload's span is its parent (one
    trace per message), which the conventions allow for a single message."""
    return {
        **telemetry.messaging_attributes(
            "process",
            item.topic,
            partition=item.partition,
            offset=item.offset,
            group=group,
            message_id=str(item.id),
        ),
        **telemetry.message_attributes(message_id=item.id, node=item.node),
    }


def _count(decisions: Sequence[Decision]) -> None:
    """The batch's domain counters, added once per label set (not once per message)."""
    rows: Counter[tuple[str, str | None, str | None, str | None]] = Counter()
    codes: Counter[str] = Counter()
    for decision in decisions:
        for row in decision.rows:
            rows[(row.status, row.message_type, row.direction, row.source_node)] += 1
        for _, findings in decision.findings:
            codes.update({metrics.retourcode(f.retourcode) for f in findings})
        for event in decision.events:
            metrics.count_event(event.type, event.data, event.row.message_type)
        if decision.dead_letter is not None:
            letter = decision.dead_letter
            metrics.DEAD_LETTERS.labels(
                metrics.word(letter.stage), metrics.word(letter.error)
            ).inc()
        received = decision.rows[0].received_at if decision.rows else None
        for m in decision.outbox:
            if received is not None and H.RECEIVER.value in m.headers:
                metrics.EGRESS_CLOCK.start(
                    m.headers.get(H.MESSAGE_ID.value, ""),
                    received,
                    m.headers.get(H.MESSAGE_TYPE.value, ""),
                )
    for (status, message_type, direction, node), n in rows.items():
        metrics.count(
            "intake", status, message_type_=message_type, direction=direction, node=node, n=n
        )
    for code, n in codes.items():
        metrics.VALIDATION_FAILURES.labels(code).inc(n)
