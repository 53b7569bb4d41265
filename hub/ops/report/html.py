"""The sleutelmomenten report as one self-contained HTML page: inline CSS, inline SVG charts,
no script, font or image from anywhere, so it opens offline and prints. Titles, deadlines and
clocks come from SPECS; the person appears only as a short person_key prefix."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from html import escape
from typing import Final

from hub.domain.sleutelmomenten import SPECS, Moment
from hub.domain.sleutelmomenten.report import (
    PERSON_PREFIX,
    By,
    Figures,
    Report,
    buckets,
    months,
    shortened,
)
from hub.domain.workdays import AMSTERDAM
from hub.ops.report import text
from hub.ops.report.charts import Chart, bar_chart

_CSS: Final = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
       color: #1a1a1a; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; line-height: 1.4; }
h1 { margin-bottom: .2rem; } h2 { margin-top: 2.5rem; border-bottom: 2px solid #1f5f8b; }
h3 { margin-top: 1.5rem; } .meta, .clock { color: #444; }
.empty { background: #fff4d6; border-left: 4px solid #b7791f; padding: .6rem 1rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .82rem; }
th, td { border: 1px solid #bbb; padding: .2rem .4rem; text-align: right; }
td { white-space: nowrap; }
table.ids td:last-child { white-space: normal; word-break: break-all; font-size: .75rem;
                          font-family: ui-monospace, monospace; }
caption { text-align: left; font-size: .85rem; color: #444; padding-bottom: .2rem; }
th { background: #eef3f7; } td.l, th.l { text-align: left; }
code { font-size: .85rem; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; }
figure { margin: 0; break-inside: avoid; } figcaption { font-weight: 600; font-size: .9rem; }
svg.chart { max-width: 100%; height: auto; background: #fff; }
svg .grid { stroke: #ddd; } svg .axis { stroke: #333; }
svg .tick { font-size: 11px; fill: #333; } svg .label { font-size: 12px; fill: #111; }
svg .none { font-size: 12px; fill: #888; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; }
  table, figure { break-inside: avoid; } * { print-color-adjust: exact;
  -webkit-print-color-adjust: exact; } }
"""

_BY_TITLE: Final[dict[By, str]] = {"gemeente": "Per gemeente", "aanbieder": "Per aanbieder"}


def _cell(value: object, left: bool = False) -> str:
    shown = "" if value is None else str(value)
    return f'<td class="l">{escape(shown)}</td>' if left else f"<td>{escape(shown)}</td>"


def _table(
    head: Sequence[str],
    rows: Iterable[Sequence[str]],
    left: int = 0,
    caption: str = "",
    ids: bool = False,
) -> str:
    """A table whose first `left` columns are text (left-aligned), the rest figures."""
    th = "".join(
        f'<th class="l" scope="col">{escape(h)}</th>'
        if i < left
        else f'<th scope="col">{escape(h)}</th>'
        for i, h in enumerate(head)
    )
    body = "".join(
        "<tr>" + "".join(_cell(v, i < left) for i, v in enumerate(row)) + "</tr>" for row in rows
    )
    said = f"<caption>{escape(caption)}</caption>" if caption else ""
    cls = ' class="ids"' if ids else ""  # the last column holds message ids, which may wrap
    return f"<table{cls}>{said}<thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


_FIGURE_HEAD: Final = (
    "on time %", "median wd", "p90 wd", "on time", "late", "measured", "open", "implausible",
)  # fmt: skip


def _figure_cells(f: Figures) -> list[str]:
    return [
        text.share(f), text.werkdagen(f.median), text.werkdagen(f.p90), str(f.on_time),
        str(f.late), str(f.measured), str(f.open), str(f.implausible),
    ]  # fmt: skip


def _month_table(rows: Sequence[Figures]) -> str:
    return _table(
        ("month", *_FIGURE_HEAD), ([text.month(f.month), *_figure_cells(f)] for f in rows), 1
    )


