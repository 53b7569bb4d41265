"""The built-in schema packs, compiled once per test run and shared by every test that only
reads them (compiling every XSD again costs a tenth of a second or more each time)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

from hub.domain.packs import PackRegistry, load_complete_packs, load_default_packs, require_complete


@cache
def default_packs() -> PackRegistry:
    """`load_default_packs()`, once: a PackRegistry is read-only, so tests may share it."""
    return load_default_packs()


def complete_packs(dirs: Sequence[Path]) -> PackRegistry:
    """`load_complete_packs` as the tests' runtimes call it: the built-in folders alone come
    from `default_packs` (still checked for completeness), any other set loads as in the hub."""
    if tuple(Path(d) for d in dirs) == PackRegistry.default_dirs():
        return require_complete(default_packs())
    return load_complete_packs(dirs)
