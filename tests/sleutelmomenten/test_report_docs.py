"""docs/sleutelmomenten.md and the README's Sleutelmomenten section follow the code: the moments
table is SPECS', every CSV column is described, the README's command parses and its screenshot
is there and small."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from hub.ops.cli.main import build_parser
from hub.ops.report import csvfile
from hub.ops.report.doc import moments_table

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "sleutelmomenten.md").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")
SHOT = ROOT / "docs" / "img" / "sleutelmomenten-report.png"


def test_the_moments_table_is_specs() -> None:
    start = DOC.index("<!-- moments table: generated from SPECS -->\n") + len(
        "<!-- moments table: generated from SPECS -->\n"
    )
    end = DOC.index("<!-- end of moments table -->")
    assert DOC[start:end] == moments_table(), "docs/sleutelmomenten.md: paste moments_table()"


def test_every_csv_column_is_described() -> None:
    section = DOC.split("### CSV columns", 1)[1].split("\n## ", 1)[0]
    described = set(re.findall(r"`(\w+)`", section))
    assert set(csvfile.COLUMNS) <= described, set(csvfile.COLUMNS) - described


def test_the_shown_commands_parse() -> None:
    shown = [
        line.strip()
        for text in (DOC, README)
        for line in text.splitlines()
        if line.strip().startswith("hub report sleutelmomenten")
    ]
    assert len(shown) >= 3, shown
    for line in shown:
        args = build_parser().parse_args(shlex.split(line)[1:])
        assert args.start <= args.end


def test_the_readme_links_the_doc_and_a_small_screenshot() -> None:
    assert "docs/sleutelmomenten.md" in README
    assert "docs/img/sleutelmomenten-report.png" in README
    assert SHOT.read_bytes().startswith(b"\x89PNG")
    assert SHOT.stat().st_size < 300_000
