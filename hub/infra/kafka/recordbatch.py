"""Producing many records at once: one Kafka record batch per partition, built here.

aiokafka's `send()` is a coroutine per record that waits on metadata, serializes, lists the
topic's partitions twice and hashes the key in pure Python before it appends to a batch;
for the relay, which sends thousands of records a second, that per-record path cost more
than the rest of the publish. `send_records` does the same work once per topic and per
distinct key and appends to aiokafka's own batch builders (`create_batch`/`send_batch`).

Records land on the partition aiokafka's default partitioner (the Java client's murmur2)
would choose, so keyed order and placement do not change with this path.
"""

from __future__ import annotations

import asyncio
import functools
import random
from collections.abc import Iterable, Sequence
from typing import Any

from aiokafka.partitioner import murmur2

Record = tuple[str, bytes | None, bytes, Sequence[tuple[str, bytes]]]  # topic, key, value, headers


@functools.lru_cache(maxsize=4096)
def _slot(key: bytes, count: int) -> int:
    # Egress keys are the few receiving parties: cached, each is hashed once.
    return int(murmur2(key) & 0x7FFFFFFF) % count


def partition_for(key: bytes | None, partitions: Sequence[int]) -> int:
    """The partition of `key` among `partitions` (sorted), as the default partitioner picks
    it; a record without a key goes to a random one."""
    if key is None:
        return random.choice(partitions)
    return partitions[_slot(key, len(partitions))]


async def send_records(producer: Any, records: Iterable[Record]) -> list[asyncio.Future[Any]]:
    """Queue `records` on `producer` (an AIOKafkaProducer) in order, one batch per partition
    at a time; returns the futures to wait on (each is done when Kafka has its batch)."""
    futures: list[asyncio.Future[Any]] = []
    try:
        await _queue(producer, records, futures)
    except BaseException:  # blind: every way out (cancellation too) reads the futures; raised again
        # The batches queued before the failure still settle: read their outcome so asyncio
        # does not log an unread exception for each (the caller sends everything again).
        for future in futures:
            future.add_done_callback(_read_outcome)
        raise
    return futures


def _read_outcome(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


async def _queue(
    producer: Any, records: Iterable[Record], futures: list[asyncio.Future[Any]]
) -> None:
    partitions: dict[str, list[int]] = {}
    open_batches: dict[tuple[str, int], Any] = {}
    for topic, key, value, headers in records:
        known = partitions.get(topic)
        if known is None:
            # aiokafka's own wait (what send() calls): refreshes metadata for a new topic.
            found = await producer.client._wait_on_metadata(topic)
            known = partitions[topic] = sorted(found)
        partition = partition_for(key, known)
        where = (topic, partition)
        batch = open_batches.get(where)
        if batch is None:
            batch = open_batches[where] = producer.create_batch()
        if batch.append(timestamp=None, key=key, value=value, headers=headers) is None:
            # Full: send it and start the next; a batch always takes its first record.
            futures.append(await producer.send_batch(batch, topic, partition=partition))
            batch = open_batches[where] = producer.create_batch()
            batch.append(timestamp=None, key=key, value=value, headers=headers)
    for (topic, partition), batch in open_batches.items():
        futures.append(await producer.send_batch(batch, topic, partition=partition))
