"""`hub report sleutelmomenten`: how late the chain's key moments were over a period, written
as one self-contained HTML page or as CSV rows (hub.ops.report; docs/sleutelmomenten.md)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from hub.domain.errors import ConfigError
from hub.infra.store import sleutelmomenten_report
from hub.ops.cli.connect import with_pool
from hub.ops.report import csvfile, html
from hub.settings import Settings


def _day(value: str) -> date:
    """A YYYY-MM-DD date, or argparse's usage error (exit 2) saying why not."""
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date YYYY-MM-DD ({exc})") from None


def _code(value: str) -> str:
    code = value.strip()
    if not code.isalnum():
        raise argparse.ArgumentTypeError(f"{value!r} is not a gemeente or AGB code")
    return code


def cmd_sleutelmomenten(args: argparse.Namespace, settings: Settings) -> int:
    start: date = args.start
    end: date = args.end
    report = with_pool(
        settings,
        lambda pool: sleutelmomenten_report.read(
            pool, start, end, args.gemeente, args.aanbieder, args.domain
        ),
        migrated=True,
    )
    written = (
        csvfile.render(report) if args.format == "csv" else html.render(report, datetime.now(UTC))
    )
    if args.out == "-":
        sys.stdout.write(written)
        return 0
    out = Path(args.out)
    try:
        out.write_text(written, encoding="utf-8", newline="")
    except OSError as exc:
        raise ConfigError(f"--out {args.out}: cannot write ({exc.strerror or exc})") from None
    what = "nothing measured" if report.empty else f"{len(report.figures)} figure rows"
    print(f"wrote {out} ({args.format}, {start} to {end}: {what})", file=sys.stderr)
    return 0


def _checked(args: argparse.Namespace, settings: Settings) -> int:
    if args.start > args.end:
        args.parser.error(f"--from {args.start} is after --to {args.end}")
    return cmd_sleutelmomenten(args, settings)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = sub.add_parser("report", help="reports over what the hub measured")
    report_sub = report.add_subparsers(dest="report_command", metavar="REPORT", required=True)
    moments = report_sub.add_parser(
        "sleutelmomenten",
        help="how late toewijzing, answer, start, stop, adjustment and declaratie-antwoord were",
        description="Per moment, gemeente, aanbieder (each per domain) and month: the on-time "
        "share, median and 90th-percentile lateness in werkdagen, counts (open, implausible), "
        "the worst toewijzingen and the productperiode conflicts (docs/sleutelmomenten.md).",
    )
    moments.add_argument("--from", dest="start", type=_day, required=True, metavar="DATE",
                         help="first day (YYYY-MM-DD), included")  # fmt: skip
    moments.add_argument("--to", dest="end", type=_day, required=True, metavar="DATE",
                         help="last day (YYYY-MM-DD), included")  # fmt: skip
    moments.add_argument("--gemeente", type=_code, metavar="CODE", help="only this gemeente")
    moments.add_argument("--aanbieder", type=_code, metavar="CODE", help="only this aanbieder")
    moments.add_argument("--domain", choices=("iwmo", "ijw"),
                         help="only iWmo or only iJw (the figures per gemeente and per aanbieder "
                         "are per domain either way)")  # fmt: skip
    moments.add_argument("--out", required=True, metavar="FILE", help="file to write; - for stdout")
    moments.add_argument("--format", choices=("html", "csv"), default="html")
    # The parser itself, so a --from after --to is a usage error like a malformed date.
    moments.set_defaults(func=_checked, reach="required", parser=moments)
