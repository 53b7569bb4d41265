"""Release-freeze commands: `hub freeze plan|status|parked|release|return|broken-pairs`."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial

from handlers.cutover import Settled, release_parked, return_parked
from hub.domain import freeze
from hub.domain.errors import ConfigError
from hub.domain.freeze import Calendar, Freeze
from hub.domain.messages import Standard
from hub.domain.packs import PackRegistry
from hub.infra import store
from hub.infra.store import freeze as table
from hub.ops.cli.connect import with_pool
from hub.ops.cli.moments import when
from hub.settings import Settings


def _local(moment: datetime | None) -> str:
    return moment.astimezone(freeze.ZONE).strftime("%a %Y-%m-%d %H:%M") if moment else "-"


def _builtin_release(standard: Standard) -> str:
    """The newest built-in pack release of `standard` (folder names such as iwmo-3.2)."""
    found = [
        d.name.split("-", 1)[1]
        for d in PackRegistry.default_dirs()
        if d.name.startswith(f"{standard.value}-")
    ]
    return max(found, key=lambda r: tuple(int(p) for p in r.split(".") if p.isdigit()), default="")


def _next_release(release: str) -> str:
    major, _, minor = release.partition(".")
    return f"{major}.{int(minor) + 1}" if minor.isdigit() else ""


def cmd_plan(args: argparse.Namespace, settings: Settings) -> int:
    standard = Standard(args.standard)
    try:
        go_live = datetime.fromisoformat(args.go_live)
    except ValueError:
        raise ConfigError(f"--go-live {args.go_live!r} is not a date-time") from None
    old = args.from_release or _builtin_release(standard)
    new = args.to_release or _next_release(old)
    if not old or not new:
        raise ConfigError("give --from-release and --to-release")
    print(freeze.plan(standard, go_live, old, new).to_toml(), end="")
    return 0


def _calendar(settings: Settings) -> Calendar:
    calendar = freeze.load_calendar(settings.freeze_path)
    if not calendar.freezes:
        raise ConfigError("no freeze calendar: set HUB_FREEZE_FILE (see `hub freeze plan`)")
    return calendar


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    now = datetime.now(UTC)
    calendar = _calendar(settings)
    counts: dict[tuple[str | None, str | None], int] = {}
    if settings.database_url:
        for p in with_pool(settings, lambda pool: table.parked(pool)):
            counts[(p.standard, p.release)] = counts.get((p.standard, p.release), 0) + 1
    for f in calendar.freezes.values():
        print(f"{f.standard.value} {f.from_release} -> {f.to_release}: {f.phase(now).value}")
        for key in freeze.MOMENTS:
            print(f"  {key:<18} {_local(getattr(f, key))}")
        for release in (f.from_release, f.to_release):
            print(f"  parked {release}: {counts.get((f.standard.value, release), 0)}")
    return 0


def cmd_parked(args: argparse.Namespace, settings: Settings) -> int:
    rows = with_pool(settings, lambda pool: table.parked(pool, args.standard))
    if not rows:
        print("no message is parked")
        return 0
    for p in rows:
        print(
            f"{p.id}  {when(p.received_at)}  {p.standard} {p.release} {p.message_type or '?'}  "
            f"Identificatie {p.identificatie or '-'}  from {p.submitted_by} via {p.source_node}"
        )
    return 0


async def _apply(
    work: Callable[[store.Pool, Settings, Freeze, datetime], Awaitable[list[Settled]]],
    pool: store.Pool,
    *,
    settings: Settings,
    f: Freeze,
    now: datetime,
) -> list[Settled]:
    return await work(pool, settings, f, now)


def _settle(
    args: argparse.Namespace,
    settings: Settings,
    work: Callable[[store.Pool, Settings, Freeze, datetime], Awaitable[list[Settled]]],
) -> int:
    calendar = _calendar(settings)
    wanted = [Standard(args.standard)] if args.standard else list(calendar.freezes)
    now = datetime.now(UTC)
    for standard in wanted:
        f = calendar.get(standard)
        if f is None:
            print(f"{standard.value}: no freeze in the calendar")
            continue

        settled = with_pool(settings, partial(_apply, work, settings=settings, f=f, now=now))
        print(f"{standard.value}: {len(settled)} message(s)")
        for s in settled:
            extra = f" as {s.released_as}" if s.released_as else " to its sender"
            print(f"  {s.parked} {s.action}{extra}")
    return 0


def cmd_release(args: argparse.Namespace, settings: Settings) -> int:
    return _settle(args, settings, release_parked)


def cmd_return(args: argparse.Namespace, settings: Settings) -> int:
    return _settle(args, settings, return_parked)


def cmd_broken_pairs(args: argparse.Namespace, settings: Settings) -> int:
    calendar = _calendar(settings)
    wanted = [Standard(args.standard)] if args.standard else list(calendar.freezes)
    for standard in wanted:
        f = calendar.get(standard)
        if f is None:
            continue
        rows = with_pool(
            settings, partial(table.broken_pairs, standard=f.standard.value, release=f.from_release)
        )
        print(f"{f.standard.value} {f.from_release}: {len(rows)} heenbericht(en) without retour")
        sender = None
        for r in rows:
            if r.sender != sender:
                sender = r.sender
                print(f"  {sender}")
            print(
                f"    {r.id}  {r.message_type or '?'}  Identificatie {r.identificatie or '-'}  "
                f"-> {r.receiver}  received {when(r.received_at)}"
            )
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    standards = [s.value for s in Standard]
    fz = sub.add_parser("freeze", help="release freezes (HUB_FREEZE_FILE)")
    fz_sub = fz.add_subparsers(dest="freeze_command", metavar="ACTION", required=True)
    plan = fz_sub.add_parser("plan", help="print the standard phase model as calendar TOML")
    plan.add_argument("--standard", required=True, choices=standards)
    plan.add_argument("--go-live", required=True, help="e.g. 2027-04-05T13:00 (Amsterdam)")
    plan.add_argument("--from-release", default="", help="default: the built-in pack's")
    plan.add_argument("--to-release", default="", help="default: the next minor release")
    plan.set_defaults(func=cmd_plan)
    fz_sub.add_parser("status", help="phases, current phase and parked counts").set_defaults(
        func=cmd_status, reach="optional"
    )
    for name, func, text in (
        ("parked", cmd_parked, "list parked messages in arrival order"),
        ("release", cmd_release, "after the cutover: send parked new-release messages on"),
        ("return", cmd_return, "return parked old-release messages to their senders"),
        ("broken-pairs", cmd_broken_pairs, "old-release heenberichten without a retour"),
    ):
        action = fz_sub.add_parser(name, help=text)
        action.add_argument("--standard", choices=standards, default=None)
        action.set_defaults(func=func, reach="required")
