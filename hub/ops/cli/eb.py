"""Operator commands for the eigen bijdrage: `hub eb policy`, `hub eb show`, `hub eb held`."""

from __future__ import annotations

import argparse
import re
from uuid import UUID

from hub.domain.eigenbijdrage.policy import describe, load_policy
from hub.domain.errors import ConfigError
from hub.infra.store import eigenbijdrage_held
from hub.infra.store import eigenbijdrage_view as eb_store
from hub.ops.cli.connect import with_pool
from hub.ops.cli.moments import when
from hub.settings import Settings

_STATUS = {"1": "new", "2": "change", "3": "retract"}


def cmd_policy(args: argparse.Namespace, settings: Settings) -> int:
    book = load_policy(settings.eb_policy_file)
    print(f"policy file {settings.eb_policy_file}")
    print(f"  defaults  {describe(book.defaults)}")
    for code, policy in book:
        print(f"  {code}      {describe(policy)}")
    return 0


def _period(begin: object, end: object) -> str:
    return f"{begin} .. {end or 'open'}"


def cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    if args.message:
        try:
            message_id = UUID(args.message)
        except ValueError:
            raise ConfigError(f"--message {args.message!r} is not a message id (uuid)") from None
        found = with_pool(settings, lambda pool: eb_store.person_of_message(pool, message_id))
        if found is None:
            print(f"message {message_id} touched no eigen-bijdrage state")
            return 1
        gemeente, person = found
    else:
        if not (args.gemeente and args.bsn_hash):
            raise ConfigError("`hub eb show` needs --message ID, or --gemeente and --bsn-hash")
        if not re.fullmatch(r"[0-9a-f]{32}", args.bsn_hash):
            raise ConfigError("--bsn-hash is the 32-character person key, never a BSN")
        gemeente, person = args.gemeente, args.bsn_hash
    view = with_pool(settings, lambda pool: eb_store.person_view(pool, gemeente, person))
    print(f"gemeente {view.gemeente}  person {view.person_key}")
    if not (view.lines or view.meldingen or view.notices):
        print("  nothing known")
        return 1
    print("periods (as told to the CAK):")
    for m in view.meldingen:
        state = "retracted" if m.retracted else "current"
        print(
            f"  WMO{m.route}  {m.melding_id}  {_period(m.begindatum, m.einddatum)}  {state}"
            f"  (since {when(m.created_at)}, updated {when(m.updated_at)})"
        )
    print("counting lines:")
    for ln in view.lines:
        kind = "start" if ln.reden is None else f"stop {ln.reden} {ln.einddatum}"
        gone = "  deleted" if ln.deleted else ""
        print(
            f"  WMO{ln.route}  {ln.aanbieder}  toewijzing {ln.toewijzing or '-'}  "
            f"{ln.categorie or '?'}/{ln.code or '-'}  begin {ln.begindatum}  {kind}{gone}"
            f"  (message {ln.message_id})"
        )
    print("notices sent:")
    for n in view.notices:
        codes = f" {','.join(n.retourcodes)}" if n.retourcodes else ""
        print(
            f"  {when(n.created_at)}  WMO{n.route}  Identificatie {n.identificatie}  "
            f"message {n.message_id}  CAK: {n.outcome}{codes}  (from {n.source_message_id})"
        )
        for e in n.entries:
            status = str(e.get("status"))
            print(
                f"      {_STATUS.get(status, status)} {e.get('melding_id')}  "
                f"{_period(e.get('begindatum'), e.get('einddatum'))}"
            )
    return 0


_REASON = {
    "start": "start beyond the start limit",
    "correction": "correction beyond the correction limit",
    "held-melding": "change of a period held before",
}


def cmd_held(args: argparse.Namespace, settings: Settings) -> int:
    """The notice entries held beyond the iEb limits, for the gemeente to handle by hand."""
    if args.gemeente is not None and not re.fullmatch(r"[0-9]{4}", args.gemeente):
        raise ConfigError(f"--gemeente {args.gemeente!r} is not a 4-digit CBS gemeentecode")
    if args.limit < 1:
        raise ConfigError("--limit must be at least 1")
    rows = with_pool(
        settings, lambda pool: eigenbijdrage_held.list_held(pool, args.gemeente, args.limit)
    )
    if not rows:
        print(
            "no notice entries held" + (f" for gemeente {args.gemeente}" if args.gemeente else "")
        )
        return 0
    print(f"{len(rows)} notice entr{'y' if len(rows) == 1 else 'ies'} held (newest first):")
    for h in rows:
        limit = f" ({h.limit_months} months: before {h.cutoff})" if h.cutoff else ""
        print(
            f"  {when(h.held_at)}  gemeente {h.gemeente}  WMO{h.route}  "
            f"{_STATUS.get(h.status, h.status)} {h.melding_id}  "
            f"{_period(h.begindatum, h.einddatum)}  {_REASON.get(h.reason, h.reason)}{limit}"
        )
        print(f"      person {h.person_key}  from message {h.source_message_id}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    eb = sub.add_parser("eb", help="eigen bijdrage: policy and per-person notices")
    eb_sub = eb.add_subparsers(dest="eb_command", metavar="ACTION", required=True)
    eb_sub.add_parser(
        "policy", help="the per-gemeente policy in force (HUB_EB_POLICY_FILE)"
    ).set_defaults(func=cmd_policy)
    show = eb_sub.add_parser("show", help="a person's periods, counting lines and notices")
    show.add_argument("--gemeente", help="4-digit CBS gemeentecode")
    show.add_argument("--bsn-hash", help="the person key (keyed hash of the BSN)")
    show.add_argument("--message", help="id of a 305/307 or of a notice")
    show.set_defaults(func=cmd_show, reach="required")
    held = eb_sub.add_parser(
        "held", help="notice entries held beyond the iEb limits, to handle by hand"
    )
    held.add_argument("--gemeente", help="only this 4-digit CBS gemeentecode")
    held.add_argument("--limit", type=int, default=200, help="at most this many (200)")
    held.set_defaults(func=cmd_held, reach="required")
