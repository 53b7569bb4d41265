"""The `hub party` commands: the party registry in PostgreSQL and the parties' bearer tokens.

`authorise` / `revoke` edit who may act for whom (the one delegation table: an indiener's
toestemmingsverklaringen, an intermediary's parties); `show` prints one party in full.

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
from hub.domain.messages import Standard
from hub.domain.parties import (
    KINDS,
    Party,
    PartyError,
    check_delegates,
    load_parties,
    make_party,
    new_token,
)
from hub.infra import store
from hub.infra.store import parties as party_store
from hub.infra.store import party_certs
from hub.ops.cli import push
from hub.ops.cli.connect import with_pool
from hub.ops.cli.party_cert import certificate_lines, register_cert
from hub.settings import Settings


def _note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    async def work(pool: store.Pool) -> tuple[list[Party], dict[str, int]]:
        return await store.list_parties(pool), await store.active_token_counts(pool)

    parties, tokens = with_pool(settings, work, migrated=True)
    print(
        f"{'code':<9} {'kind':<12} {'node':<7} {'tokens':>6}  {'standards':<13} {'name':<40} "
        "may submit for (an intermediary: acts for)"
    )
    for p in parties:
        delegates = " ".join(sorted(p.may_submit_for)) or "-"
        print(
            f"{p.code:<9} {p.kind.value:<12} {p.node.value:<7} {tokens.get(p.code, 0):>6}  "
            f"{_standards(p):<13} {p.name:<40} {delegates}"
        )
    return 0


def _standards(party: Party) -> str:
    return ",".join(s.value for s in sorted(party.exchanges))


def cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    async def work(
        pool: store.Pool,
    ) -> tuple[Party, list[str], int, list[party_certs.PartyCertificate]]:
        party = await store.get_party(pool, args.code)
        if party is None:
            raise ConfigError(
                f"unknown party {args.code}; add it with `hub party add` or `hub party import`"
            )
        tokens = (await store.active_token_counts(pool)).get(party.code, 0)
        certs = await party_certs.certificates(pool, party.code)
        return party, await party_store.acting_for(pool, party.code), tokens, certs

    party, agents, tokens, certs = with_pool(settings, work, migrated=True)
    listed = "" if party.standards else " (none listed: the default of its kind)"
    print(f"code:        {party.code}")
    print(f"name:        {party.name}")
    print(f"kind:        {party.kind.value}")
    print(f"node:        {party.node.value}")
    print(f"tokens:      {tokens} working")
    for i, line in enumerate(certificate_lines(certs) or ["-"]):
        print(f"{'certificates:' if i == 0 else '':<14}{line}")
    print(f"standards:   {_standards(party)}{listed}")
    what = "acts for" if party.is_intermediary else "may submit for"
    print(f"{what + ':':<13}{' '.join(sorted(party.may_submit_for)) or '-'}")
    if party.is_intermediary:
        print(f"inbox:       {' '.join(party.inbox_parties) or '- (no party has authorised it)'}")
    else:
        print(f"acted for by: {' '.join(agents) or '-'}")
    return 0


def _authorisation(
    args: argparse.Namespace, settings: Settings, grant: bool
) -> tuple[Party, list[str]]:
    """Check the agent and its parties, then add (grant) or remove their delegations."""

    async def work(pool: store.Pool) -> tuple[Party, list[str]]:
        known = {p.code: p for p in await store.list_parties(pool)}
        agent = known.get(args.agent)
        if agent is None:
            raise ConfigError(
                f"unknown party {args.agent}; add it with `hub party add` or `hub party import`"
            )
        if grant:
            wider = agent.may_submit_for | frozenset(args.parties)
            try:
                if args.agent in args.parties:
                    raise PartyError(f"{args.agent} is the party itself")
                check_delegates(
                    make_party(
                        agent.code,
                        agent.name,
                        node=agent.node.value,
                        kind=agent.kind.value,
                        may_submit_for=wider,
                        cak_code=settings.cak_party_code,
                    ),
                    known,
                )
            except PartyError as exc:
                raise ConfigError(f"party {args.agent}: {exc}") from None
            return agent, await party_store.authorise(pool, agent.code, args.parties)
        return agent, await party_store.withdraw(pool, agent.code, args.parties)

    return with_pool(settings, work, migrated=True)


def _from_file_warning(settings: Settings, code: str) -> None:
    """A party the parties file lists gets its delegations back from the file at the next
    import (`hub up` imports it at every start): say so, rather than let a change vanish."""
    try:
        listed = load_parties(settings.parties_file, settings.cak_party_code).get(code)
    except ConfigError:
        return
    if listed is not None:
        _note(
            f"note: {code} is in the parties file {settings.parties_file}; its next import "
            "(`hub up`, `hub party import`) sets its may_submit_for back to the file's: "
            "change the file too"
        )


def cmd_authorise(args: argparse.Namespace, settings: Settings) -> int:
    agent, added = _authorisation(args, settings, grant=True)
    same = sorted(set(args.parties) - set(added))
    print(
        f"{agent.code} may now act for {' '.join(sorted(set(args.parties)))}"
        + (f" ({' '.join(same)} already)" if same else "")
    )
    _from_file_warning(settings, agent.code)
    return 0


def cmd_revoke(args: argparse.Namespace, settings: Settings) -> int:
    agent, removed = _authorisation(args, settings, grant=False)
    never = sorted(set(args.parties) - set(removed))
    print(
        f"{agent.code} no longer acts for {' '.join(removed) or '-'}"
        + (f" (it did not act for {' '.join(never)})" if never else "")
    )
    _from_file_warning(settings, agent.code)
    return 0


def cmd_add(args: argparse.Namespace, settings: Settings) -> int:
    try:
        party = make_party(
            args.code,
            args.name,
            node=args.node,
            kind=args.kind,
            may_submit_for=args.may_submit_for,
            standards=args.standards,
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

    actions.add_parser(
        "list", help="list parties, their node, working tokens and standards"
    ).set_defaults(func=cmd_list, reach="required")

    show = actions.add_parser("show", help="one party: standards, delegations, inbox")
    show.add_argument("code", metavar="CODE")
    show.set_defaults(func=cmd_show, reach="required")

    add = actions.add_parser("add", help="add a party, or replace one with the same code")
    add.add_argument(
        "code",
        metavar="CODE",
        help="CBS gemeentecode, AGB code, the CAK code, or an intermediary's own code",
    )
    add.add_argument("--name", required=True, help="name of the party")
    add.add_argument(
        "--kind",
        choices=[k.value for k in KINDS],
        help="default: from the code; an intermediary must say so (and give --node)",
    )
    add.add_argument(
        "--node",
        choices=("ggk", "vecozo"),
        help="must match the code's kind; an intermediary's own",
    )
    add.add_argument(
        "--may-submit-for",
        nargs="+",
        default=[],
        metavar="CODE",
        help="parties (of the same node) whose messages this party may upload "
        "(an intermediary: the parties that authorised it)",
    )
    add.add_argument(
        "--standards",
        nargs="+",
        default=[],
        choices=[s.value for s in Standard],
        help="the standards it may exchange (default: its kind's)",
    )
    add.set_defaults(func=cmd_add, reach="required")

    authorise = actions.add_parser(
        "authorise", help="let AGENT (an intermediary or indiener) act for PARTY"
    )
    authorise.add_argument("agent", metavar="AGENT")
    authorise.add_argument("parties", nargs="+", metavar="PARTY")
    authorise.set_defaults(func=cmd_authorise, reach="required")

    revoke = actions.add_parser("revoke", help="AGENT no longer acts for PARTY")
    revoke.add_argument("agent", metavar="AGENT")
    revoke.add_argument("parties", nargs="+", metavar="PARTY")
    revoke.set_defaults(func=cmd_revoke, reach="required")

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

    revoke_token = token_actions.add_parser("revoke", help="revoke every token of a party now")
    revoke_token.add_argument("code", metavar="CODE")
    revoke_token.set_defaults(func=cmd_token_revoke, reach="required")
    register_cert(actions)  # hub party cert add|remove (hub/ops/cli/party_cert.py)
    push.register(actions)  # hub party push set|show|remove (hub/ops/cli/push.py)
