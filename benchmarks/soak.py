"""`make soak`: the fault suite's long form. Sustained uploads for a while, with faults injected
at random moments (kill -9 of the core, the outbox relay or an adapter; PostgreSQL and the
broker restarted), then the exactly-once checks of the fault suite. Prints the load held and
the faults survived; exits 1 on any loss, duplicate or process that died by itself.

Starts its own embedded broker and PostgreSQL and the hub's processes (tests/e2e/stack.py),
the relay in its own process, and uploads care trajectories (tests/e2e/traffic.py).

Run: `python -m benchmarks.soak [--duration 300] [--rate 40] [--faults core,relay,...]`, or
`--journal-latency` to measure what the ingress journal adds to an upload.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random
import shutil
import statistics
import sys
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from hub.infra import store
from tests.e2e.stack import (
    GEMEENTE,
    GGK,
    PROVIDER,
    SPLIT,
    Infra,
    Role,
    Stack,
    create_database,
    hub_env,
    hub_settings,
    prepare,
    workdir,
)
from tests.e2e.traffic import Traffic, journal_left, message, remaining

FAULTS = ("core", "relay", "ggk", "vecozo", "postgres", "broker")
UPLOADS_PER_PERSON = 1.9  # a 301 and a 305, but every tenth person's 301 is rejected
SOAK_SETTINGS = {"HUB_CORE_RELAY": "false", "HUB_BROKER_CHECK_S": "1", "HUB_JOURNAL_TRIM_S": "2"}


@dataclass
class Hub:
    directory: Path
    infra: Infra
    pool: store.Pool
    stack: Stack
    tokens: dict[str, str]


@contextlib.asynccontextmanager
async def running_hub(
    directory: Path, extra: dict[str, str], processes: dict[str, Role]
) -> AsyncIterator[Hub]:
    """Own broker and PostgreSQL, a migrated database, the given processes; all stopped after."""
    infra = await asyncio.to_thread(Infra.start, directory)
    try:
        url = await create_database(infra.dsn, "soak")
        pool = await store.create_pool(url, max_size=4)
        try:
            await store.migrate(pool)
            settings = hub_settings(infra.bootstrap, directory)
            tokens = await prepare(settings, pool, (GEMEENTE, PROVIDER))
            stack = Stack(hub_env(settings, url, **extra), directory / "logs")
            try:
                await asyncio.to_thread(stack.start, processes)
                yield Hub(directory, infra, pool, stack, tokens)
            finally:
                await asyncio.to_thread(stack.stop_all)
        finally:
            await pool.close()
    finally:
        await asyncio.to_thread(infra.stop)


# --- faults ----------------------------------------------------------------------------------


@dataclass
class Survived:
    fault: str
    at_s: float  # since the stream began
    took_s: float  # until the faulty part was up again (restarted and ready)


@dataclass
class Injector:
    hub: Hub
    rng: random.Random
    faults: Sequence[str]
    survived: list[Survived] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    async def run(self, duration_s: float, mean_gap_s: float, stop: asyncio.Event) -> None:
        """One fault after another at random moments, none in the last tenth of the run."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                gap = self.rng.uniform(0.5 * mean_gap_s, 1.5 * mean_gap_s)
                await asyncio.wait_for(stop.wait(), gap)
                return
            if time.monotonic() - self.started > 0.9 * duration_s:
                return
            fault = self.rng.choice(self.faults)
            at = time.monotonic()
            print(f"  {at - self.started:7.1f} s  {_describe(fault)}", flush=True)
            await self.inject(fault)
            self.survived.append(Survived(fault, at - self.started, time.monotonic() - at))

    async def inject(self, fault: str) -> None:
        infra, stack = self.hub.infra, self.hub.stack
        if fault == "postgres":
            await asyncio.to_thread(infra.restart_postgres, self.rng.uniform(1.0, 5.0))
        elif fault == "broker":
            await asyncio.to_thread(infra.restart_broker)
        else:
            await asyncio.to_thread(stack.kill, fault)
            await asyncio.sleep(self.rng.uniform(0.0, 2.0))
            await asyncio.to_thread(stack.restart, fault)


