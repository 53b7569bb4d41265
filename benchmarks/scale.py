"""The hub on two years of a region (issue #22): fills an embedded PostgreSQL with a synthetic
ledger (hub/infra/store/scale_fill.py) and measures, on it and on an empty database in the same
run, what must not grow with the ledger.

Per message: intake CPU and the p99 wall time of a batch at a fixed rate (in process, as
benchmarks/intake.py), `hub trace` by id and by Identificatie. Per periodic scan: duration, rows
of work found and rows examined (EXPLAIN ANALYZE, benchmarks/scaleprobe.py). And the storage
bytes per message. PASS: a per-message figure on the full ledger within 20% of the empty one;
a scan examining rows in proportion to what it finds (plus its limit).

    python -m benchmarks.scale [--messages 10000000] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from handlers import intake
from handlers.registry import DERIVATIONS
from hub.app import make_runtime
from hub.domain.parties import load_parties
from hub.infra import store
from hub.infra.embedded import EmbeddedPostgres, free_port
from hub.infra.store import (
    freeze,
    ledger,
    party_inbox,
    requests,
    retention,
    scale_fill,
    signals,
)
from hub.settings import Settings

from .intake import _incoming
from .loadgen import Mix
from .scaleprobe import ScanFigures, bounded, measure
from .stack import PG_SETTINGS

HOST = "127.0.0.1"
RETENTION_DAYS = 30
BACKLOG_DAYS = 5  # the purge run's backlog: payloads this many days past a shorter retention
PURGE_RUN = f"hub purge, {BACKLOG_DAYS} days' backlog"
# Rows a scan may examine per row of work it finds (bounded(): 4 unless named here). A purge
# run reads each message's index entry, its deliveries and its row to update, and its closing
# count of what stays reads the purged messages' index entries again (dead until vacuum).
PER_FOUND = {PURGE_RUN: 8}


async def _database(admin: str, name: str, settings: Settings) -> str:
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    dsn = admin.rsplit("/", 1)[0] + f"/{name}"
    pool = await store.create_pool(dsn, min_size=1, max_size=1)
    try:
        await store.migrate(pool)
        await store.upsert_parties(
            pool, list(load_parties(settings.parties_file, settings.cak_party_code))
        )
    finally:
        await pool.close()
    return dsn


async def _fill(dsn: str, messages: int, chunk: int, now: datetime) -> float:
    heen = messages // 2
    t0 = time.perf_counter()
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SET synchronous_commit = off")
        for first in range(0, heen, chunk):
            last = min(heen, first + chunk)
            async with conn.transaction():
                await scale_fill.fill_chunk(
                    conn,
                    first,
                    last,
                    heen,
                    now,
                    days=730,
                    retention_days=RETENTION_DAYS,
                    payload_bytes=3000,
                )
            print(
                f"  fill: {last * 2:,} of {heen * 2:,} messages, {time.perf_counter() - t0:.0f} s",
                flush=True,
            )
        await scale_fill.finish(conn, now)
    finally:
        await conn.close()
    return time.perf_counter() - t0


async def _vacuum(dsn: str) -> float:
    """VACUUM ANALYZE after the fill, as autovacuum keeps a ledger that grew over two years:
    measured straight after a bulk fill, the intake competes with autovacuum working through
    every new table (the 10 M run's p99 of 537 ms against 105 before this)."""
    t0 = time.perf_counter()
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("VACUUM (ANALYZE)")
    finally:
        await conn.close()
    return time.perf_counter() - t0


async def _intake(runtime: Any, messages: int, rate: float, batch: int) -> dict[str, float]:
    ctx = intake.build_context(runtime)
    derivations = [make(runtime) for make in DERIVATIONS]
    mix = Mix()
    cpu = 0.0
    walls: list[float] = []
    offset = 0
    for n in range(messages // batch + 1):  # the first batch warms caches: not counted
        out = mix.batch(batch)
        items = [_incoming(o, offset + i) for i, o in enumerate(out)]
        offset += len(items)
        start = time.perf_counter()
        c0 = time.process_time()
        decisions = await intake.process(runtime, ctx, items, derivations)
        if n:
            cpu += time.process_time() - c0
            walls.append(time.perf_counter() - start)
        by_id = {d.rows[0].id: d.rows[0].status for d in decisions if d.rows}
        for o in out:
            if by_id.get(o.id) == "accepted":
                mix.delivered(o)
        await asyncio.sleep(max(0.0, batch / rate - (time.perf_counter() - start)))
    return {
        "intake_cpu_us_per_msg": round(cpu / (len(walls) * batch) * 1e6, 1),
        "intake_batch_p99_ms": round(statistics.quantiles(walls, n=100)[98] * 1000, 2),
    }


def _scans(now: datetime, sample_id: str, sample_ident: str) -> dict[str, Any]:
    cutoff = now - timedelta(days=RETENTION_DAYS)
    signal_day = (now - timedelta(days=7)).date()

    async def deadlines(c: Any, p: Any) -> int:
        return len(await ledger.claim_overdue(c, now))

    async def request_clock(c: Any, p: Any) -> int:
        return len(await requests.claim_overdue(c, now))

    async def no_start(c: Any, p: Any) -> int:
        return len(await signals.claim_without_start(c, signal_day))

    async def no_stop(c: Any, p: Any) -> int:
        return len(await signals.claim_without_stop(c, signal_day))

    async def purge(c: Any, p: Any) -> int:
        return (await retention.purge(p, cutoff, limit=1000)).messages

    async def purge_run(c: Any, p: Any) -> int:
        """A whole `hub purge` (passes of 5,000) of a backlog: the retention shortened by
        BACKLOG_DAYS, as after a purge that did not run for that long. Found: the messages
        it purged or read and kept."""
        backlog = cutoff + timedelta(days=BACKLOG_DAYS)
        run = await retention.purge_all(p, backlog, batch=5000)
        return run.done.messages + run.kept.messages

    async def retours_overdue(c: Any, p: Any) -> int:
        return len(await ledger.overdue(p))

    async def cutover(c: Any, p: Any) -> int:
        return len(await freeze.take_parked(c, "iwmo", "3.2"))

    async def freeze_gauge(c: Any, p: Any) -> int:
        return sum(sum(counts) for counts in (await freeze.unsent(c)).values())

    async def broken_pairs(c: Any, p: Any) -> int:
        return len(await freeze.broken_pairs(p, "iwmo", "3.2"))

    async def inbox_listing(c: Any, p: Any) -> int:
        party = scale_fill.NEVER_ACKNOWLEDGES
        return len(await party_inbox.inbox(p, "ggk", [party], 100))  # a poll's page

    async def trace_id(c: Any, p: Any) -> int:
        return len(await ledger.trace(p, sample_id))

    async def trace_ident(c: Any, p: Any) -> int:
        return len(await ledger.trace(p, sample_ident))

    async def trace_missing(c: Any, p: Any) -> int:
        return len(await ledger.trace(p, "no-such-identificatie"))

    # name -> (call, the scan's own limit)
    return {
        "deadlines (claim_overdue)": (deadlines, 500),
        "request clock (claim_overdue)": (request_clock, 500),
        # A pass examines up to 10 toewijzingen per signal it may raise (1,000), with three
        # lookups each (hub/infra/store/signals.py).
        "signals no-start": (no_start, 30_000),
        "signals no-stop": (no_stop, 30_000),
        "purge (1,000 a pass)": (purge, 1000),
        PURGE_RUN: (purge_run, 0),
        "hub retours overdue": (retours_overdue, 1000),
        "cutover (take_parked)": (cutover, 0),
        # Sampled every 10 s while a freeze is under way (migration 0031).
        "freeze gauge (unsent_counts)": (freeze_gauge, 0),
        "freeze report (broken pairs)": (broken_pairs, 0),
        "inbox page, a gemeente that never acknowledges": (inbox_listing, 0),
        "trace by id": (trace_id, 0),
        "trace by Identificatie": (trace_ident, 0),
        "trace, unknown": (trace_missing, 0),
    }


async def _trace_ms(dsn: str, ref: str) -> float:
    """The quickest of 15 traces of one message: the one least disturbed by other work on
    the machine (a per-message figure, compared between ledgers)."""
    pool = await store.create_pool(dsn, min_size=1, max_size=1)
    try:
        times = []
        for _ in range(15):
            t0 = time.perf_counter()
            await ledger.trace(pool, ref)
            times.append(time.perf_counter() - t0)
    finally:
        await pool.close()
    return round(min(times) * 1000, 2)


async def _measure(
    dsn: str, settings: Settings, args: argparse.Namespace, now: datetime
) -> dict[str, Any]:
    # Intake first: on the empty database its messages are then what a trace finds.
    runtime = make_runtime(
        settings.model_copy(update={"database_url": dsn}), f"{HOST}:1", dsn, "bench-scale"
    )
    pool = await store.create_pool(dsn, min_size=1, max_size=2)
    runtime.attach_pool(pool)
    try:
        figures = await _intake(runtime, args.intake_messages, args.rate, args.batch)
    finally:
        runtime.attach_pool(None)
        await pool.close()
    conn = await asyncpg.connect(dsn)
    try:
        sample = await conn.fetchrow(
            "SELECT id::text AS id, identificatie FROM message WHERE direction = 'heen'"
            " AND retour_id IS NOT NULL AND identificatie IS NOT NULL"
            " ORDER BY received_at LIMIT 1"
        )
        assert sample is not None, "intake accepted no heenbericht with a retour"
        scans: dict[str, dict[str, Any]] = {}
        for name, (call, limit) in _scans(now, sample["id"], sample["identificatie"]).items():
            f: ScanFigures = await measure(conn, call)
            scans[name] = {
                "ms": f.ms,
                "found": f.found,
                "examined": f.examined,
                "buffers": f.buffers,
                "bounded": bounded(f, limit, PER_FOUND.get(name, 4)),
                "nodes": sorted(set(f.nodes)),
            }
        messages = await conn.fetchval("SELECT count(*) FROM message")
        size = await conn.fetchval(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'm')"
        )
    finally:
        await conn.close()
    figures["trace_by_id_ms"] = await _trace_ms(dsn, sample["id"])
    figures["trace_by_identificatie_ms"] = await _trace_ms(dsn, sample["identificatie"])
    return {
        "messages": int(messages),
        "bytes": int(size),
        "bytes_per_message": round(size / messages) if messages else None,
        "per_message": figures,
        "scans": scans,
    }


async def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    postgres = EmbeddedPostgres(
        workdir / "pg", HOST, free_port(), workdir / "postgres.log", server_settings=PG_SETTINGS
    )
    admin = postgres.start()
    try:
        settings = Settings(database_url=admin, data_dir=workdir, kafka_bootstrap=f"{HOST}:1")
        now = datetime.now(UTC)
        empty = await _database(admin, "scale_empty", settings)
        full = await _database(admin, "scale_full", settings)
        print(f"filling {args.messages:,} messages ...", flush=True)
        fill_s = await _fill(full, args.messages, args.chunk, now)
        vacuum_s = await _vacuum(full)
        print(f"  vacuum analyze: {vacuum_s:.0f} s", flush=True)
        return {
            "benchmark": "scale",
            "fill_seconds": round(fill_s, 1),
            "vacuum_seconds": round(vacuum_s, 1),
            "empty": await _measure(empty, settings, args, now),
            "full": await _measure(full, settings, args, now),
        }
    finally:
        postgres.stop()


def verdicts(result: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(figure, empty, full, PASS/FAIL) rows of the table."""
    rows: list[tuple[str, str, str, str]] = []
    e, f = result["empty"]["per_message"], result["full"]["per_message"]
    for key in e:
        ok = f[key] <= 1.2 * e[key]
        rows.append((key, str(e[key]), str(f[key]), "PASS" if ok else "FAIL"))
    for name, s in result["full"]["scans"].items():
        es = result["empty"]["scans"][name]
        rows.append(
            (
                f"{name}: ms / found / examined",
                f"{es['ms']} / {es['found']} / {es['examined']}",
                f"{s['ms']} / {s['found']} / {s['examined']}",
                "PASS" if s["bounded"] else "FAIL",
            )
        )
    rows.append(
        (
            "storage bytes per message",
            str(result["empty"]["bytes_per_message"]),
            str(result["full"]["bytes_per_message"]),
            "-",
        )
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=10_000_000)
    parser.add_argument("--quick", action="store_true", help="200,000 messages, fewer intakes")
    parser.add_argument("--chunk", type=int, default=100_000, help="heenberichten a transaction")
    parser.add_argument("--intake-messages", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=200.0, help="intake msg/s")
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--out", type=Path, default=Path("bench-results/scale.json"))
    args = parser.parse_args()
    if args.quick:
        args.messages, args.intake_messages = 200_000, 600
    workdir = Path(tempfile.mkdtemp(prefix="isdhub-bench-scale-"))
    os.chmod(workdir, 0o755)  # noqa: S103 - the PostgreSQL user must traverse it
    try:
        result = asyncio.run(run(args, workdir))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    table = verdicts(result)
    width = max(len(r[0]) for r in table)
    print(
        f"\nfill: {result['full']['messages']:,} messages in {result['fill_seconds']} s,"
        f" then VACUUM ANALYZE in {result['vacuum_seconds']} s"
    )
    print(f"{'figure':<{width}}  {'empty':>22}  {'full':>26}  verdict")
    for name, empty, full, verdict in table:
        print(f"{name:<{width}}  {empty:>22}  {full:>26}  {verdict}")
    result["table"] = [list(r) for r in table]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, default=str) + "\n")


if __name__ == "__main__":
    main()
