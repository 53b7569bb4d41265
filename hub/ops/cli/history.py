"""`hub history`: the state the berichtoverstijgende rules compare with (import, mode, report).

The group is assembled here; each action lives in the module that owns it
(hub.ops.cli.history_import: `import`; hub.ops.cli.history_mode: `mode` and `report`).
"""

from __future__ import annotations

import argparse

from hub.ops.cli import history_import, history_mode


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = sub.add_parser(
        "history", help="history state: import a party's past messages, enforce/advisory mode"
    )
    actions = group.add_subparsers(dest="history_command", metavar="ACTION", required=True)
    history_import.add_commands(actions)
    history_mode.add_commands(actions)
