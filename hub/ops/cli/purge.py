"""`hub purge [--dry-run]`: empty the payloads past HUB_PAYLOAD_RETENTION_HOURS (see
hub.infra.store.retention for what is never purged); the audit metadata stays. The core runs the
same purge by itself every HUB_PURGE_INTERVAL_S (handlers.purge)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

from hub.infra.store import retention
from hub.ops.cli.connect import with_pool
from hub.settings import Settings


def cmd_purge(args: argparse.Namespace, settings: Settings) -> int:
    hours = settings.payload_retention_hours
    cutoff = datetime.now(UTC) - timedelta(hours=hours)
    result = with_pool(settings, lambda pool: retention.purge(pool, cutoff, dry_run=args.dry_run))
    verb = "would purge" if args.dry_run else "purged"
    when = cutoff.strftime("%Y-%m-%d %H:%M:%SZ")
    stale = f", and {result.journal} stale journal entries" if result.journal else ""
    if result.door_rows:  # GGk envelopes and Fo01s, VECOZO references (retention.py)
        stale += f", and {result.door_rows} node doors' rows"
    print(
        f"{verb} the payloads of {result.messages} messages ({result.payload_bytes} bytes) and "
        f"{result.dead_letters} replayed dead letters received before {when}{stale} "
        f"(HUB_PAYLOAD_RETENTION_HOURS={hours})"
    )
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    purge = sub.add_parser(
        "purge", help="empty message payloads past HUB_PAYLOAD_RETENTION_HOURS, keep metadata"
    )
    purge.add_argument("--dry-run", action="store_true", help="count only, change nothing")
    purge.set_defaults(func=cmd_purge, reach="required")
