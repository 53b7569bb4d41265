"""The raw reference pipeline the hub is compared with: what one process does at best with the
same libraries and none of the hub's decisions.

aiokafka batch consume → lxml parse + XSD validation (the packs' compiled schemas) → asyncpg
COPY of one row per message into a scratch table, in one transaction per batch → produce every
message to an output topic → commit offsets. Run as its own process by benchmarks.pipeline:

    python -m benchmarks.rawpipe --bootstrap H:P --dsn URL --input T --output T --group G

It prints `ready` once it holds its partitions, and a JSON line with its counters on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
import uuid
from datetime import datetime
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from lxml import etree

from hub.domain.headers import H
from hub.domain.packs import load_default_packs

TABLE = "bench_raw"
COLUMNS = ["id", "received_at", "afzender", "ontvanger", "bericht_code", "identificatie", "valid"]
COLUMNS += ["payload"]
_DDL = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    id uuid PRIMARY KEY, received_at timestamptz NOT NULL, afzender text, ontvanger text,
    bericht_code text, identificatie text, valid boolean NOT NULL, payload bytea NOT NULL
)"""


def _text(root: etree._Element, path: str) -> str | None:
    found = root.find(path)
    return found.text if found is not None else None


class Raw:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.packs = load_default_packs()
        self.parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, remove_blank_text=False
        )
        self.processed = 0
        self.batches = 0
        self.busy_s = 0.0
        self.stopping = asyncio.Event()

    def row(self, record: Any) -> tuple[object, ...]:
        headers = {k: bytes(v).decode() for k, v in record.headers or ()}
        root = etree.fromstring(record.value, self.parser)
        tag = root.tag if isinstance(root.tag, str) else ""
        namespace = tag[1 : tag.find("}")] if tag.startswith("{") else ""
        pm = self.packs.match(namespace)
        valid = pm is not None and bool(pm.schema.validate(root))
        return (
            uuid.UUID(headers[H.MESSAGE_ID.value]),
            datetime.fromisoformat(headers[H.RECEIVED_AT.value]),
            _text(root, "{*}Header/{*}Afzender"),
            _text(root, "{*}Header/{*}Ontvanger"),
            _text(root, "{*}Header/{*}BerichtCode"),
            _text(root, "{*}Header/{*}BerichtIdentificatie/{*}Identificatie"),
            valid,
            record.value,
        )

    async def run(self) -> None:
        a = self.args
        pool = await asyncpg.create_pool(a.dsn, min_size=1, max_size=2)
        await pool.execute(_DDL)
        consumer = AIOKafkaConsumer(
            a.input,
            bootstrap_servers=a.bootstrap,
            group_id=a.group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=a.fetch_wait_ms,
            max_partition_fetch_bytes=4 * 1024 * 1024,
        )
        producer = AIOKafkaProducer(
            bootstrap_servers=a.bootstrap, linger_ms=2, max_batch_size=1024 * 1024
        )
        await producer.start()
        await consumer.start()
        try:
            while not consumer.assignment():
                await consumer.getmany(timeout_ms=100)
            print("ready", flush=True)
            while not self.stopping.is_set():
                fetched = await consumer.getmany(timeout_ms=100, max_records=a.batch)
                records = [r for part in fetched.values() for r in part]
                if not records:
                    continue
                start = time.perf_counter()
                rows = [self.row(r) for r in records]
                async with pool.acquire() as conn, conn.transaction():
                    await conn.copy_records_to_table(TABLE, records=rows, columns=COLUMNS)
                sent = [
                    await producer.send(a.output, r.value, key=r.key, headers=list(r.headers))
                    for r in records
                ]
                await asyncio.gather(*sent)
                await consumer.commit()
                self.busy_s += time.perf_counter() - start
                self.processed += len(records)
                self.batches += 1
        finally:
            await consumer.stop()
            await producer.stop()
            await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--fetch-wait-ms", type=int, default=10)
    raw = Raw(parser.parse_args())

    async def go() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, raw.stopping.set)
        await raw.run()  # its loop ends within one fetch timeout of a stop signal

    asyncio.run(go())
    counters = {"processed": raw.processed, "batches": raw.batches, "busy_s": raw.busy_s}
    sys.stdout.write(json.dumps(counters) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