def _describe(fault: str) -> str:
    return f"restart {fault}" if fault in ("postgres", "broker") else f"kill -9 {fault}"


# --- the soak ----------------------------------------------------------------------------------


async def soak(args: argparse.Namespace) -> int:
    faults = [f for f in args.faults.split(",") if f]
    unknown = set(faults) - set(FAULTS)
    if unknown:
        print(f"unknown faults {sorted(unknown)}; known: {', '.join(FAULTS)}", file=sys.stderr)
        return 2
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    directory = workdir("isdhub-soak-")
    print(f"soak: {args.duration:.0f} s at {args.rate:.0f} uploads/s offered, faults every "
          f"~{args.mean_gap:.0f} s from {', '.join(faults) or 'none'} (seed {seed}); logs in "
          f"{directory / 'logs'}", flush=True)  # fmt: skip
    ok = False
    try:
        async with running_hub(directory, SOAK_SETTINGS, SPLIT) as hub:
            persons = max(10, int(args.rate * args.duration / UPLOADS_PER_PERSON))
            traffic = Traffic(
                hub.stack,
                hub.tokens,
                hub.pool,
                persons=persons,
                seed=seed,
                workers=args.workers,
                rate=args.rate,
                give_up_s=300.0,
            )
            injector = Injector(hub, random.Random(seed), faults)
            stop = asyncio.Event()
            injecting = asyncio.create_task(injector.run(args.duration, args.mean_gap, stop))
            try:
                await traffic.run()
            finally:
                stop.set()
                await injecting
            print("  stream done; checking", flush=True)
            found = await remaining(hub.pool, traffic, args.settle, poll=1.0)
            left = await journal_left(hub.pool, traffic)
            died = hub.stack.dead()
        ok = not found and not left and not died
        _report(traffic, injector, found, left, died)
    finally:
        if ok and not args.keep:
            shutil.rmtree(directory, ignore_errors=True)
        else:
            print(f"logs kept in {directory / 'logs'}")
    return 0 if ok else 1


def _report(
    traffic: Traffic, injector: Injector, found: list[str], left: int, died: list[str]
) -> None:
    kinds = {k: sum(u.kind == k for u in traffic.uploads if u.id) for k in ("301", "305", "bad301")}
    took = traffic.latencies()
    seconds = traffic.stats.ended - traffic.stats.started
    print()
    print("load held")
    rate = len(took) / max(seconds, 1e-9)
    print(f"  {len(took)} uploads in {seconds:.1f} s = {rate:.1f}/s ({kinds['301']} "
          f"toewijzingen, {kinds['305']} starts, {kinds['bad301']} rejected)")  # fmt: skip
    print(f"  {traffic.stats.retried} attempts retried with the same Idempotency-Key: "
          f"{dict(traffic.stats.errors)} {dict(traffic.stats.statuses)}")  # fmt: skip
    print("  upload latency " + _percentiles(took))
    print(f"faults survived: {len(injector.survived)}")
    for s in injector.survived:
        print(f"  {s.at_s:7.1f} s  {_describe(s.fault):<18} up again in {s.took_s:.1f} s")
    verdict = "OK" if not found else f"{len(found)} PROBLEMS"
    print("checks")
    print(f"  every accepted upload in its receiver's inbox exactly once, one retour per rejected "
          f"301, one WMO405 per start, ledger at rest: {verdict}")  # fmt: skip
    for line in found[:30]:
        print(f"    {line}")
    print(f"  ingress journal trimmed: {'OK' if not left else f'{left} entries left'}")
    print(f"  no process died by itself: {'OK' if not died else ', '.join(died)}")


