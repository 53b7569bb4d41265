"""How soon a rejected upload's retour is in its sender's inbox while the mix flows (issue #22:
p99 ≤ 1 s at 200 msg/s), through the whole stack: embedded tansu and PostgreSQL, `hub core`
and both adapters, the benchmark mix (benchmarks.loadgen, ~5 % invalid) uploaded over HTTP
with each party's token at a fixed rate.

A rejected upload's time runs from its receipt at the adapter (the ledger's received_at, set
as the adapter journals it) to the moment its retour's delivery row was written, when
`GET /v1/inbox` lists it (delivery.available_at); both clocks are this machine's. It also
prints the CPU each process spent per uploaded message, so the whole stack's cost is seen
with the adapters that real traffic passes.

    python -m benchmarks.retour [--rate 200] [--seconds 60] [--statements 15]
                                [--out bench-results/retour.json]

`--statements N` loads pg_stat_statements into the embedded PostgreSQL and lists the N
statements that took most of its time while the mix was measured, per uploaded message.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

import asyncpg

from benchmarks.loadgen import Mix, Outgoing
from benchmarks.procstats import Group, Sampler
from benchmarks.rawhttp import HttpError, RawHttp
from benchmarks.stack import HOST, Stack
from benchmarks.tracker import percentile
from hub.domain.parties import load_parties, new_token
from hub.infra import store
from hub.ops.startup import prepare

TARGET_P99_S = 1.0
# A trajectory's next step is offered this long after its previous upload was accepted, so
# the core has routed it (the mix's 305 needs its 301 in the ledger; TR019).
STEP_AFTER_S = 2.0

_LATENCIES = """
    SELECT extract(epoch FROM d.available_at - h.received_at) AS seconds
    FROM message h
    JOIN message r ON r.answers = h.id AND r.direction = 'retour'
    JOIN delivery d ON d.message_id = r.id
    WHERE h.status = 'rejected' AND h.received_at >= $1
