"""The layout's habits that import-linter cannot check: small modules, each saying what it owns."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("hub", "handlers", "adapters")
MAX_LINES = 400

MODULES = sorted(
    path
    for package in PACKAGES
    for path in (ROOT / package).rglob("*.py")
    if "__pycache__" not in path.parts
)


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_the_packages_hold_modules() -> None:
    # A wrong ROOT would make every test below pass on nothing.
    assert len(MODULES) > 100
    assert ROOT / "hub" / "domain" / "messages.py" in MODULES


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_module_is_under_the_size_limit(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines < MAX_LINES, (
        f"{_name(path)} has {lines} lines (limit {MAX_LINES}): split it by what it owns"
    )


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_module_opens_with_a_one_line_purpose(path: Path) -> None:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")), clean=True)
    assert doc, f"{_name(path)} has no module docstring: say in one line what it owns"
    first = doc.splitlines()[0].strip()
    assert first, f"{_name(path)}: the docstring's first line is empty"
    # One sentence that may wrap onto a second line, then a blank line before any detail.
    head = doc.split("\n\n", 1)[0]
    assert len(head.splitlines()) <= 3, (
        f"{_name(path)}: the purpose before the first blank line runs {len(head.splitlines())} "
        "lines; keep it to one sentence and put the detail after a blank line"
    )
