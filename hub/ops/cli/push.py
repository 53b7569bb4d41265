"""The `hub party push` commands: a party's push endpoint (set, show, remove).

Registered under `hub party` by hub/ops/cli/party.py. `set` takes the secret from a file (or
`-` for stdin), or makes a random one and prints it once, alone on stdout, like a token; the
hub keeps it sealed (hub/infra/store/push.py) and never shows it again.

The seal's key is derived from HUB_PERSON_KEY_SECRET, so `set` refuses the public development
value unless the database is the embedded one of a local `hub up` (what the development value
is for): sealed with it, a dump of a production database would reveal every party's secret.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from pathlib import Path

from hub.domain import push
from hub.domain.errors import ConfigError
from hub.infra import store
from hub.infra.embedded import EmbeddedPostgres
from hub.infra.store import push as push_store
from hub.ops import startchecks
from hub.ops.cli.connect import with_pool
from hub.settings import Settings

_GENERATED_BYTES = 32
_SEALING_SETTING = "HUB_PERSON_KEY_SECRET"


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


def embedded_database(settings: Settings) -> bool:
    """Whether the database this command reached (hub.ops.locate) is the embedded PostgreSQL of
    HUB_DATA_DIR, the one a local `hub up` starts (hub.ops.startup): its address, and its
    cluster there on disk."""
    data = settings.data_dir.resolve()
    embedded = EmbeddedPostgres(
        data_dir=data / "postgres",
        host=settings.host,
        port=settings.embedded_postgres_port,
        log_path=data / "logs" / "postgres.log",
    )
    return settings.database_url == embedded.dsn and (data / "postgres" / "PG_VERSION").exists()


def check_sealing_key(settings: Settings) -> None:
    """Refuse (ConfigError, exit 2) to seal with the public development key anywhere but the
    embedded database of a local `hub up` (hub.ops.startchecks has the same rule for starting)."""
    if _SEALING_SETTING not in startchecks.development_secrets(settings):
        return
    if embedded_database(settings):
        return
    raise ConfigError(
        f"{_SEALING_SETTING} is still the built-in development value, which is public: the push "
        "secret would be sealed with it and a dump of this database would reveal it; run "
        f"`hub party push set` with the {_SEALING_SETTING} this hub's adapters run with"
    )


def cmd_set(args: argparse.Namespace, settings: Settings) -> int:
    problem = push.url_problem(args.url, allow_http=settings.push_allow_http)
    if problem:
        raise ConfigError(f"{args.url}: {problem}")
    check_sealing_key(settings)
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
