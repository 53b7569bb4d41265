"""How `hub` commands print a moment: in UTC to the second, or "-" for none."""

from __future__ import annotations

from datetime import UTC, datetime


def when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ") if moment else "-"
