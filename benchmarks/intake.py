"""CPU cost of the core's intake per message, in process: the benchmark mix through
`handlers.intake.process` on an embedded PostgreSQL, without a broker.

The pipeline benchmark measures the whole stack, where two cores are shared by the broker,
PostgreSQL, the load generator and the core; this one isolates what the core's own code costs
per message (CPU seconds, not wall time), so a change to the hot path can be judged on a busy
machine too. `--profile` adds a cProfile listing of the hottest functions. After the run it
times, on the same messages, what every message costs before any decision (parse, XSD, the
in-message rules, the history facts: benchmarks/intakefloor.py) against issue #22's target.

    python -m benchmarks.intake [--messages 6000] [--batch 500] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import shutil
import statistics
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from handlers import intake
from handlers.registry import DERIVATIONS
from hub.app import make_runtime
from hub.domain.decide import Incoming
from hub.domain.parties import load_parties
from hub.infra import store
from hub.infra.embedded import EmbeddedPostgres, free_port
from hub.infra.runtime import freeze_startup_heap, tune_collector
from hub.settings import Settings

from . import intakefloor
from .loadgen import Mix, Outgoing
from .stack import PG_SETTINGS

HOST = "127.0.0.1"
TARGET_US = 250.0  # issue #22: the core's intake, µs of CPU a message


def _incoming(out: Outgoing, offset: int) -> Incoming:
    return Incoming(
        id=out.id,
        node=out.node,
        party=out.party,
        received_at=datetime.now(UTC),
        payload=out.payload,
        partition=offset % 6,
        offset=offset,
        topic="bench.ingress",
        trace_headers={},
    )


async def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    postgres = EmbeddedPostgres(
        workdir / "pg", HOST, free_port(), workdir / "postgres.log", server_settings=PG_SETTINGS
    )
    dsn = postgres.start()
    try:
        settings = Settings(database_url=dsn, data_dir=workdir, kafka_bootstrap=f"{HOST}:1")
        registry = load_parties(settings.parties_file, settings.cak_party_code)
        setup = await store.create_pool(dsn, min_size=1, max_size=1)
        try:
            await store.migrate(setup)
            await store.upsert_parties(setup, list(registry))
        finally:
            await setup.close()
        runtime = make_runtime(settings, f"{HOST}:1", dsn, "bench-intake")
        pool = await store.create_pool(dsn, min_size=1, max_size=2)
        runtime.attach_pool(pool)
        try:
            return await _measure(args, runtime)
        finally:
            runtime.attach_pool(None)
            await pool.close()
    finally:
        postgres.stop()


async def _measure(args: argparse.Namespace, runtime: Any) -> dict[str, Any]:
    ctx = intake.build_context(runtime)
    derivations = [make(runtime) for make in DERIVATIONS]
    mix = Mix()
    tune_collector()  # as `hub core` does (hub/ops/cli/run.py)
    freeze_startup_heap()  # as the core does once it has started
    profiler = cProfile.Profile() if args.profile else None
    outcomes: Counter[str] = Counter()
    cpu = wall = 0.0
    per_batch: list[float] = []  # CPU µs per message of each batch: its median resists noise
    payloads: list[bytes] = []  # the counted messages, for the floor
    done = offset = 0
    warmup = args.batch  # the first batch pays for imports and caches; not counted
    while done < args.messages + warmup:
        batch = mix.batch(args.batch)
        items = [_incoming(o, offset + i) for i, o in enumerate(batch)]
        offset += len(items)
        counted = done >= warmup
        if counted and profiler is not None:
            profiler.enable()
        c0, w0 = time.process_time(), time.perf_counter()
        decisions = await intake.process(runtime, ctx, items, derivations)
        c1, w1 = time.process_time(), time.perf_counter()
        if counted and profiler is not None:
            profiler.disable()
        if counted:
            payloads.extend(i.payload for i in items)
            cpu += c1 - c0
            wall += w1 - w0
            per_batch.append((c1 - c0) / len(items) * 1e6)
        by_id = {d.rows[0].id: d.rows[0].status for d in decisions if d.rows}
        for out in batch:
            status = by_id.get(out.id, "none")
            if counted:
                outcomes[f"{out.kind}:{status}"] += 1
            if status == "accepted":
                mix.delivered(out)
        done += len(batch)
    n = args.messages
    figures: dict[str, Any] = {
        "benchmark": "intake",
        "messages": n,
        "batch": args.batch,
        "cpu_us_per_msg": round(cpu / n * 1e6, 1),
        "cpu_us_per_msg_median_batch": round(statistics.median(per_batch), 1),
        # The quickest tenth of the batches: the least disturbed by other work on the machine.
        "cpu_us_per_msg_p10_batch": round(statistics.quantiles(per_batch, n=10)[0], 1),
        "wall_us_per_msg": round(wall / n * 1e6, 1),
        "cpu_bound_msg_s": round(n / cpu, 0),
        "wall_msg_s": round(n / wall, 0),
        "outcomes": dict(sorted(outcomes.items())),
        "target_us_per_msg": TARGET_US,
    }
    secret = runtime.settings.person_key_secret.get_secret_value().encode()
    figures["floor_us_per_msg"] = intakefloor.measure(payloads, runtime.validator, secret)
    if profiler is not None:
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text).sort_stats(args.sort)
        stats.print_stats(args.top)
        if args.callers:
            stats.print_callers(args.callers)
        figures["profile"] = text.getvalue()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=6000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--callers", help="also list who calls functions matching this")
    parser.add_argument("--sort", default="tottime", help="pstats order: tottime, cumulative")
    parser.add_argument("--out", type=Path, default=Path("bench-results/intake.json"))
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="isdhub-bench-intake-"))
    os.chmod(workdir, 0o755)  # noqa: S103 - the PostgreSQL user must traverse it
    try:
        figures = asyncio.run(run(args, workdir))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    profile = figures.pop("profile", None)
    print(json.dumps(figures, indent=2))
    for line in intakefloor.lines(
        figures["floor_us_per_msg"], figures["cpu_us_per_msg"], TARGET_US
    ):
        print(line)
    if profile:
        print(profile)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
