"""`hub history mode` and `hub history report`: each gemeente's history-rule mode (enforce or
advisory, hub/domain/advisory.py) and what advisory mode let through."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime

from hub.domain.advisory import GEMEENTE_PATTERN, Mode, load_modes, parse_mode
from hub.domain.errors import ConfigError
from hub.infra.store import history_modes as modes_store
from hub.ops.cli.connect import with_pool
from hub.ops.cli.moments import when
from hub.settings import Settings


def _gemeente(text: str) -> str:
    if not GEMEENTE_PATTERN.fullmatch(text):
        raise ConfigError(f"{text!r} is not a gemeente: give its 4-digit CBS gemeentecode")
    return text


def _where(gemeente: str, stored: dict[str, Mode], configured: dict[str, Mode]) -> str:
    if gemeente in stored:
        return "set with `hub history mode`"
    if gemeente in configured:
        return "from the modes file"
    return "the default (HUB_HISTORY_DEFAULT_MODE)"


def cmd_mode(args: argparse.Namespace, settings: Settings) -> int:
    configured = load_modes(settings.history_modes_file)
    default = Mode(settings.history_default_mode)
    if args.gemeente is not None and args.mode is not None:
        gemeente, mode = _gemeente(args.gemeente), _parse(args.mode)
        before = with_pool(
            settings, lambda pool: modes_store.set_mode(pool, gemeente, mode), migrated=True
        )
        was = before or configured.get(gemeente) or default
        print(f"{gemeente}  {mode.value}  (was {was.value}); the core uses it from its next batch")
        return 0
    stored = with_pool(settings, lambda pool: modes_store.stored_modes(pool), migrated=True)
    if args.gemeente is not None:
        gemeente = _gemeente(args.gemeente)
        mode = stored.get(gemeente) or configured.get(gemeente) or default
        print(f"{gemeente}  {mode.value}  ({_where(gemeente, stored, configured)})")
        return 0
    print(f"modes file {settings.history_modes_file}")
    print(f"default    {default.value} (a gemeente listed nowhere below)")
    for gemeente in sorted({*stored, *configured}):
        mode = stored.get(gemeente) or configured[gemeente]
        print(f"{gemeente}       {mode.value:<9} {_where(gemeente, stored, configured)}")
    return 0


def _parse(text: str) -> Mode:
    try:
        return parse_mode(text)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _since(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
    except ValueError:
        raise ConfigError(f"--since {text!r} is not a date (YYYY-MM-DD)") from None


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    gemeente = _gemeente(args.gemeente) if args.gemeente else None
    since = _since(args.since)
    if args.examples < 0:
        raise ConfigError("--examples must be 0 or more")
    lines = with_pool(
        settings,
        lambda pool: modes_store.report(pool, gemeente, since, args.examples),
        migrated=True,
    )
    scope = f" for {gemeente}" if gemeente else ""
    after = f" since {args.since}" if args.since else ""
    if not lines:
        print(f"no advisory findings{scope}{after}")
        return 0
    print(f"advisory findings{scope}{after} (what enforce mode would have refused):")
    current = None
    for line in lines:
        if line.gemeente != current:
            current = line.gemeente
            print(f"gemeente {current}")
        code = line.retourcode or "-"
        examples = " ".join(str(m) for m in line.examples)
        print(
            f"  {line.rule:<7} {code:<5} {line.findings:>7} findings on {line.messages:>7} "
            f"messages, last {when(line.last_at)}  e.g. {examples or '-'}"
        )
    return 0


def add_commands(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds this module's actions to the `hub history` group."""
    mode = actions.add_parser(
        "mode",
        help="show or set a gemeente's history-rule mode (enforce or advisory)",
        description="Without arguments: every configured gemeente's mode and the default. "
        "With GEMEENTE: its mode and where it comes from. With GEMEENTE MODE: set it in "
        "PostgreSQL (wins over HUB_HISTORY_MODES_FILE); the core uses it from its next batch. "
        "In advisory mode a message with history findings only is routed as if clean and the "
        "findings are reported (`hub history report`); schema and in-message findings still "
        "refuse.",
    )
    mode.add_argument("gemeente", nargs="?", help="4-digit CBS gemeentecode")
    mode.add_argument("mode", nargs="?", help="enforce or advisory")
    mode.set_defaults(func=cmd_mode, reach="required")
    report = actions.add_parser(
        "report",
        help="advisory findings per gemeente and rule: counts and example message ids",
    )
    report.add_argument("--gemeente", help="only this 4-digit CBS gemeentecode")
    report.add_argument("--since", help="only findings from this date on (YYYY-MM-DD, UTC)")
    report.add_argument(
        "--examples", type=int, default=3, help="example message ids per rule (default 3)"
    )
    report.set_defaults(func=cmd_report, reach="required")
