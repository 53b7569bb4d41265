"""The `hub` command: one entry point for operators (start, run parts, database, version)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from hub import __version__
from hub.domain import topics
from hub.domain.errors import ConfigError, HubError
from hub.infra import preflight, store
from hub.infra.kafka import topic_admin
from hub.ops import example, locate
from hub.ops.cli import eb as cli_eb
from hub.ops.cli import freeze as cli_freeze
from hub.ops.cli import ledger as cli_ops
from hub.ops.cli import party as partycli
from hub.ops.cli import purge as cli_retention
from hub.settings import Settings, load_settings

if TYPE_CHECKING:
    from hub.domain.packs import PackRegistry
    from hub.domain.validation import Verdict

Command = Callable[[argparse.Namespace, Settings], int]


def _need(value: str | None, setting: str, command: str) -> str:
    if not value:
        raise ConfigError(
            f"`hub {command}` needs {setting}; `hub up` sets it for the processes it starts"
        )
    return value


def cmd_up(args: argparse.Namespace, settings: Settings) -> int:
    from hub.ops.supervisor import Supervisor

    _registry(settings, [], complete=True)  # refuse an incomplete pack set before starting
    return Supervisor(settings, demo=args.demo).run()


def _serve(app: object, host: str, port: int, level: str) -> int:
    import uvicorn

    from hub.infra.embedded import ensure_port_free

    ensure_port_free(host, port, "this process", "its HUB_*_PORT setting")
    config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        host=host,
        port=port,
        log_level=level.lower(),
        lifespan="on",
        access_log=False,
        log_config=None,  # keep the hub's own log format
    )
    server = uvicorn.Server(config)
    server.run()
    # uvicorn reports a failed lifespan start-up by not having started.
    return 0 if server.started else 3


def cmd_core(args: argparse.Namespace, settings: Settings) -> int:
    from hub.app import core_app
    from hub.infra.logs import configure

    configure(settings.log_level, "core")
    bootstrap = _need(settings.kafka_bootstrap, "HUB_KAFKA_BOOTSTRAP", "core")
    database_url = _need(settings.database_url, "HUB_DATABASE_URL", "core")
    _registry(settings, [], complete=True)  # before any connection: the packs are local
    asyncio.run(preflight.check(settings, bootstrap, database_url))
    app = core_app(settings, bootstrap, database_url)
    return _serve(app, settings.host, settings.core_port, settings.log_level)


def cmd_relay(args: argparse.Namespace, settings: Settings) -> int:
    from hub.app import relay_app
    from hub.infra.logs import configure

    configure(settings.log_level, "relay")
    bootstrap = _need(settings.kafka_bootstrap, "HUB_KAFKA_BOOTSTRAP", "relay")
    database_url = _need(settings.database_url, "HUB_DATABASE_URL", "relay")
    asyncio.run(preflight.check(settings, bootstrap, database_url))
    app = relay_app(settings, bootstrap, database_url)
    return _serve(app, settings.host, settings.relay_port, settings.log_level)


def cmd_adapter(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.registry import get_adapter
    from hub.app import adapter_app
    from hub.infra.logs import configure

    adapter = get_adapter(args.name)
    configure(settings.log_level, f"adapter-{args.name}")
    bootstrap = _need(settings.kafka_bootstrap, "HUB_KAFKA_BOOTSTRAP", "adapter")
    database_url = _need(settings.database_url, "HUB_DATABASE_URL", "adapter")
    asyncio.run(preflight.check(settings, bootstrap, database_url))
    port = settings.ggk_port if adapter.node.value == "ggk" else settings.vecozo_port
    app = adapter_app(args.name, settings, bootstrap, database_url)
    return _serve(app, settings.host, port, settings.log_level)


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    # main() resolved the database (hub.ops.locate): HUB_DATABASE_URL, the running `hub up`, or
    # (this command only, since it prepares a database) the embedded one of HUB_DATA_DIR.
    url = _need(settings.database_url, "HUB_DATABASE_URL", "db upgrade")

    async def upgrade() -> tuple[list[store.Migration], int]:
        pool = await store.create_pool(url, connect_timeout=settings.startup_timeout_s)
        try:
            applied = await store.migrate(pool)
            return applied, await store.schema_version(pool)
        finally:
            await pool.close()

    applied, version = asyncio.run(upgrade())
    for migration in applied:
        print(f"applied {migration.version:04d}_{migration.name}")
    print(f"schema at version {version}" + ("" if applied else " (already up to date)"))
    return 0


def cmd_topics(args: argparse.Namespace, settings: Settings) -> int:
    bootstrap = _need(settings.kafka_bootstrap, "HUB_KAFKA_BOOTSTRAP", "topics ensure")
    created = asyncio.run(topic_admin.ensure_topics(settings, bootstrap))
    for spec in topics.ALL:
        topic = topics.name(settings, spec)
        print(f"{topic:<24} {'created' if topic in created else 'exists'}")
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from hub.infra.logs import configure
    from hub.ops.demo import Demo, load_tokens

    configure(settings.log_level, "demo")
    base = f"http://{settings.host}"
    tokens = load_tokens(settings.demo_tokens_file)
    demo = Demo(
        f"{base}:{settings.ggk_port}", f"{base}:{settings.vecozo_port}", args.interval, tokens
    )
    return demo.run()


def _registry(settings: Settings, extra: Sequence[str], *, complete: bool = False) -> PackRegistry:
    """The built-in packs, HUB_PACK_DIRS and `extra`; with `complete`, refused (PackError)
    when they lack a message the hub may have to build (hub.domain.packs.require_complete)."""
    from hub.domain.packs import PackRegistry, load_packs, require_complete

    dirs = [*PackRegistry.default_dirs(), *settings.extra_pack_dirs]
    for given in extra:
        path = Path(given)
        if not path.is_dir():
            raise ConfigError(f"--pack {given}: not a directory")
        dirs.append(path)
    registry = load_packs(dirs)
    return require_complete(registry) if complete else registry


def cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    from hub.domain.validation import Validator

    if args.explain is not None:
        if args.files:
            raise ConfigError("--explain RULE takes no files")
        return _explain(args.explain)
    if not args.files:
        raise ConfigError("validate needs at least one FILE (or --explain RULE)")
    validator = Validator(_registry(settings, args.pack))
    reports = []
    any_invalid = False
    for name in args.files:
        path = Path(name)
        try:
            data = path.read_bytes()
        except OSError as exc:
            print(f"hub: error: {name}: {exc.strerror}", file=sys.stderr)
            return 2
        verdict = validator.validate(data)
        any_invalid |= not verdict.valid
        reports.append((name, verdict))
    if args.json:
        print(json.dumps([_verdict_json(n, v) for n, v in reports], indent=2))
    else:
        for name, verdict in reports:
            print(_verdict_line(name, verdict))
            for f in verdict.findings:
                code = f.retourcode or "-"
                print(f"  {f.rule:<12} {code:<5} L{f.level.value}  {f.location}  {f.sentence}")
    return 1 if any_invalid else 0


def _explain(rule_id: str) -> int:
    from hub.domain import rulebook

    text = rulebook.explain(rule_id)
    if text is None:
        near = rulebook.nearest(rule_id)
        hint = f"; nearest: {', '.join(near)}" if near else "; see docs/rules.md"
        print(f"hub: error: {rule_id!r} is not a rule id of the rulebook{hint}", file=sys.stderr)
        return 2
    print(text)
    return 0


def _verdict_line(name: str, verdict: Verdict) -> str:
    pm = verdict.pack_message
    env = verdict.envelope
    if pm is not None:
        kind = f"{pm.name} ({pm.pack.standard.value} {pm.pack.release})"
    elif env is not None and env.message_name and env.standard:
        kind = f"{env.message_name} ({env.standard.value} {env.release}, no pack)"
    else:
        kind = "unrecognised message"
    return f"{name}: {kind}: {verdict.outcome.value}"


def _verdict_json(name: str, verdict: Verdict) -> dict[str, object]:
    pm = verdict.pack_message
    return {
        "file": name,
        "message": pm.name if pm else None,
        "standard": pm.pack.standard.value if pm else None,
        "release": pm.pack.release if pm else None,
        "verdict": verdict.outcome.value,
        "findings": [
            {
                "rule": f.rule,
                "retourcode": f.retourcode or None,
                "level": int(f.level.value),
                "location": f.location,
                "sentence": f.sentence,
            }
            for f in verdict.findings
        ],
    }


def cmd_packs(args: argparse.Namespace, settings: Settings) -> int:
    registry = _registry(settings, args.pack, complete=True)
    for pack in registry.packs:
        note = "  (hub model)" if pack.hub_model else ""
        print(
            f"{pack.standard.value} {pack.release}  BerichtVersie {pack.bericht_versie}."
            f"{pack.bericht_subversie}  xsd {pack.bericht_xsd_versie}  {pack.dir}{note}"
        )
        for pm in registry.messages():
            if pm.pack is pack:
                print(f"  {pm.name:<8} {pm.bericht_code:<4} {pm.message_type.title}")
    return 0


def cmd_config(args: argparse.Namespace, settings: Settings) -> int:
    """Every setting with its environment variable, current value and description."""
    for field_name, info in Settings.model_fields.items():
        value = getattr(settings, field_name)
        shown = "(unset)" if value is None else str(value)
        if field_name == "database_url" and value:
            from hub.ops.locate import redact

            shown = redact(str(value))
        print(f"HUB_{field_name.upper():<26} {shown}")
        print(f"    {info.description or ''}")
    return 0


def cmd_docs(args: argparse.Namespace, settings: Settings) -> int:
    """Print or write a generated contract document (docs/ holds the checked-in copies)."""
    if args.docs_command == "asyncapi":
        from hub.ops.asyncapi import render

        text = render()
    elif args.docs_command == "rules":
        from hub.ops.rulebook_doc import render as render_rules

        text = render_rules()
    else:
        from hub.domain.events import event_json_schema

        text = json.dumps(event_json_schema(), indent=2, ensure_ascii=False) + "\n"
    if args.out is None:
        sys.stdout.write(text)
    else:
        try:
            Path(args.out).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"--out {args.out}: {exc.strerror}") from None
    return 0


def cmd_version(args: argparse.Namespace, settings: Settings) -> int:
    print(f"isd-hub {__version__}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hub",
        description="isd-hub: validates, routes and observes iWmo / iJw / iEb traffic.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    up = sub.add_parser("up", help="start broker, database, core and both adapters")
    up.add_argument("--demo", action="store_true", help="also feed realistic demo traffic")
    up.set_defaults(func=cmd_up)

    core = sub.add_parser(
        "core", help="run the hub core (needs HUB_KAFKA_BOOTSTRAP, HUB_DATABASE_URL)"
    )
    core.set_defaults(func=cmd_core)

    sub.add_parser(
        "relay", help="run the outbox relay alone (for a core with HUB_CORE_RELAY=false)"
    ).set_defaults(func=cmd_relay)

    adapter = sub.add_parser("adapter", help="run one node adapter (ggk or vecozo)")
    adapter.add_argument("name", help="ggk or vecozo")
    adapter.set_defaults(func=cmd_adapter)

    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_sub.add_parser(
        "upgrade", help="apply pending migrations (a re-run is a no-op)"
    ).set_defaults(func=cmd_db_upgrade, reach="embedded")

    partycli.add_parser(sub)
    cli_ops.register(sub)
    cli_eb.register(sub)
    cli_freeze.register(sub)
    cli_retention.register(sub)
    example.register(sub)

    tp = sub.add_parser("topics", help="Kafka topics")
    tp_sub = tp.add_subparsers(dest="topics_command", metavar="ACTION", required=True)
    tp_sub.add_parser("ensure", help="create missing topics with explicit partitions").set_defaults(
        func=cmd_topics
    )

    demo = sub.add_parser("demo", help="feed demo traffic into running adapters")
    demo.add_argument(
        "--interval", type=float, default=0.5, help="seconds between trajectories (default 0.5)"
    )
    demo.set_defaults(func=cmd_demo)

    validate = sub.add_parser(
        "validate", help="validate message files (exit 0 all valid, 1 any invalid, 2 usage)"
    )
    validate.add_argument("files", nargs="*", metavar="FILE")
    validate.add_argument(
        "--explain", metavar="RULE", help="print what a rule checks and whether the hub runs it"
    )
    validate.add_argument("--json", action="store_true", help="machine-readable output")
    validate.add_argument(
        "--pack", action="append", default=[], metavar="DIR", help="extra pack directory"
    )
    validate.set_defaults(func=cmd_validate)

    packs = sub.add_parser("packs", help="list the loaded schema packs and their messages")
    packs.add_argument(
        "--pack", action="append", default=[], metavar="DIR", help="extra pack directory"
    )
    packs.set_defaults(func=cmd_packs)

    sub.add_parser("config", help="list every HUB_* setting, its value and meaning").set_defaults(
        func=cmd_config
    )
    docs = sub.add_parser("docs", help="generated contract documents")
    docs_sub = docs.add_subparsers(dest="docs_command", metavar="DOCUMENT", required=True)
    for name, text in (
        ("asyncapi", "AsyncAPI 3.0 description of every topic (docs/asyncapi.json)"),
        ("events-schema", "JSON Schema of the domain events (docs/events.schema.json)"),
        ("rules", "every technical rule and what the hub does with it (docs/rules.md)"),
    ):
        doc = docs_sub.add_parser(name, help=text)
        doc.add_argument("--out", metavar="FILE", help="write to FILE instead of stdout")
        doc.set_defaults(func=cmd_docs)

    sub.add_parser("version", help="print the version").set_defaults(func=cmd_version)
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
