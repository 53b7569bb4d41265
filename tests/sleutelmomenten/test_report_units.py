"""The report's pure parts: months of a period, the lateness buckets, shares, the chart's axis
and its bars, without a database."""

from __future__ import annotations

import re
from datetime import date

import pytest

from hub.domain.sleutelmomenten import Moment
from hub.domain.sleutelmomenten.report import Figures, bucket_of, buckets, months, shortened
from hub.ops.report import text
from hub.ops.report.charts import Chart, bar_chart, nice_max, whole_ticks


def test_months_span_the_period_across_a_year_end() -> None:
    assert months(date(2024, 11, 30), date(2025, 2, 1)) == [
        date(2024, 11, 1), date(2024, 12, 1), date(2025, 1, 1), date(2025, 2, 1),
    ]  # fmt: skip
    assert months(date(2025, 3, 5), date(2025, 3, 6)) == [date(2025, 3, 1)]


@pytest.mark.parametrize(
    ("werkdagen", "label"),
    [(-1, "early"), (0, "0"), (1, "1-5"), (5, "1-5"), (6, "6-10"), (120, "61-120"), (121, ">120")],
)
def test_buckets_have_no_gaps(werkdagen: int, label: str) -> None:
    assert bucket_of(werkdagen) == label


def test_every_bucket_is_listed() -> None:
    counted = dict(buckets({-3: 2, 0: 1, 4: 3, 5: 1, 900: 1}))
    assert counted["early"] == 2
    assert counted["1-5"] == 4
    assert counted[">120"] == 1
    assert counted["41-60"] == 0
    assert len(counted) == 9


def _f(moment: Moment, on_time: int, late: int) -> Figures:
    return Figures(moment, "all", "", "", None, on_time, late, 0, 0, 0, None, None)


def test_shares() -> None:
    assert text.share(_f(Moment.START, 2, 1)) == "66.7"
    assert text.share(_f(Moment.START, 0, 0)) == ""
    assert text.share(_f(Moment.AANPASSING, 0, 0)) == "no deadline"
    assert _f(Moment.TOEWIJZINGSDATUM, 3, 0).on_time_share is None
    assert shortened(["a", "b", "c", "d", "e"]) == "a, b, c (+2)"


@pytest.mark.parametrize(
    ("value", "top"), [(0, 1), (0.7, 1), (3, 5), (17, 20), (24, 25), (101, 200)]
)
def test_axis_ends_are_round(value: float, top: float) -> None:
    assert nice_max(value) == top


def test_a_chart_has_titles_labels_and_one_bar_per_value() -> None:
    svg = bar_chart(
        Chart(
            title="On time <per> month", desc="d", labels=["2025-01", "2025-02", "2025-03"],
            values=[50.0, None, 100.0], x_label="month", y_label="on time (%)", y_max=100.0,
            show=lambda v: f"{v:.0f}%",
        )
    )  # fmt: skip
    assert svg.startswith("<svg")
    assert 'role="img"' in svg
    assert "<title" in svg
    assert "On time &lt;per&gt; month" in svg
    assert len(re.findall(r"<rect ", svg)) == 2
    assert "2025-02: no data" in svg
    heights = [float(h) for h in re.findall(r'<rect [^>]*height="([\d.]+)"', svg)]
    assert heights[1] == pytest.approx(2 * heights[0])


@pytest.mark.parametrize(
    ("value", "ticks"),
    [
        (0, [0, 1]), (3, [0, 1, 2, 3]), (7, [0, 2, 4, 6, 8]), (11, [0, 5, 10, 15]),
        (187, [0, 50, 100, 150, 200]), (250, [0, 50, 100, 150, 200, 250]),
        (1234, [0, 250, 500, 750, 1000, 1250]),
    ],
)  # fmt: skip
def test_row_axes_tick_in_whole_numbers(value: float, ticks: list[int]) -> None:
    assert whole_ticks(value) == ticks


def test_a_chart_of_rows_never_shows_a_fraction_of_a_row() -> None:
    def chart(values: list[float | None], whole: bool) -> str:
        return bar_chart(Chart("t", "d", ["a", "b"], values, "x", "rows", whole=whole))

    def ticks(svg: str) -> list[str]:
        return re.findall(r'class="tick" text-anchor="end"[^>]*>([^<]*)<', svg)

    assert ticks(chart([250.0, 3.0], whole=False)) == ["0", "62.5", "125", "187.5", "250"]
    assert ticks(chart([250.0, 3.0], whole=True)) == ["0", "50", "100", "150", "200", "250"]
    assert ticks(chart([None, None], whole=True)) == ["0", "1"]
    # The bars stand against the axis's top: 250 of 250 is the full height.
    heights = [float(h) for h in re.findall(r'<rect [^>]*height="([\d.]+)"', chart(
        [250.0, 125.0], whole=True))]  # fmt: skip
    assert heights[0] == pytest.approx(2 * heights[1])