"""


async def _tokens(dsn: str, parties: set[str]) -> dict[str, str]:
    pool = await store.create_pool(dsn, min_size=1, max_size=1)
    try:
        tokens = {code: new_token() for code in parties}
        for code, token in tokens.items():
            await store.add_token(pool, code, token)
        return tokens
    finally:
        await pool.close()


class Uploader:
    """Uploads the mix at a fixed rate; counts what the adapters answered."""

    def __init__(self, ports: dict[str, int], tokens: dict[str, str], mix: Mix) -> None:
        self.ports, self.tokens, self.mix = ports, tokens, mix
        self.clients: list[RawHttp] = []  # one per worker: a connection per port each
        self.answers: dict[int, int] = {}  # HTTP status (0: no answer) -> uploads
        self.refused: list[str] = []
        self.sent = 0
        self.expected_retours = 0
        self.lag_s = 0.0  # the longest an upload waited for a free connection
        self.took_s = 0.0  # from the first offer to the last answer

    async def _upload(self, client: RawHttp, out: Outgoing) -> None:
        headers = {"Authorization": f"Bearer {self.tokens[out.party]}"}
        try:
            status, body = await client.post(
                self.ports[out.node], "/v1/messages", out.payload, headers
            )
        except HttpError as exc:  # the stack could not keep up: counted, not fatal
            self.answers[0] = self.answers.get(0, 0) + 1
            self.refused.append(str(exc)[:200])
            return
        self.answers[status] = self.answers.get(status, 0) + 1
        if status != 202:
            self.refused.append(body[:200].decode(errors="replace"))
            return
        self.expected_retours += out.expect_retour
        if not out.expect_retour:
            asyncio.get_running_loop().call_later(STEP_AFTER_S, self.mix.delivered, out)

    async def offer(self, rate: float, seconds: float, workers: int = 32) -> None:
        """Offer `rate` uploads a second for `seconds` through `workers` connections; what
        they cannot take waits in a queue (its longest wait is `lag_s`)."""
        queue: asyncio.Queue[tuple[float, Outgoing] | None] = asyncio.Queue()

        async def work() -> None:
            client = RawHttp(HOST)
            self.clients.append(client)
            while (item := await queue.get()) is not None:
                queued_at, out = item
                self.lag_s = max(self.lag_s, time.monotonic() - queued_at)
                await self._upload(client, out)

        tasks = [asyncio.create_task(work()) for _ in range(workers)]
        start = time.monotonic()
        n = 0
        while (elapsed := time.monotonic() - start) < seconds:
            while n < int(elapsed * rate) + 1:
                queue.put_nowait((time.monotonic(), self.mix.next()))
                n += 1
            await asyncio.sleep(0.005)
        for _ in tasks:
            queue.put_nowait(None)
        await asyncio.gather(*tasks)
        self.sent = n
        self.took_s = time.monotonic() - start

    async def close(self) -> None:
        for client in self.clients:
            await client.close()


async def _latencies(dsn: str, since: Any, expected: int, wait_s: float) -> list[float]:
    """Every rejected upload's seconds to its retour's inbox row, once all are there (or
    `wait_s` passed: the missing ones are the caller's `late`)."""
    conn = await asyncpg.connect(dsn)
    try:
        deadline = time.monotonic() + wait_s
        while True:
            rows = await conn.fetch(_LATENCIES, since)
            if len(rows) >= expected or time.monotonic() > deadline:
                return sorted(float(r["seconds"]) for r in rows)
            await asyncio.sleep(0.5)
    finally:
        await conn.close()


async def _statements_reset(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        await conn.execute("SELECT pg_stat_statements_reset()")
    finally:
        await conn.close()


async def _statements_top(dsn: str, n: int) -> list[dict[str, Any]]:
    """The statements that took most of PostgreSQL's time since the last reset."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT calls, total_exec_time, rows, query FROM pg_stat_statements"
            " ORDER BY total_exec_time DESC LIMIT $1",
            n,
        )
    finally:
        await conn.close()
    return [
        {
            "calls": r["calls"],
            "total_ms": round(r["total_exec_time"], 1),
            "rows": r["rows"],
            "query": " ".join(r["query"].split())[:160],
        }
        for r in rows
    ]


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    server = {"shared_preload_libraries": "pg_stat_statements"} if args.statements else {}
    stack = Stack(partitions=6, core_env={}, keep=False, postgres_settings=server)
    statements: list[dict[str, Any]] = []
    try:
        settings = stack.start_infrastructure()
        registry = load_parties(settings.parties_file, settings.cak_party_code)
        await prepare(settings, stack.bootstrap, stack.dsn, registry)
        mix = Mix()
        parties = {p for std in mix.standards for p in (*std.gemeenten, std.aanbieder)}
        tokens = await _tokens(stack.dsn, parties)
        if args.statements:
            await _statements_reset(stack.dsn)
        stack.start_core(settings)
        ports = {node: stack.start_adapter(settings, node) for node in ("ggk", "vecozo")}
        await stack.core_ready()
        await stack.adapters_ready()
        assert stack.core is not None
        assert stack.broker.proc is not None
        assert stack.postgres.proc is not None
        groups = [
            Group("core", stack.core.pid),
            *(Group(f"adapter-{n}", proc.pid) for n, (proc, _) in stack.adapters.items()),
            Group("tansu", stack.broker.proc.pid),
            Group("postgres", stack.postgres.proc.pid),
            Group("loadgen", os.getpid(), recursive=False),
        ]
        # What the processes spend with no traffic at all (consumers polling, periodic
        # watches): the floor under every per-message figure at a low rate.
        idle = Sampler(groups)
        idle.start()
        await asyncio.sleep(10)
        idle_usage = await idle.stop()
        uploader = Uploader(ports, tokens, mix)
        try:
            print(f"warming up: {args.rate:.0f} msg/s for 10 s", flush=True)
            await uploader.offer(args.rate, 10)
            await asyncio.sleep(STEP_AFTER_S)
            uploader = Uploader(ports, tokens, mix)
            async with asyncpg.create_pool(stack.dsn, min_size=1, max_size=1) as pool:
                since = await pool.fetchval("SELECT now()")
            print(f"measuring: {args.rate:.0f} msg/s for {args.seconds:.0f} s", flush=True)
            if args.statements:
                await _statements_reset(stack.dsn)
            sampler = Sampler(groups)
            sampler.start()
            await uploader.offer(args.rate, args.seconds)
            usage = await sampler.stop()
            if args.statements:
                statements = await _statements_top(stack.dsn, args.statements)
            seconds = await _latencies(stack.dsn, since, uploader.expected_retours, 60)
        finally:
            await uploader.close()
    finally:
        stack.stop()
    p99 = percentile(seconds, 99) if seconds else float("inf")
    accepted = uploader.answers.get(202, 0)
    return {
        "benchmark": "retour",
        "rate_msg_s": args.rate,
        "seconds": args.seconds,
        "uploaded": uploader.sent,
        "answered_msg_s": round(sum(uploader.answers.values()) / uploader.took_s, 1),
        "longest_queue_wait_s": round(uploader.lag_s, 2),
        "answers": {str(k): v for k, v in sorted(uploader.answers.items())},
        "refused_examples": uploader.refused[:3],
        "rejected_expected": uploader.expected_retours,
        "retours_in_inbox": len(seconds),
        "retour_ms": {
            "p50": round(percentile(seconds, 50) * 1000, 1) if seconds else None,
            "p95": round(percentile(seconds, 95) * 1000, 1) if seconds else None,
            "p99": round(p99 * 1000, 1) if seconds else None,
            "max": round(seconds[-1] * 1000, 1) if seconds else None,
        },
        "target_p99_ms": TARGET_P99_S * 1000,
        "verdict": "PASS" if seconds and p99 <= TARGET_P99_S else "FAIL",
        "cpu_us_per_uploaded_msg": {
            name: round(u.cpu_s / accepted * 1e6) if accepted else None for name, u in usage.items()
        },
        "machine_cpu_pct_of_one_core": round(sampler.machine_pct, 1),
        "cpu_pct_of_one_core": {name: round(u.cpu_pct, 1) for name, u in usage.items()},
        "idle_cpu_pct_of_one_core": {name: round(u.cpu_pct, 1) for name, u in idle_usage.items()},
        "statements": [
            {
                **s,
                "us_per_uploaded_msg": round(s["total_ms"] * 1000 / accepted) if accepted else None,
            }
            for s in statements
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=200.0, help="uploads a second")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument(
        "--statements", type=int, default=0, help="list the N statements PostgreSQL spent most on"
    )
    parser.add_argument("--out", type=Path, default=Path("bench-results/retour.json"))
    args = parser.parse_args()
    result = asyncio.run(bench(args))
    lat = result["retour_ms"]
    print(
        f"\nuploaded {result['uploaded']:,} offered at {result['rate_msg_s']:.0f} msg/s, answered"
        f" at {result['answered_msg_s']} msg/s (longest wait for a connection"
        f" {result['longest_queue_wait_s']} s; answers {result['answers']});"
        f" {result['retours_in_inbox']} of"
        f" {result['rejected_expected']} rejected uploads' retours in the inbox"
    )
    print(
        f"retour in the sender's inbox: p50 {lat['p50']} ms, p95 {lat['p95']} ms,"
        f" p99 {lat['p99']} ms, max {lat['max']} ms (target p99 ≤ {result['target_p99_ms']:.0f}"
        f" ms): {result['verdict']}"
    )
    cpu = result["cpu_us_per_uploaded_msg"]
    stack = sum(cpu[k] or 0 for k in ("core", "tansu", "postgres"))
    adapters = sum(v or 0 for k, v in cpu.items() if k.startswith("adapter"))
    print(
        "CPU µs per uploaded message: "
        + ", ".join(f"{k} {v}" for k, v in cpu.items())
        + f"; core + PostgreSQL + broker {stack}, with the adapters {stack + adapters}"
    )
    busy, idle = result["cpu_pct_of_one_core"], result["idle_cpu_pct_of_one_core"]
    print(
        "CPU % of one core, under load (idle): "
        + ", ".join(f"{k} {busy[k]} ({idle[k]})" for k in busy)
        + f"; the whole machine {result['machine_cpu_pct_of_one_core']}"
    )
    if result["statements"]:
        print("PostgreSQL's time per statement (µs per uploaded message, calls, query):")
        for st in result["statements"]:
            print(f"  {st['us_per_uploaded_msg']:>6} {st['calls']:>7}  {st['query']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
