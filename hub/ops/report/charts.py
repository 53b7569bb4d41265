"""The report's charts as inline SVG written here (no library, no script, nothing fetched): a bar
chart with labelled axes, a `<title>` and `<desc>` for screen readers, and each bar's value in
its own `<title>`; colours that stay distinct in black-and-white print."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from html import escape
from itertools import count
from typing import Final

WIDTH: Final = 520
HEIGHT: Final = 260
LEFT, RIGHT, TOP, BOTTOM = 60, 16, 16, 64
BAR: Final = "#1f5f8b"  # dark blue: reads as a dark grey on paper
MARK: Final = "#c0392b"
_ids = count(1)  # one page holds many charts; their <title> ids must differ


@dataclass(frozen=True, slots=True)
class Chart:
    """What one chart shows. `values[i]` is the bar of `labels[i]` (None: no bar, "no data");
    `marks`, when given, a second figure per label drawn as a short line across the bar."""

    title: str
    desc: str
    labels: Sequence[str]
    values: Sequence[float | None]
    x_label: str
    y_label: str
    y_max: float | None = None  # None: a round number above the largest value
    show: Callable[[float], str] = lambda v: f"{v:g}"
    marks: Sequence[float | None] = ()
    marks_label: str = ""
    whole: bool = False  # counts (rows): the y axis's ticks are whole numbers, never 62.5


def nice_max(value: float) -> float:
    """A round axis end at or above `value` (1, 2, 2.5 or 5 times a power of ten)."""
    if value <= 0:
        return 1.0
    power: float = 10.0 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return float(step * power)
    return 10 * power  # pragma: no cover - the loop ends at 10 * power >= value


def _whole_steps() -> Iterator[int]:
    """1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, ...: round whole steps (2.5 from 25 on)."""
    yield from (1, 2, 5)
    for power in count(1):
        yield from (10**power, 2 * 10**power, 25 * 10 ** (power - 1), 5 * 10**power)


def whole_ticks(value: float) -> list[float]:
    """The y axis's ticks for counts: 0 up to at or above `value` in at most 5 equal steps of
    a round whole number, so no tick reads 62.5 rows."""
    step = next(s for s in _whole_steps() if math.ceil(value / s) <= 5)
    return [float(step * i) for i in range(max(math.ceil(value / step), 1) + 1)]


def _t(x: float) -> str:
    return f"{x:.1f}"


def bar_chart(chart: Chart) -> str:
    """The chart as one `<svg>` element, sized WIDTH x HEIGHT and scaling down with the page."""
    n = max(len(chart.labels), 1)
    present = [v for v in (*chart.values, *chart.marks) if v is not None]
    highest = max(present, default=0.0)
    if chart.whole and chart.y_max is None:
        ticks = whole_ticks(highest)
        top = ticks[-1]
    else:
        top = chart.y_max or nice_max(highest)
        ticks = [top * i / 4 for i in range(5)]  # 0, 25, 50, 75, 100 % of the top
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / n
    bar_w = max(slot * 0.7, 1.0)

    def y(v: float) -> float:
        return TOP + plot_h - plot_h * max(min(v / top, 1.0), 0.0)

    uid = next(_ids)
    out = [
        f'<svg class="chart" width="{WIDTH}" '
        f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="chart{uid}t chart{uid}d">',
        f'<title id="chart{uid}t">{escape(chart.title)}</title>',
        f'<desc id="chart{uid}d">{escape(chart.desc)}</desc>',
    ]
    for v in ticks:  # gridlines and the y axis's ticks
        yy = _t(y(v))
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{yy}" y2="{yy}" class="grid"/>'
            f'<text x="{LEFT - 6}" y="{yy}" class="tick" text-anchor="end" '
            f'dominant-baseline="middle">{escape(chart.show(v))}</text>'
        )
    every = max(math.ceil(n / 12), 1)  # at most a dozen x labels, so they never overlap
    for i, (label, value) in enumerate(zip(chart.labels, chart.values, strict=True)):
        cx = LEFT + slot * (i + 0.5)
        if value is None:
            out.append(
                f'<text x="{_t(cx)}" y="{_t(TOP + plot_h - 4)}" class="none" '
                f'text-anchor="middle">–<title>{escape(label)}: no data</title></text>'
            )
        else:
            top_y = y(value)
            out.append(
                f'<rect x="{_t(cx - bar_w / 2)}" y="{_t(top_y)}" width="{_t(bar_w)}" '
                f'height="{_t(TOP + plot_h - top_y)}" fill="{BAR}">'
                f"<title>{escape(label)}: {escape(chart.show(value))}</title></rect>"
            )
        mark = chart.marks[i] if i < len(chart.marks) else None
        if mark is not None:
            my = _t(y(mark))
            out.append(
                f'<line x1="{_t(cx - bar_w / 2)}" x2="{_t(cx + bar_w / 2)}" y1="{my}" y2="{my}" '
                f'stroke="{MARK}" stroke-width="3" stroke-dasharray="4 2">'
                f"<title>{escape(label)}: {escape(chart.marks_label)} "
                f"{escape(chart.show(mark))}</title></line>"
            )
        if i % every == 0:
            out.append(
                f'<text x="{_t(cx)}" y="{TOP + plot_h + 16}" class="tick" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    base = _t(TOP + plot_h)
    out.append(
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{base}" y2="{base}" class="axis"/>'
        f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{base}" class="axis"/>'
        f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 28}" class="label" '
        f'text-anchor="middle">{escape(chart.x_label)}</text>'
        f'<text x="14" y="{TOP + plot_h / 2:.1f}" class="label" text-anchor="middle" '
        f'transform="rotate(-90 14 {TOP + plot_h / 2:.1f})">{escape(chart.y_label)}</text>'
    )
    if chart.marks:
        out.append(
            f'<line x1="{LEFT}" x2="{LEFT + 24}" y1="{HEIGHT - 8}" y2="{HEIGHT - 8}" '
            f'stroke="{MARK}" stroke-width="3" stroke-dasharray="4 2"/>'
            f'<text x="{LEFT + 30}" y="{HEIGHT - 8}" class="tick" dominant-baseline="middle">'
            f"{escape(chart.marks_label)}</text>"
        )
    out.append("</svg>")
    return "".join(out)
