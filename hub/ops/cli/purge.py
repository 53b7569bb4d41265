"""`hub purge`: empty the payloads past HUB_PAYLOAD_RETENTION_HOURS, keep the audit metadata.

See hub.infra.store.retention for what is never purged. It goes in transactions of at most
--batch messages, then says what it did, how long it took, and what stays past the cut-off and
why (--json: one object; --dry-run: counts only). The core runs the same purge by itself every
HUB_PURGE_INTERVAL_S (handlers.purge)."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta

from hub.infra.store import retention
from hub.ops.cli.connect import with_pool
from hub.settings import Settings

BATCH = retention.BATCH


def _mb(size: int) -> str:
    return f"{size / 1_000_000:,.1f} MB"


def describe(run: retention.PurgeRun, hours: int, *, dry_run: bool) -> list[str]:
    """The report's lines: what went (or would go), in how many passes and how long; what
    stays past the cut-off and why."""
    done = run.done
    verb = "would purge" if dry_run else "purged"
    when = run.cutoff.strftime("%Y-%m-%d %H:%M:%SZ")
    stale = f", and {done.journal:,} stale journal entries" if done.journal else ""
    if done.door_rows:  # GGk envelopes and Fo01s, VECOZO references (retention.py)
        stale += f", and {done.door_rows:,} node doors' rows"
    lines = [
        f"{verb} the payloads of {done.messages:,} messages ({_mb(done.payload_bytes)}) and "
        f"{done.dead_letters:,} replayed dead letters received before {when}{stale} "
        f"(HUB_PAYLOAD_RETENTION_HOURS={hours})"
    ]
    if dry_run:
        lines.append(f"counted in {run.seconds:.2f} s")
    else:
        rate = f", {done.messages / run.seconds:,.0f} messages a second" if run.seconds else ""
        lines.append(
            f"in {run.passes:,} passes of at most {run.batch:,} messages, "
            f"{run.seconds:.2f} s{rate if done.messages else ''}"
        )
    k = run.kept
    if k.messages:
        lines.append(
            f"{'would keep' if dry_run else 'kept'} {k.messages:,} payloads past the cut-off "
            f"({_mb(k.payload_bytes)}): {k.download:,} not yet downloaded by their receiver, "
            f"{k.on_its_way:,} on their way to an inbox, {k.outbox:,} not yet published from "
            f"the outbox, {k.retour:,} awaiting their retour, {k.parked:,} parked by a release "
            "freeze"
        )
    else:
        lines.append(f"{'would keep' if dry_run else 'kept'} no payload past the cut-off")
    return lines


def cmd_purge(args: argparse.Namespace, settings: Settings) -> int:
    hours = settings.payload_retention_hours
    cutoff = datetime.now(UTC) - timedelta(hours=hours)
    run = with_pool(
        settings,
        lambda pool: retention.purge_all(pool, cutoff, batch=args.batch, dry_run=args.dry_run),
    )
    if args.json:
        done, k = run.done, run.kept
        print(json.dumps({
            "dry_run": args.dry_run, "cutoff": run.cutoff.isoformat(), "retention_hours": hours,
            "messages": done.messages, "payload_bytes": done.payload_bytes,
            "dead_letters": done.dead_letters, "journal": done.journal,
            "door_rows": done.door_rows, "passes": run.passes, "batch": run.batch,
            "seconds": round(run.seconds, 3),
            "kept": {"download": k.download, "on_its_way": k.on_its_way, "outbox": k.outbox,
                     "retour": k.retour, "parked": k.parked, "payload_bytes": k.payload_bytes},
        }))  # fmt: skip
        return 0
    print("\n".join(describe(run, hours, dry_run=args.dry_run)))
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    purge = sub.add_parser(
        "purge", help="empty message payloads past HUB_PAYLOAD_RETENTION_HOURS, keep metadata"
    )
    purge.add_argument("--dry-run", action="store_true", help="count only, change nothing")
    purge.add_argument(
        "--batch", type=_positive, default=BATCH, help=f"messages a transaction (default {BATCH})"
    )
    purge.add_argument("--json", action="store_true", help="the report as one JSON object")
    purge.set_defaults(func=cmd_purge, reach="required")
