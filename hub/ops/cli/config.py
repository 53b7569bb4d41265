"""`hub config`: every HUB_* setting with its current value and meaning."""

from __future__ import annotations

import argparse

from pydantic import SecretStr

from hub.settings import Settings

# Said after the value of a secret still at its built-in, public value (hub.ops.startchecks).
DEVELOPMENT_MARK = "(DEVELOPMENT VALUE: public, set your own before production)"


def cmd_config(args: argparse.Namespace, settings: Settings) -> int:
    """Every setting with its environment variable, current value and description."""
    from hub.ops.startchecks import development_secrets

    at_default = set(development_secrets(settings))
    for field_name, info in Settings.model_fields.items():
        env = f"HUB_{field_name.upper()}"
        value = getattr(settings, field_name)
        unset = value is None or (isinstance(value, SecretStr) and not value.get_secret_value())
        shown = "(unset)" if unset else str(value)
        if field_name == "database_url" and value:
            from hub.ops.locate import redact

            shown = redact(str(value))
        if env in at_default:
            shown = f"{shown} {DEVELOPMENT_MARK}"
        print(f"{env:<30} {shown}")
        print(f"    {info.description or ''}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub.add_parser("config", help="list every HUB_* setting, its value and meaning").set_defaults(
        func=cmd_config
    )
