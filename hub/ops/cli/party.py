"""The `hub party` commands: the party registry in PostgreSQL and the parties' bearer tokens.

Registered by hub/ops/cli/main.py. Each command works on the hub hub/ops/locate.py finds
(HUB_DATABASE_URL, or the running `hub up` of HUB_DATA_DIR), as every CLI command does, and
refuses a database whose schema is behind (`hub db upgrade`). A token is printed once,
alone on stdout (so that `TOKEN=$(hub party token issue 0363)` works); everything else goes to
stderr.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hub.domain.errors import ConfigError
from hub.domain.parties import (
    Party,
    PartyError,
    check_delegates,
    load_parties,
    make_party,
    new_token,
)
from hub.infra import store
from hub.ops.cli.connect import with_pool
from hub.settings import Settings


def _note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    async def work(pool: store.Pool) -> tuple[list[Party], dict[str, int]]:
        return await store.list_parties(pool), await store.active_token_counts(pool)

    parties, tokens = with_pool(settings, work, migrated=True)
    print(f"{'code':<9} {'kind':<10} {'node':<7} {'tokens':>6}  {'name':<40} may submit for")
    for p in parties:
        delegates = " ".join(sorted(p.may_submit_for)) or "-"
        print(
            f"{p.code:<9} {p.kind.value:<10} {p.node.value:<7} {tokens.get(p.code, 0):>6}  "
            f"{p.name:<40} {delegates}"
        )
    return 0


def cmd_add(args: argparse.Namespace, settings: Settings) -> int:
    try:
        party = make_party(
            args.code,
            args.name,
            node=args.node,
            may_submit_for=args.may_submit_for,
            cak_code=settings.cak_party_code,
        )
    except PartyError as exc:
        raise ConfigError(f"party {args.code}: {exc}") from None

    async def work(pool: store.Pool) -> store.PartyImport:
        known = {p.code: p for p in await store.list_parties(pool)}
        known[party.code] = party
        try:
            check_delegates(party, known)
        except PartyError as exc:
            raise ConfigError(f"party {party.code}: {exc}") from None
        return await store.upsert_parties(pool, [party])

    result = with_pool(settings, work, migrated=True)
    what = "added" if result.added else "updated" if result.changed else "unchanged"
    print(f"{what} {party.code} ({party.kind.value} on {party.node.value}): {party.name}")
    return 0


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    path = Path(args.file) if args.file else settings.parties_file
    registry = load_parties(path, settings.cak_party_code)

    async def work(pool: store.Pool) -> store.PartyImport:
        return await store.upsert_parties(pool, list(registry))

    result = with_pool(settings, work, migrated=True)
    print(
        f"imported {len(registry)} parties from {path}: {len(result.added)} added, "
        f"{len(result.changed)} changed, {result.unchanged} unchanged"
    )
    return 0


def _expiry(days: int | None) -> datetime | None:
    return None if days is None else datetime.now(UTC) + timedelta(days=days)


async def _known(pool: store.Pool, code: str) -> str:
    party = await store.get_party(pool, code)
    if party is None:
        raise ConfigError(
            f"unknown party {code}; add it with `hub party add` or `hub party import`"
        )
    return party.name


def _show_token(token: str, row: store.PartyToken, name: str) -> None:
    expires = row.expires_at.isoformat(timespec="seconds") if row.expires_at else "never"
    _note(
        f"token #{row.id} for {row.party} ({name}), expires {expires}. It is shown only now: "
        "store it; the hub keeps only its hash."
    )
    print(token, flush=True)


def cmd_token_issue(args: argparse.Namespace, settings: Settings) -> int:
    token = new_token()

    async def work(pool: store.Pool) -> tuple[store.PartyToken, str]:
        name = await _known(pool, args.code)
        return await store.add_token(
            pool, args.code, token, expires_at=_expiry(args.expires_days)
        ), name

    row, name = with_pool(settings, work, migrated=True)
    _show_token(token, row, name)
    return 0


def cmd_token_rotate(args: argparse.Namespace, settings: Settings) -> int:
    token = new_token()
    grace = timedelta(seconds=args.grace_seconds)

    async def work(pool: store.Pool) -> tuple[store.PartyToken, int, str]:
        name = await _known(pool, args.code)
        row, revoked = await store.rotate_token(
            pool, args.code, token, grace=grace, expires_at=_expiry(args.expires_days)
        )
        return row, revoked, name

    row, revoked, name = with_pool(settings, work, migrated=True)
    when = "now" if not args.grace_seconds else f"in {args.grace_seconds} s"
    _note(f"{revoked} older token(s) of {args.code} stop working {when}")
    _show_token(token, row, name)
    return 0


def cmd_token_revoke(args: argparse.Namespace, settings: Settings) -> int:
    async def work(pool: store.Pool) -> int:
        await _known(pool, args.code)
        return await store.revoke_tokens(pool, args.code)

    revoked = with_pool(settings, work, migrated=True)
    print(f"revoked {revoked} token(s) of {args.code}")
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _not_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `hub party ...` to the `hub` command's subparsers."""
    party = sub.add_parser("party", help="party registry and bearer tokens")
    actions = party.add_subparsers(dest="party_command", metavar="ACTION", required=True)

    actions.add_parser("list", help="list parties, their node and working tokens").set_defaults(
        func=cmd_list, reach="required"
    )

    add = actions.add_parser("add", help="add a party, or replace one with the same code")
    add.add_argument("code", metavar="CODE", help="CBS gemeentecode, AGB code or the CAK code")
    add.add_argument("--name", required=True, help="name of the party")
    add.add_argument("--node", choices=("ggk", "vecozo"), help="must match the code's kind")
    add.add_argument(
        "--may-submit-for",
        nargs="+",
        default=[],
        metavar="CODE",
        help="parties (of the same node) whose messages this party may upload",
    )
    add.set_defaults(func=cmd_add, reach="required")

    imp = actions.add_parser("import", help="add or update the parties of a parties file")
    imp.add_argument("file", nargs="?", metavar="FILE", help="default: HUB_PARTIES_FILE")
    imp.set_defaults(func=cmd_import, reach="required")

    token = actions.add_parser("token", help="issue, rotate and revoke a party's tokens")
    token_actions = token.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    issue = token_actions.add_parser("issue", help="issue a new token (printed once)")
    issue.add_argument("code", metavar="CODE")
    issue.add_argument("--expires-days", type=_positive, metavar="N", help="default: never")
    issue.set_defaults(func=cmd_token_issue, reach="required")

    rotate = token_actions.add_parser(
        "rotate", help="issue a new token and revoke the others after a grace period"
    )
    rotate.add_argument("code", metavar="CODE")
    rotate.add_argument(
        "--grace-seconds",
        type=_not_negative,
        default=0,
        metavar="N",
        help="how long the old tokens keep working (default 0)",
    )
    rotate.add_argument("--expires-days", type=_positive, metavar="N", help="default: never")
    rotate.set_defaults(func=cmd_token_rotate, reach="required")

    revoke = token_actions.add_parser("revoke", help="revoke every token of a party now")
    revoke.add_argument("code", metavar="CODE")
    revoke.set_defaults(func=cmd_token_revoke, reach="required")
