"""`hub config`: every HUB_* setting with its current value and meaning."""

from __future__ import annotations

import argparse

from hub.settings import Settings


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


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub.add_parser("config", help="list every HUB_* setting, its value and meaning").set_defaults(
        func=cmd_config
    )
