"""The rate of `hub history import`: a ZIP archive of full histories (301, 305, 307 per client,
the benchmark mix's templates) imported into an embedded PostgreSQL, then imported again (a
second run changes nothing). Prints messages per second of both runs.

    python -m benchmarks.history_import [--messages 100000] [--batch 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from hub.domain.eigenbijdrage.policy import load_policy
from hub.domain.packs import load_default_packs
from hub.domain.validation import Validator
from hub.infra import store
from hub.infra.embedded import EmbeddedPostgres, free_port
from hub.ops.historyimport.run import DEFAULT_BATCH, Progress, run_import
from hub.settings import Settings

from .loadgen import Mix, Trajectory, bsns

HOST = "127.0.0.1"


def write_export(path: Path, messages: int, seed: int = 42) -> int:
    """A ZIP of `messages` (rounded down to whole histories of three): each client's 301,
    305 and 307, in no particular order (the import puts them in the chain's)."""
    mix = Mix(seed)
    rng = random.Random(seed)
    numbers = bsns()
    written = 0
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for n in range(messages // 3):
            std = rng.choice(mix.standards)
            traj = Trajectory(std, rng.choice(std.gemeenten), next(numbers))
            for code in ("307", "301", "305"):
                archive.writestr(f"{n:07d}-{code}.xml", mix._payload(traj, code, traj.bsn))
                written += 1
    return written


async def measure(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    export = workdir / "export.zip"
    written = write_export(export, args.messages)
    postgres = EmbeddedPostgres(workdir / "pg", HOST, free_port(), workdir / "postgres.log")
    dsn = postgres.start()
    try:
        settings = Settings(database_url=dsn, data_dir=workdir, kafka_bootstrap=f"{HOST}:1")
        pool = await store.create_pool(dsn, min_size=1, max_size=2)
        try:
            await store.migrate(pool)
            validator = Validator(load_default_packs())
            policy = load_policy(settings.eb_policy_file)
            secret = settings.person_key_secret.get_secret_value().encode()
            runs = []
            for _ in range(2):
                started = time.perf_counter()
                result = await run_import(
                    pool, [export], validator, secret, policy, batch_size=args.batch,
                    progress=Progress(None if args.quiet else sys.stderr),
                )  # fmt: skip
                seconds = time.perf_counter() - started
                runs.append(
                    {
                        "seconds": round(seconds, 1),
                        "per_second": round(written / seconds),
                        "imported": sum(result.counts.imported.values()),
                        "unchanged": result.counts.unchanged,
                        "skipped": len(result.problems),
                    }
                )
        finally:
            await pool.close()
    finally:
        postgres.stop()
    return {"messages": written, "batch": args.batch, "first": runs[0], "second": runs[1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=DEFAULT_BATCH)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-import-"))
    try:
        figures = asyncio.run(measure(args, workdir))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    first, second = figures["first"], figures["second"]
    print(
        f"history import: {figures['messages']} messages in {first['seconds']} s "
        f"({first['per_second']} messages/s; imported {first['imported']}, "
        f"skipped {first['skipped']})"
    )
    print(
        f"second import of the same: {second['seconds']} s ({second['per_second']} messages/s; "
        f"unchanged {second['unchanged']}, imported {second['imported']})"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
