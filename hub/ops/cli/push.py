"""The `hub party push` commands: a party's push endpoint (set, show, remove).

Registered under `hub party` by hub/ops/cli/party.py. `set` takes the secret from a file (or
`-` for stdin), or makes a random one and prints it once, alone on stdout, like a token; the
hub keeps it sealed (hub/infra/store/push.py) and never shows it again.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from pathlib import Path

from hub.domain import push
from hub.domain.errors import ConfigError
from hub.infra import store
from hub.infra.store import push as push_store
from hub.ops.cli.connect import with_pool
from hub.settings import Settings

_GENERATED_BYTES = 32


def _note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _read_secret(source: str | None) -> tuple[bytes, bool]:
    """The secret and whether it was made here (then it is printed once)."""
    if source is None:
        return secrets.token_hex(_GENERATED_BYTES).encode(), True
    try:
        raw = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the secret file {source}: {exc.strerror}") from None
    secret = raw.rstrip(b"\r\n")
    problem = push.secret_problem(secret)
    if problem:
        raise ConfigError(problem)
    return secret, False


async def _receiving_party(pool: store.Pool, code: str) -> None:
    party = await store.get_party(pool, code)
    if party is None:
        raise ConfigError(f"unknown party {code}; add it with `hub party add`")
    if party.kind == "intermediary":
        raise ConfigError(
            f"{code} is an intermediary: messages are delivered to the parties it serves, so "
            "each of them registers the endpoint (`hub party push set <their code> URL`)"
        )


def cmd_set(args: argparse.Namespace, settings: Settings) -> int:
    problem = push.url_problem(args.url, allow_http=settings.push_allow_http)
    if problem:
        raise ConfigError(f"{args.url}: {problem}")
    secret, made = _read_secret(args.secret_file)
    master = settings.person_key_secret.get_secret_value()

    async def work(pool: store.Pool) -> None:
        await _receiving_party(pool, args.code)
        sealed = push_store.seal(master, args.code, secret)
        await push_store.set_endpoint(pool, args.code, args.url, sealed, args.kind)

    with_pool(settings, work, migrated=True)
    _note(f"{args.code} now gets its new inbox messages pushed to {args.url}")
    if made:
        _note("its signing secret is shown only now: give it to the receiver")
        print(secret.decode(), flush=True)
    return 0


def cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    async def work(pool: store.Pool) -> push_store.Endpoint | None:
        return await push_store.endpoint(pool, args.code)

    found = with_pool(settings, work, migrated=True)
    if found is None:
        print(f"{args.code} has no push endpoint (it fetches its inbox)")
        return 1
    oldest = found.oldest_pending.isoformat(timespec="seconds") if found.oldest_pending else "-"
    print(f"party      {found.party}")
    print(f"url        {found.url}")
    print(f"kind       {found.kind}")
    print(f"since      {found.created_at.isoformat(timespec='seconds')}")
    print(f"changed    {found.updated_at.isoformat(timespec='seconds')}")
    print(f"pushes     {found.pending} pending (oldest {oldest}), {found.delivered} delivered, "
          f"{found.failed} failed")  # fmt: skip
    print(f"last error {found.last_error or '-'}")
    return 0


def cmd_remove(args: argparse.Namespace, settings: Settings) -> int:
    async def work(pool: store.Pool) -> bool:
        return await push_store.remove_endpoint(pool, args.code)

    if not with_pool(settings, work, migrated=True):
        print(f"{args.code} had no push endpoint")
        return 1
    print(f"{args.code} no longer gets pushes; its pending ones stay in its inbox")
    return 0


def register(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `push set|show|remove` to `hub party`'s actions."""
    group = actions.add_parser("push", help="a party's push endpoint (HTTPS, signed POSTs)")
    verbs = group.add_subparsers(dest="push_command", metavar="ACTION", required=True)
    put = verbs.add_parser("set", help="register or replace the party's endpoint")
    put.add_argument("code", metavar="CODE")
    put.add_argument("url", metavar="URL", help="https://… (http:// with HUB_PUSH_ALLOW_HTTP)")
    put.add_argument(
        "--secret-file",
        metavar="FILE",
        help="the HMAC secret (at least 16 bytes; '-': stdin); default: a random one, printed",
    )
    put.add_argument(
        "--kind",
        choices=push.KINDS,
        default="http",
        help="http: the raw message, signed (default); ggk-soap: in a StUF-GGk ggk_Di01/"
        "ggk_Du01 SOAP envelope, until the endpoint answers a Bv03 (docs/nodedoors.md)",
    )
    put.set_defaults(func=cmd_set, reach="required")
    show = verbs.add_parser("show", help="the endpoint and its pushes (never the secret)")
    show.add_argument("code", metavar="CODE")
    show.set_defaults(func=cmd_show, reach="required")
    remove = verbs.add_parser("remove", help="stop pushing; pending messages stay in the inbox")
    remove.add_argument("code", metavar="CODE")
    remove.set_defaults(func=cmd_remove, reach="required")
