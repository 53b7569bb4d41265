"""`hub packs`, and the one way every command loads the schema packs (built-in, HUB_PACK_DIRS,
`--pack DIR`)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from hub.domain.errors import ConfigError
from hub.settings import Settings

if TYPE_CHECKING:
    from hub.domain.packs import PackRegistry


def load_registry(
    settings: Settings, extra: Sequence[str], *, complete: bool = False
) -> PackRegistry:
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


def cmd_packs(args: argparse.Namespace, settings: Settings) -> int:
    registry = load_registry(settings, args.pack, complete=True)
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


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    packs = sub.add_parser("packs", help="list the loaded schema packs and their messages")
    packs.add_argument(
        "--pack", action="append", default=[], metavar="DIR", help="extra pack directory"
    )
    packs.set_defaults(func=cmd_packs)
