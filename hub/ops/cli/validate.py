"""`hub validate`: validate message files, or explain a rule of the rulebook (`--explain`)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from hub.domain.errors import ConfigError
from hub.ops.cli.packs import load_registry
from hub.settings import Settings

if TYPE_CHECKING:
    from hub.domain.validation import Verdict


def cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    from hub.domain.validation import Validator

    if args.explain is not None:
        if args.files:
            raise ConfigError("--explain RULE takes no files")
        return _explain(args.explain)
    if not args.files:
        raise ConfigError("validate needs at least one FILE (or --explain RULE)")
    validator = Validator(load_registry(settings, args.pack))
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


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
