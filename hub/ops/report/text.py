"""How the report writes its figures, the same in the HTML page and the CSV rows: shares as
percentages, lateness in werkdagen with one decimal, months as YYYY-MM."""

from __future__ import annotations

from datetime import date
from typing import Final

from hub.domain.sleutelmomenten import SPECS
from hub.domain.sleutelmomenten.report import Figures

NO_DEADLINE: Final = "no deadline"
PERIOD: Final = "all"  # the month column of a whole period's row


def share(f: Figures) -> str:
    """The on-time share in percent ("83.3"), "no deadline", or "" with nothing judged."""
    if not f.has_deadline:
        return NO_DEADLINE
    value = f.on_time_share
    return "" if value is None else f"{100 * value:.1f}"


def werkdagen(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def month(value: date | None) -> str:
    return PERIOD if value is None else f"{value:%Y-%m}"


def deadline(f: Figures) -> str:
    allowed = SPECS[f.moment].deadline
    return "" if allowed is None else str(allowed)
