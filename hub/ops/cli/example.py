"""`hub example WMO301|WMO305`: print a walkthrough message of the README (hub.ops.example)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hub.domain.errors import ConfigError
from hub.ops.example import start, toewijzing
from hub.settings import Settings


def cmd_example(args: argparse.Namespace, settings: Settings) -> int:
    if args.message == "WMO301":
        if not (args.gemeente and args.aanbieder):
            raise ConfigError("`hub example WMO301` needs --gemeente CODE and --aanbieder CODE")
        out = toewijzing(args.gemeente, args.aanbieder)
    else:
        if not args.toewijzing:
            raise ConfigError("`hub example WMO305` needs --toewijzing FILE (a WMO301)")
        try:
            heen = Path(args.toewijzing).read_bytes()
        except OSError as exc:
            raise ConfigError(f"--toewijzing {args.toewijzing}: {exc.strerror}") from None
        out = start(heen)
    sys.stdout.buffer.write(out)
    sys.stdout.flush()
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    example = sub.add_parser(
        "example",
        help="print a walkthrough message: a WMO301 toewijzing, or the WMO305 that starts it "
        "(fresh Identificatie, client and ToewijzingNummers each time)",
    )
    example.add_argument("message", choices=("WMO301", "WMO305"))
    example.add_argument("--gemeente", metavar="CODE", help="WMO301: the sending gemeente")
    example.add_argument("--aanbieder", metavar="CODE", help="WMO301: the receiving provider")
    example.add_argument(
        "--toewijzing", metavar="FILE", help="WMO305: the WMO301 whose care it starts"
    )
    example.set_defaults(func=cmd_example)
