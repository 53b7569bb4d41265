"""The sleutelmomenten report's figures as CSV rows for spreadsheets: one row per moment,
grouping (all; gemeente or aanbieder, each within its domain), group and month (month "all":
the whole period), written as the HTML page writes them (hub.ops.report.text)."""

from __future__ import annotations

import csv
import io
from typing import Final

from hub.domain.sleutelmomenten import SPECS
from hub.domain.sleutelmomenten.report import BYS, Report
from hub.ops.report import text

COLUMNS: Final = (
    "moment", "by", "domain", "group", "month", "deadline_werkdagen", "on_time_pct",
    "median_werkdagen", "p90_werkdagen", "on_time", "late", "measured", "open", "implausible",
)  # fmt: skip


def render(report: Report) -> str:
    """The CSV text (header first; RFC 4180 line ends, as spreadsheets expect)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for moment in SPECS:
        for by in BYS:
            for f in report.of(moment, by):
                writer.writerow(
                    (
                        moment.value, by, f.domain or report.domain or "", f.group,
                        text.month(f.month), text.deadline(f),
                        text.share(f), text.werkdagen(f.median), text.werkdagen(f.p90),
                        f.on_time, f.late, f.measured, f.open, f.implausible,
                    )
                )  # fmt: skip
    return out.getvalue()
