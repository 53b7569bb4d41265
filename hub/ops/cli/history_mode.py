"""`hub history` actions of history_mode (being written for issue #18)."""

from __future__ import annotations

import argparse


def add_commands(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds this module's actions to the `hub history` group."""
