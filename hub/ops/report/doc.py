"""The moments table of docs/sleutelmomenten.md, written from SPECS so the page never repeats a
deadline or clock by hand (tests/sleutelmomenten/test_report_docs.py compares them)."""

from __future__ import annotations

from hub.domain.sleutelmomenten import SPECS


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def moments_table() -> str:
    """A Markdown table: moment, title, deadline in werkdagen, and the clock."""
    rows = [
        "| moment | title | deadline | clock |",
        "|---|---|---|---|",
        *(
            f"| `{s.moment.value}` | {_cell(s.title)} | "
            f"{'none' if s.deadline is None else f'{s.deadline} werkdagen'} | {_cell(s.clock)} |"
            for s in SPECS.values()
        ),
    ]
    return "\n".join(rows) + "\n"