def _percentiles(values: Sequence[float]) -> str:
    if len(values) < 2:
        return "n/a"
    q = statistics.quantiles(values, n=100, method="inclusive")
    return (f"p50 {q[49] * 1000:.0f} ms  p95 {q[94] * 1000:.0f} ms  p99 {q[98] * 1000:.0f} ms  "
            f"max {max(values) * 1000:.0f} ms")  # fmt: skip


# --- what the journal costs --------------------------------------------------------------------


async def journal_latency(args: argparse.Namespace) -> int:
    """Two GGK adapters side by side, one journaling and one not, take uploads in turns (so
    both see the same load); prints each one's upload latency."""
    directory = workdir("isdhub-journal-")
    processes = {**SPLIT, "ggk": GGK}
    try:
        async with running_hub(directory, SOAK_SETTINGS, processes) as hub:
            hub.stack.spawn("ggk-nojournal", GGK, {"HUB_INGRESS_JOURNAL": "false"})
            await asyncio.to_thread(hub.stack.wait_ready, ["ggk-nojournal"])
            took: dict[str, list[float]] = {"ggk": [], "ggk-nojournal": []}
            auth = {"Authorization": f"Bearer {hub.tokens[GEMEENTE]}"}
            counter = iter(range(10**9))

            async def upload(client: httpx.AsyncClient, name: str, record: bool) -> None:
                n = next(counter)
                payload = message("301", f"L{n:011d}", "174285917")
                began = time.perf_counter()
                response = await client.post(
                    f"{hub.stack.url(name)}/v1/messages", content=payload, headers=auth
                )
                assert response.status_code == 202, response.text
                if record:
                    took[name].append(time.perf_counter() - began)

            async with httpx.AsyncClient(timeout=30) as client:
                for _ in range(50):  # warm-up: connections, pools, caches
                    for name in took:
                        await upload(client, name, record=False)
                for _ in range(args.uploads):  # one at a time, in turns
                    for name in took:
                        await upload(client, name, record=True)
                sequential = {name: _percentiles(v) for name, v in took.items()}
                for values in took.values():
                    values.clear()

                async def worker() -> None:
                    for _ in range(args.uploads // 8):
                        for name in took:
                            await upload(client, name, record=True)

                await asyncio.gather(*(worker() for _ in range(8)))
            print(f"upload latency over {args.uploads} uploads each (a 301, full stack running)")
            for name in took:
                label = "journal on " if name == "ggk" else "journal off"
                print(f"  {label}  one at a time: {sequential[name]}")
                print(f"  {label}  8 concurrent:  {_percentiles(took[name])}")
    finally:
        if not args.keep:
            shutil.rmtree(directory, ignore_errors=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__)
    parser.add_argument("--duration", type=float, default=300.0, help="seconds of uploads")
    parser.add_argument("--rate", type=float, default=40.0, help="uploads per second offered")
    parser.add_argument("--workers", type=int, default=8, help="concurrent clients")
    parser.add_argument("--faults", default=",".join(FAULTS), help="comma-separated faults")
    parser.add_argument("--mean-gap", type=float, default=40.0, help="mean seconds between faults")
    parser.add_argument("--settle", type=float, default=300.0, help="seconds to wait for rest")
    parser.add_argument("--seed", type=int, default=None, help="random seed (faults, persons)")
    parser.add_argument("--keep", action="store_true", help="keep logs and data afterwards")
    parser.add_argument(
        "--journal-latency", action="store_true", help="only measure what the journal costs"
    )
    parser.add_argument("--uploads", type=int, default=400, help="uploads per journal measure")
    args = parser.parse_args(argv)
    # The soak's own pool complains, with a traceback, every time PostgreSQL is restarted.
    logging.getLogger("asyncpg").setLevel(logging.ERROR)
    if args.journal_latency:
        return asyncio.run(journal_latency(args))
    return asyncio.run(soak(args))


if __name__ == "__main__":
    sys.exit(main())
