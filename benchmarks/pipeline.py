"""End-to-end benchmark of the hub core: ingress → core → egress on a real tansu and PostgreSQL.

Starts its own embedded broker and database, runs `hub core` as a subprocess, offers a realistic
iWmo/iJw mix (301 → 305 → 307 trajectories, ~5 % invalid messages that get retours) at a sweep
of rates, then unthrottled; then runs the raw reference pipeline (benchmarks.rawpipe) on the
same mix. Prints every figure, writes bench-results/pipeline.json and pipeline.png.

Run: `python -m benchmarks.pipeline` (~2-3 min) or `--quick` (~40 s).
Targets: hub unthrottled / raw ≥ 0.70; p99 ≤ 150 ms at 2,000 msg/s offered.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import platform
import signal
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from benchmarks import budget, report
from benchmarks.loadgen import Mix
from benchmarks.procstats import Group, Sampler
from benchmarks.stack import HOST, Stack, get_text
from benchmarks.tracker import Level, Tracker
from hub.domain import topics
from hub.domain.messages import Node
from hub.domain.parties import load_parties
from hub.ops.startup import prepare
from hub.settings import Settings


@dataclass(frozen=True)
class Plan:
    warmup: tuple[float, float]  # (msg/s, seconds): not a measurement, fills the ready pools
    rates: tuple[float, ...]
    seconds: float
    burst: int  # messages in the unthrottled run (and in the raw reference run)
    idle_timeout_s: float  # a level ends when nothing came out for this long


FULL = Plan((300, 4), (500, 1000, 2000, 3000), 10, 20_000, 20)
QUICK = Plan((300, 2), (500, 2000), 5, 5_000, 10)


async def _create_topics(bootstrap: str, names: Sequence[str], partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(n, partitions, 1) for n in names])
    finally:
        await admin.close()


async def _pg_settings(dsn: str, values: dict[str, str]) -> None:
    if not values:
        return
    conn = await asyncpg.connect(dsn)
    try:
        for name, value in values.items():
            if not name.replace("_", "").isalnum():
                raise SystemExit(f"--pg-set: {name!r} is not a setting name")
            await conn.execute(f"ALTER SYSTEM SET {name} = $${value}$$")
        await conn.execute("SELECT pg_reload_conf()")
    finally:
        await conn.close()


async def _ledger_counts(dsn: str) -> dict[str, Any]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT status, count(*) AS n FROM message GROUP BY status")
        outbox = await conn.fetchval("SELECT count(*) FROM outbox")
        return {"messages_by_status": {r["status"]: r["n"] for r in rows}, "outbox_left": outbox}
    finally:
        await conn.close()


async def _stage_counters(stack: Stack) -> dict[str, float]:
    """The intake stage series of every core, summed (benchmarks.budget)."""
    texts = [
        await asyncio.to_thread(get_text, f"http://{HOST}:{port}/metrics")
        for port in stack.core_ports
    ]
    return budget.stage_counters(texts)


async def run_level(
    tracker: Tracker,
    level: Level,
    groups: list[Group],
    plan: Plan,
    send: Any,
) -> dict[str, Any]:
    sampler = Sampler(groups)
    sampler.start()
    await send
    await tracker.drained(level, plan.idle_timeout_s)
    level.usage = await sampler.stop()
    level.machine_cpu_pct = sampler.machine_pct
    figures = level.figures()
    lat = figures["latency_ms"]
    print(
        f"  {level.label:<11} sent {level.sent:>6}  through {figures['throughput_msg_s']:>7.0f}"
        f" msg/s  p50 {lat['p50']:>7.1f}  p99 {lat['p99']:>7.1f} ms  lost {figures['lost']}",
        flush=True,
    )
    return figures


async def bench(stack: Stack, settings: Settings, plan: Plan, args: argparse.Namespace) -> Any:
    registry = load_parties(settings.parties_file, settings.cak_party_code)
    await prepare(settings, stack.bootstrap, stack.dsn, registry)
    raw_in, raw_out = settings.topic("raw.in"), settings.topic("raw.out")
    await _create_topics(stack.bootstrap, [raw_in, raw_out], stack.partitions)
    await _pg_settings(stack.dsn, dict(kv.split("=", 1) for kv in args.pg_set))
    stack.start_core(settings)
    await stack.core_ready()
    assert stack.core is not None
    assert stack.broker.proc is not None
    assert stack.postgres.proc is not None
    infra = [
        Group("tansu", stack.broker.proc.pid),
        Group("postgres", stack.postgres.proc.pid),
        Group("bench", os.getpid(), recursive=False),
    ]
    hub_groups = [*(Group(f"core{i or ''}", c.pid) for i, c in enumerate(stack.cores)), *infra]
    ingress = topics.name(settings, topics.INGRESS)
    egress = [topics.egress_name(settings, node) for node in Node]
    mix = Mix()
    tracker = Tracker(stack.bootstrap, [*egress, raw_out], mix)
    await tracker.start()
    levels: list[dict[str, Any]] = []
    try:
        print(f"hub core pid {stack.core.pid}; offering the mix to {ingress}", flush=True)
        rate, seconds = plan.warmup
        lv = Level("warmup", rate)
        levels.append(
            await run_level(
                tracker, lv, hub_groups, plan, tracker.offer(lv, ingress, rate, seconds, mix.next)
            )
        )
        for rate in plan.rates:
            lv = Level(f"{rate:.0f}/s", rate)
            send = tracker.offer(lv, ingress, rate, plan.seconds, mix.next)
            levels.append(await run_level(tracker, lv, hub_groups, plan, send))
        burst = mix.batch(plan.burst)
        lv = Level("unthrottled", None)
        if args.profile:
            stack.start_profiler(args.out_dir / "core-profile.txt")
        stages_before = await _stage_counters(stack)
        levels.append(
            await run_level(tracker, lv, hub_groups, plan, tracker.burst(lv, ingress, burst))
        )
        stage_figures = budget.stages(stages_before, await _stage_counters(stack))
        stack.stop_profiler()
        metrics = await asyncio.to_thread(get_text, f"http://{HOST}:{stack.core_port}/metrics")
        args.out_dir.mkdir(parents=True, exist_ok=True)
        (args.out_dir / "core-metrics.txt").write_text(metrics)
        ledger = await _ledger_counts(stack.dsn)

        stack.start_raw(settings, raw_in, raw_out)
        await stack.raw_ready()
        assert stack.raw is not None
        raw_groups = [Group("raw", stack.raw.pid), *infra]
        same = [dataclasses.replace(o, id=uuid.uuid4()) for o in burst]
        lv = Level("raw", None, raw=True)
        levels.append(
            await run_level(tracker, lv, raw_groups, plan, tracker.burst(lv, raw_in, same))
        )
        raw_counters = stack.stop_raw()
    finally:
        await tracker.stop()
    return levels, {
        "ledger": ledger,
        "raw_counters": raw_counters,
        "core_stages_unthrottled": stage_figures,
        "unmatched_egress_records": tracker.unknown,
        "mix_substituted_by_301": mix.substituted,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a ~40 s run with fewer levels")
    parser.add_argument("--rates", help="comma-separated offered rates in msg/s")
    parser.add_argument("--seconds", type=float, help="length of each rated level")
    parser.add_argument("--burst", type=int, help="messages in the unthrottled and raw runs")
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--cores", type=int, default=1, help="hub core processes (one group)")
    parser.add_argument("--core-env", action="append", default=[], metavar="HUB_X=VALUE")
    parser.add_argument(
        "--pg-set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a PostgreSQL setting (ALTER SYSTEM) for experiments, e.g. synchronous_commit=off",
    )
    parser.add_argument("--profile", action="store_true", help="py-spy the core (unthrottled)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs)")
    parser.add_argument("--out-dir", type=Path, default=Path("bench-results"))
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.rates:
        plan = dataclasses.replace(plan, rates=tuple(float(r) for r in args.rates.split(",")))
    if args.seconds:
        plan = dataclasses.replace(plan, seconds=args.seconds)
    if args.burst:
        plan = dataclasses.replace(plan, burst=args.burst)
    core_env = dict(kv.split("=", 1) for kv in args.core_env)

    def interrupted(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    stack = Stack(args.partitions, core_env, args.keep, cores=args.cores)
    started = time.monotonic()
    try:
        settings = stack.start_infrastructure()
        print(f"broker {stack.bootstrap}, postgres {stack.dsn}, work dir {stack.workdir}")
        levels, extra = asyncio.run(bench(stack, settings, plan, args))
    except KeyboardInterrupt:
        print("interrupted; stopping", file=sys.stderr)
        return 130
    finally:
        stack.stop()
    summary = report.verdicts(levels)
    cpus = os.cpu_count() or 1
    cpu_budget = budget.budget(levels, cpus, report.TARGET_RATIO, report.P99_AT_MSG_S)
    result = {
        "benchmark": "pipeline",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": cpus, "python": platform.python_version()},
        "plan": dataclasses.asdict(plan),
        "core_env": core_env,
        "pg_settings": args.pg_set,
        "partitions": args.partitions,
        "cores": args.cores,
        "summary": summary,
        "cpu_budget": cpu_budget,
        "levels": levels,
        **extra,
        "runtime_s": round(time.monotonic() - started, 1),
    }
    print()
    print(report.table(levels, summary))
    print()
    print(budget.table(cpu_budget, extra["core_stages_unthrottled"], report.TARGET_RATIO))
    report.write_json(args.out_dir / "pipeline.json", result)
    report.write_png(args.out_dir / "pipeline.png", levels, summary)
    print(f"\nwrote {args.out_dir / 'pipeline.json'} and {args.out_dir / 'pipeline.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