def _group_table(report: Report, moment: Moment, by: By) -> str:
    """One row per domain and gemeente / aanbieder (a gemeente's Wmo and Jeugd teams each see
    their own): its whole period's figures, then its on-time share (median werkdagen without a
    deadline) per month, so a trend reads along the row; every figure of every month is in the
    CSV."""
    labels = months(report.start, report.end)
    per: dict[tuple[str, str], dict[date | None, Figures]] = {}
    for f in report.of(moment, by):
        per.setdefault((f.domain, f.group), {})[f.month] = f
    monthly = "on time %" if SPECS[moment].deadline is not None else "median wd"

    def trend(f: Figures | None) -> str:
        if f is None:
            return ""
        return text.share(f) if f.has_deadline else text.werkdagen(f.median)

    rows = [
        [domain, group, *_figure_cells(found[None]), *(trend(found.get(m)) for m in labels)]
        for (domain, group), found in sorted(per.items())
        if None in found
    ]
    head = ("domain", by, *_FIGURE_HEAD, *(f"{m:%Y-%m}" for m in labels))
    return _table(head, rows, 2, f"The whole period, then the {monthly} per month")


def _said(f: Figures) -> str:
    """The moment's whole period in a sentence."""
    spec = SPECS[f.moment]
    judged = f.on_time + f.late
    share = (
        f"On time: {text.share(f)}% of {judged} judged (within {spec.deadline} werkdagen). "
        if spec.deadline is not None and judged
        else "No deadline: lateness only. "
        if spec.deadline is None
        else "Nothing judged. "
    )
    lateness = (
        f"Median {text.werkdagen(f.median)} werkdagen, 90th percentile {text.werkdagen(f.p90)}. "
        if f.median is not None
        else ""
    )
    counts = f"{f.open} open, {f.implausible} implausible."
    return f"<p><strong>{escape(share)}{escape(lateness)}</strong>{counts}</p>"


def _month_chart(report: Report, moment: Moment) -> str:
    spec = SPECS[moment]
    labels = months(report.start, report.end)
    monthly = report.monthly(moment)
    names = [f"{m:%Y-%m}" for m in labels]
    if spec.deadline is not None:
        shares = [monthly[m].on_time_share if m in monthly else None for m in labels]
        return bar_chart(
            Chart(
                title=f"{spec.title}: on-time share per month",
                desc=f"Share of rows on time (within {spec.deadline} werkdagen) of those "
                "judged, per month of arrival; no bar where nothing was judged.",
                labels=names,
                values=[None if s is None else 100 * s for s in shares],
                x_label="month of arrival",
                y_label="on time (%)",
                y_max=100.0,
                show=lambda v: f"{v:.0f}%",
            )
        )
    return bar_chart(
        Chart(
            title=f"{spec.title}: lateness per month (no deadline)",
            desc="Median werkdagen late per month of arrival (bars), with the 90th percentile "
            "(dashed marks); the standard sets no deadline for this moment.",
            labels=names,
            values=[monthly[m].median if m in monthly else None for m in labels],
            marks=[monthly[m].p90 if m in monthly else None for m in labels],
            marks_label="90th percentile",
            x_label="month of arrival",
            y_label="werkdagen late (median)",
            show=lambda v: f"{v:.1f}",
        )
    )


def _distribution_chart(report: Report, moment: Moment) -> str:
    counted = buckets(report.distribution.get(moment, {}))
    return bar_chart(
        Chart(
            title=f"{SPECS[moment].title}: lateness distribution",
            desc="Rows per lateness in werkdagen (early: arrived before the clock's date), "
            "over the whole period; open and implausible rows are not in it.",
            labels=[label for label, _ in counted],
            values=[float(n) for _, n in counted],
            x_label="werkdagen late",
            y_label="rows",
            show=lambda v: f"{v:g}",
            whole=True,
        )
    )


def _worst_table(report: Report, moment: Moment) -> str:
    rows = [w for w in report.worst if w.moment == moment]
    if not rows:
        return "<p>None late.</p>"
    return _table(
        ("toewijzing", "domain", "reference", "gemeente", "aanbieder", "person", "clock date",
         "arrived", "werkdagen", "deadline", "message (hub trace)"),
        (
            [w.toewijzing_nummer, w.domain, w.reference, w.gemeente, w.aanbieder, w.person,
             str(w.reference_date), str(w.arrived_on), str(w.werkdagen),
             "" if w.deadline is None else str(w.deadline),
             "" if w.message_id is None else str(w.message_id)]
            for w in rows
        ),
        8,
        ids=True,
    )  # fmt: skip


