"""The `hub` command: assembles the command groups (one module each in hub/ops/cli) into one
parser, and runs the chosen command on the hub it reaches."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from hub.domain.errors import HubError
from hub.ops import locate
from hub.ops.cli import (
    config,
    db,
    demo,
    docs,
    eb,
    example,
    freeze,
    history,
    ledger,
    packs,
    party,
    purge,
    report,
    run,
    topics,
    validate,
    version,
)
from hub.settings import load_settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hub",
        description="isd-hub: validates, routes and observes iWmo / iJw / iEb traffic.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    # Explicitly, in the order `hub --help` lists them.
    run.register(sub)  # up, core, relay, adapter
    db.register(sub)
    party.register(sub)
    ledger.register(sub)  # trace, dlq, retours, requests
    eb.register(sub)
    report.register(sub)
    history.register(sub)
    freeze.register(sub)
    purge.register(sub)
    example.register(sub)
    topics.register(sub)
    demo.register(sub)
    validate.register(sub)
    packs.register(sub)
    config.register(sub)
    docs.register(sub)
    version.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        how = getattr(args, "reach", None)
        if how is None:
            result: int = args.func(args, settings)
            return result
        # Every command that talks to a hub finds it the same way, and says which (hub.ops.locate).
        with locate.reach(settings, how) as reached:
            done: int = args.func(args, reached)
        return done
    except HubError as exc:
        print(f"hub: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `hub config | head`: the reader left, nothing went wrong
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
