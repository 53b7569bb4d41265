"""Sends the benchmark's messages and matches what comes out of egress with what went in."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from benchmarks.loadgen import Mix, Outgoing, trace_id
from benchmarks.procstats import Usage
from hub.domain.headers import H


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (0 for none)."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), round(q / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


@dataclass
class Level:
    """One load level: what was offered, what came through, how fast, at what cost."""

    label: str
    offered_msg_s: float | None  # None: as fast as the producer goes
    raw: bool = False  # the reference pipeline: every message comes out as itself
    sent: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    first_send: float = 0.0
    last_send: float = 0.0
    done: int = 0
    last_done: float = 0.0
    routed: int = 0
    retours: int = 0
    unexpected: int = 0  # a valid message answered with a retour, or an invalid one routed
    latencies: list[float] = field(default_factory=list)
    usage: dict[str, Usage] = field(default_factory=dict)
    machine_cpu_pct: float = 0.0  # all processes of the machine, % of one core

    def figures(self) -> dict[str, Any]:
        lat = sorted(self.latencies)
        span = self.last_done - self.first_send
        send_span = self.last_send - self.first_send
        return {
            "label": self.label,
            "offered_msg_s": self.offered_msg_s,
            "sent": self.sent,
            "mix": dict(sorted(self.kinds.items())),
            "send_msg_s": round(self.sent / send_span, 1) if send_span > 0 else None,
            "completed": self.done,
            "lost": self.sent - self.done,
            "routed": self.routed,
            "retours": self.retours,
            "unexpected": self.unexpected,
            "throughput_msg_s": round(self.done / span, 1) if span > 0 else 0.0,
            "latency_ms": {
                "p50": round(percentile(lat, 50) * 1000, 1),
                "p95": round(percentile(lat, 95) * 1000, 1),
                "p99": round(percentile(lat, 99) * 1000, 1),
                "max": round((lat[-1] if lat else 0.0) * 1000, 1),
                "mean": round(sum(lat) / len(lat) * 1000, 1) if lat else 0.0,
            },
            "resources": {name: u.as_dict() for name, u in self.usage.items()},
            # Anything else running meanwhile (another test suite...) skews every figure.
            "machine_cpu_pct_of_one_core": round(self.machine_cpu_pct, 1),
            "others_cpu_pct_of_one_core": round(
                self.machine_cpu_pct - sum(u.cpu_pct for u in self.usage.values()), 1
            ),
        }


@dataclass(slots=True)
class _Pending:
    out: Outgoing
    sent_at: float  # epoch seconds, the hub-received-at of the record
    level: Level


class Tracker:
    """One producer for ingress topics; one consumer (assigned, no group) on the outputs."""

    def __init__(self, bootstrap: str, outputs: Sequence[str], mix: Mix) -> None:
        self.mix = mix
        self.outputs = list(outputs)
        self.pending: dict[uuid.UUID, _Pending] = {}
        self.unknown = 0  # output records that match nothing sent
        self.producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap,
            acks=1,
            linger_ms=2,  # as the adapters (HUB_PRODUCER_LINGER_MS)
            max_batch_size=1024 * 1024,  # the 16 KiB default caps sending at ~11k msg/s
            max_request_size=32 * 1024 * 1024,
        )
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=10,  # tansu holds every fetch this long
            max_partition_fetch_bytes=4 * 1024 * 1024,
        )
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.producer.start()
        await self.consumer.start()
        await self.consumer.topics()  # fetches fresh metadata
        parts = [
            TopicPartition(topic, p)
            for topic in self.outputs
            for p in sorted(self.consumer.partitions_for_topic(topic) or ())
        ]
        if not parts:
            raise RuntimeError(f"no partitions found for {self.outputs}")
        self.consumer.assign(parts)
        self._task = asyncio.create_task(self._consume(), name="egress-tracker")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.consumer.stop()
        await self.producer.stop()

    async def _consume(self) -> None:
        while True:
            fetched = await self.consumer.getmany(timeout_ms=100, max_records=10_000)
            now = time.time()
            for records in fetched.values():
                for record in records:
                    self._arrived(record, now)

    def _arrived(self, record: Any, now: float) -> None:
        headers = {k: bytes(v) for k, v in record.headers or ()}
        raw_id = headers.get(H.MESSAGE_ID.value)
        try:
            message_id = uuid.UUID(raw_id.decode()) if raw_id else None
        except ValueError:
            message_id = None
        p = self.pending.pop(message_id, None) if message_id else None
        retour = False
        if p is None:  # a retour the hub built: it carries its heenbericht's trace id
            traced = trace_id(headers)
            p = self.pending.pop(traced, None) if traced else None
            retour = True
        if p is None:
            self.unknown += 1
            return
        level = p.level
        level.done += 1
        level.last_done = now
        level.latencies.append(now - p.sent_at)
        if level.raw:
            level.routed += 1
            return
        if retour:
            level.retours += 1
            level.unexpected += not p.out.expect_retour
        else:
            level.routed += 1
            level.unexpected += p.out.expect_retour
            self.mix.delivered(p.out)

    async def _send(self, level: Level, out: Outgoing, topic: str, acks: list[Any]) -> None:
        at = datetime.now(UTC)
        self.pending[out.id] = _Pending(out, at.timestamp(), level)
        level.sent += 1
        level.kinds[out.kind] += 1
        acks.append(
            await self.producer.send(
                topic, out.payload, key=out.party.encode(), headers=out.headers(at)
            )
        )

    async def offer(
        self, level: Level, topic: str, rate: float, seconds: float, draw: Callable[[], Outgoing]
    ) -> None:
        """A token bucket: `rate` messages per second for `seconds`."""
        acks: list[Any] = []
        loop = asyncio.get_running_loop()
        start = loop.time()
        level.first_send = time.time()
        while (elapsed := loop.time() - start) < seconds:
            due = min(int(rate * elapsed) + 1 - level.sent, 2_000)
            for _ in range(due):
                await self._send(level, draw(), topic, acks)
            await asyncio.sleep(0.002)
        level.last_send = time.time()
        await asyncio.gather(*acks)

    async def burst(self, level: Level, topic: str, outs: Sequence[Outgoing]) -> None:
        """Everything at once, as fast as the producer takes it."""
        acks: list[Any] = []
        level.first_send = time.time()
        for i, out in enumerate(outs):
            await self._send(level, out, topic, acks)
            if i % 200 == 199:
                await asyncio.sleep(0)  # let the tracker read egress meanwhile
        level.last_send = time.time()
        await asyncio.gather(*acks)

    async def drained(self, level: Level, idle_timeout_s: float) -> None:
        """Until every message of the level came out, or none did for idle_timeout_s."""
        last_done, since = level.done, time.monotonic()
        while level.done < level.sent:
            await asyncio.sleep(0.05)
            if level.done != last_done:
                last_done, since = level.done, time.monotonic()
            elif time.monotonic() - since > idle_timeout_s:
                return
