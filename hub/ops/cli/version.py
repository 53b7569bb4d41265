"""`hub version`: print the version of the installed isd-hub."""

from __future__ import annotations

import argparse

from hub import __version__
from hub.settings import Settings


def cmd_version(args: argparse.Namespace, settings: Settings) -> int:
    print(f"isd-hub {__version__}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub.add_parser("version", help="print the version").set_defaults(func=cmd_version)
