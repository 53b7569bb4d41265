"""Every module path and module name the README and docs/ mention exists, so the docs follow a move.

A path (`hub/domain/decide.py`, `hub/domain/history/`, `adapters/uploads.py`, `tests/e2e/`) must
name a file or folder of the repository (a `*` in it must match one); a dotted name
(`hub.infra.store.retention`, `hub.domain.rules.RULES`) must be a module, or a name defined in
one.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted(
    [
        ROOT / "README.md",
        *(ROOT / "docs").glob("*.md"),
        ROOT / "observability" / "README.md",
        ROOT / "deploy" / "README.md",
    ]
)
# Only the repository's own top folders: `deploy/isd-hub-core` in a kubectl line is no path.
_PATH = re.compile(r"(?<![\w./-])((?:hub|handlers|adapters|tests|benchmarks)/[\w./*-]*)")
_DOTTED = re.compile(r"(?<![\w./-])((?:hub|handlers|adapters|benchmarks)(?:\.[A-Za-z_]\w*)+)")
# `hub.json`, `hub.env`: file names, not modules.
_FILE_SUFFIXES = frozenset({"env", "json", "toml", "yaml", "yml", "md", "py", "sql", "xsd", "xml"})


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _mentions(pattern: re.Pattern[str]) -> list[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for doc in DOCS:
        for match in pattern.finditer(doc.read_text(encoding="utf-8")):
            # A sentence's full stop or comma is not part of the path.
            found.add((_rel(doc), match.group(1).rstrip(".,")))
    return sorted(found)


PATHS = _mentions(_PATH)
DOTTED = [
    (doc, name) for doc, name in _mentions(_DOTTED) if name.rsplit(".", 1)[-1] not in _FILE_SUFFIXES
]


def test_the_docs_mention_paths() -> None:
    # A regex that stopped matching would make every test below pass on nothing.
    assert all(doc.is_file() for doc in DOCS), [str(d) for d in DOCS if not d.is_file()]
    assert ROOT / "docs" / "architecture.md" in DOCS
    assert len(PATHS) > 50, PATHS
    assert ("README.md", "handlers/intake.py") in PATHS
    assert any(name.startswith("hub.ops.") for _, name in DOTTED), DOTTED


@pytest.mark.parametrize(("doc", "path"), PATHS, ids=[f"{d}:{p}" for d, p in PATHS])
def test_mentioned_path_exists(doc: str, path: str) -> None:
    if "*" in path:
        assert list(ROOT.glob(path)), f"{doc} mentions {path}, which matches no file"
        return
    target = ROOT / path
    if path.endswith("/"):
        assert target.is_dir(), f"{doc} mentions the folder {path}, which does not exist"
    else:
        assert target.exists(), f"{doc} mentions {path}, which does not exist"


def _module(parts: list[str]) -> Path | None:
    """The file of module `parts` (a package's __init__.py), or None when there is none."""
    base = ROOT.joinpath(*parts)
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py")
    return None


@pytest.mark.parametrize(("doc", "name"), DOTTED, ids=[f"{d}:{n}" for d, n in DOTTED])
def test_mentioned_module_exists(doc: str, name: str) -> None:
    parts = name.split(".")
    if _module(parts) is not None:
        return
    # Otherwise the last part is a name defined (or re-exported) in the module before it.
    module = _module(parts[:-1])
    assert module is not None, f"{doc} mentions {name}: no module {'.'.join(parts[:-1])}"
    source = module.read_text(encoding="utf-8")
    assert re.search(rf"\b{re.escape(parts[-1])}\b", source), (
        f"{doc} mentions {name}, but {_rel(module)} has no {parts[-1]}"
    )
