"""`hub history import PATH...`: seed the history state from a party's exported messages (XML
files, directories, ZIP archives) and the toewijzingen CSV (docs/history-import.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hub.domain.eigenbijdrage.policy import load_policy
from hub.domain.errors import ConfigError
from hub.infra.store import Pool
from hub.ops.cli.connect import with_pool
from hub.ops.cli.packs import load_registry
from hub.ops.historyimport.run import DEFAULT_BATCH, Progress, Result, run_import, summary
from hub.ops.historyimport.sources import Problem
from hub.settings import Settings


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from hub.domain.validation import Validator

    if args.batch < 1:
        raise ConfigError("--batch must be at least 1")
    validator = Validator(load_registry(settings, args.pack))
    policy = load_policy(settings.eb_policy_file)
    # The hub's own secret: the person keys must be the ones intake computes.
    secret = settings.person_key_secret.get_secret_value().encode()
    paths = [Path(p) for p in args.paths]

    def report(problem: Problem) -> None:
        print(f"skipped {problem.name}: {problem.reason}", file=sys.stderr)

    async def work(pool: Pool) -> Result:
        return await run_import(
            pool, paths, validator, secret, policy,
            baseline=args.cak_baseline, batch_size=args.batch,
            progress=Progress(None if args.quiet else sys.stderr), report=report,
        )  # fmt: skip

    result = with_pool(settings, work, migrated=True)
    for line in summary(result):
        print(line)
    return 1 if result.problems else 0


def add_commands(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds this module's actions to the `hub history` group."""
    imp = actions.add_parser(
        "import",
        help="seed the history from exported 301/305/307/315/317/319 messages and a CSV "
        "(exit 0 all used, 1 some skipped, 2 usage)",
        description="Reads XML message files, directories and ZIP archives, and the toewijzingen "
        "CSV (docs/history-import.md); validates each message with the packs and records its "
        "history as intake would, without routing, sending or deriving a notice. A second run "
        "changes nothing.",
    )
    imp.add_argument("paths", nargs="+", metavar="PATH")
    imp.add_argument(
        "--cak-baseline",
        action="store_true",
        help="record the 405/407 periods these lines give as already known to the CAK "
        "(no notice is sent for them)",
    )
    imp.add_argument(
        "--batch", type=int, default=DEFAULT_BATCH, metavar="N",
        help=f"messages per transaction (default {DEFAULT_BATCH})",
    )  # fmt: skip
    imp.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    imp.add_argument(
        "--pack", action="append", default=[], metavar="DIR", help="extra pack directory"
    )
    imp.set_defaults(func=cmd_import, reach="required")