def _moment_section(report: Report, moment: Moment) -> str:
    spec = SPECS[moment]
    deadline = "no deadline" if spec.deadline is None else f"{spec.deadline} werkdagen"
    head = (
        f'<section id="{moment.value}"><h2>{escape(spec.title)}</h2>'
        f'<p class="clock"><strong>Moment <code>{moment.value}</code>, deadline: '
        f"{escape(deadline)}.</strong> {escape(spec.clock[:1].upper() + spec.clock[1:])}.</p>"
    )
    period = report.period(moment)
    if period is None or not period.total:
        return (
            head + '<p class="empty">Nothing measured for this moment in this period.</p></section>'
        )
    parts = [
        head,
        _said(period),
        '<div class="charts">',
        f"<figure><figcaption>Per month</figcaption>{_month_chart(report, moment)}</figure>",
        "<figure><figcaption>Lateness distribution</figcaption>"
        f"{_distribution_chart(report, moment)}</figure>",
        "</div>",
        "<h3>Per month</h3>",
        _month_table(report.of(moment, "all")),
    ]
    for by in ("gemeente", "aanbieder"):
        parts += [f"<h3>{_BY_TITLE[by]}</h3>", _group_table(report, moment, by)]
    parts += [
        "<h3>Worst toewijzingen (most werkdagen late first)</h3>",
        _worst_table(report, moment),
        "</section>",
    ]
    return "".join(parts)


def _summary(report: Report) -> str:
    rows = []
    for moment, spec in SPECS.items():
        f = report.period(moment)
        deadline = text.NO_DEADLINE if spec.deadline is None else f"{spec.deadline} wd"
        if f is None:  # nothing in the period: zeros, and no share to give
            f = Figures(moment, "all", "", "", None, 0, 0, 0, 0, 0, None, None)
        rows.append([spec.title, moment.value, deadline, *_figure_cells(f)])
    return _table(("moment", "code", "deadline", *_FIGURE_HEAD), rows, 3)


def _conflicts(report: Report) -> str:
    head = '<section id="conflicts"><h2>Productperiode conflicts</h2>'
    if not report.conflicts:
        return head + "<p>None in this period.</p></section>"
    shown = len(report.conflicts)
    note = (
        f"<p>The latest {shown} of {report.conflicts_total}.</p>"
        if shown < report.conflicts_total
        else f"<p>{shown} in this period.</p>"
    )
    table = _table(
        ("raised", "gemeente", "aanbieder", "toewijzing", "person", "new Einddatum",
         "previous", "declaratie", "prestaties", "ProductPeriode", "relation", "301 (hub trace)"),
        (
            [f"{c.raised_at.astimezone(AMSTERDAM):%Y-%m-%d %H:%M}", c.gemeente, c.aanbieder,
             c.toewijzing_nummer, c.person, str(c.einddatum),
             "none" if c.previous_einddatum is None else str(c.previous_einddatum),
             c.declaratie, shortened(c.referentie_nummers),
             f"{c.periode_begin} – {c.periode_eind}", c.relation, str(c.message_id)]
            for c in report.conflicts
        ),
        12,
        ids=True,
    )  # fmt: skip
    return head + note + table + "</section>"


def _filters(report: Report) -> str:
    said = [f"gemeente {report.gemeente}"] if report.gemeente else []
    said += [f"aanbieder {report.aanbieder}"] if report.aanbieder else []
    said += [f"domain {report.domain}"] if report.domain else []
    return ", ".join(said) or "all gemeenten and aanbieders, iWmo and iJw"


def render(report: Report, generated: datetime) -> str:
    """The whole page."""
    period = f"{report.start:%Y-%m-%d} to {report.end:%Y-%m-%d}"
    parts = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Sleutelmomenten {escape(period)}</title><style>{_CSS}</style></head><body>",
        "<h1>Sleutelmomenten</h1>",
        f'<p class="meta">Period {escape(period)} ({escape(_filters(report))}); made '
        f"{generated.astimezone(AMSTERDAM):%Y-%m-%d %H:%M} by <code>hub report "
        "sleutelmomenten</code>. Measured rows count in the month they arrived, open rows in "
        "the month their clock started. Lateness in werkdagen (wd); the on-time share is on "
        "time / (on time + late). A person is shown only as the first "
        f"{PERSON_PREFIX} characters of the keyed person hash.</p>",
    ]
    if report.empty:
        parts.append(
            f'<p class="empty">Nothing measured in this period: no sleutelmoment arrived '
            f"between {report.start} and {report.end}, and none was open.</p>"
        )
    parts += ["<h2>Summary</h2>", _summary(report)]
    if not report.empty:
        parts += [_moment_section(report, m) for m in SPECS]
    parts += [_conflicts(report), "</body></html>"]
    return "\n".join(parts)
