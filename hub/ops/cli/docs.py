"""`hub docs asyncapi|events-schema|rules|node-codes|json-schemas`: print or write a generated
contract document (docs/ holds the checked-in copies)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from hub.domain.errors import ConfigError
from hub.settings import Settings


def cmd_docs(args: argparse.Namespace, settings: Settings) -> int:
    """Print or write a generated contract document (docs/ holds the checked-in copies)."""
    if args.docs_command == "json-schemas":
        return _json_schemas(args.out)
    if args.docs_command == "asyncapi":
        from hub.ops.asyncapi import render

        text = render()
    elif args.docs_command == "rules":
        from hub.ops.rulebook_doc import render as render_rules

        text = render_rules()
    elif args.docs_command == "node-codes":
        from hub.ops.nodecodes_doc import render as render_node_codes

        text = render_node_codes()
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


def _json_schemas(out: str | None) -> int:
    """One file per message under `out` (docs/json); without it, all of them as one object."""
    from hub.ops.jsonschema_doc import render, write

    if out is None:
        files = {name: json.loads(text) for name, text in render().items()}
        sys.stdout.write(json.dumps(files, indent=2, ensure_ascii=False) + "\n")
        return 0
    try:
        written = write(Path(out))
    except OSError as exc:
        raise ConfigError(f"--out {out}: {exc.strerror}") from None
    sys.stdout.write(f"{len(written)} JSON Schemas written under {out}\n")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    docs = sub.add_parser("docs", help="generated contract documents")
    docs_sub = docs.add_subparsers(dest="docs_command", metavar="DOCUMENT", required=True)
    for name, text in (
        ("asyncapi", "AsyncAPI 3.0 description of every topic (docs/asyncapi.json)"),
        ("events-schema", "JSON Schema of the domain events (docs/events.schema.json)"),
        ("rules", "every technical rule and what the hub does with it (docs/rules.md)"),
        ("node-codes", "the node code of every refusal kind (docs/node-codes.md)"),
        ("json-schemas", "JSON Schema of every message's JSON view (--out docs/json: a folder)"),
    ):
        doc = docs_sub.add_parser(name, help=text)
        doc.add_argument("--out", metavar="FILE", help="write to FILE instead of stdout")
        doc.set_defaults(func=cmd_docs)
