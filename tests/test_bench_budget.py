"""The pipeline benchmark's CPU budget: arithmetic on measured figures (benchmarks.budget)."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks import budget
from hub.infra.metrics import INTAKE_STAGES


def _level(label: str, done: int, through: float, cpu_s: dict[str, float]) -> dict[str, Any]:
    return {
        "label": label,
        "completed": done,
        "throughput_msg_s": through,
        "resources": {g: {"cpu_s": s} for g, s in cpu_s.items()},
    }


LEVELS = [
    _level("500/s", 100, 500, {"core": 9.0}),  # a rated level: not part of the budget
    _level("unthrottled", 1000, 1200, {"core": 0.5, "postgres": 0.2, "tansu": 0.2, "bench": 0.2}),
    _level("raw", 1000, 4000, {"raw": 0.1, "postgres": 0.03, "tansu": 0.08, "bench": 0.07}),
]


def test_cpu_per_message_is_the_levels_cpu_over_its_messages() -> None:
    assert budget.cpu_us_per_message(LEVELS[1]) == pytest.approx(
        {"core": 500.0, "postgres": 200.0, "tansu": 200.0, "bench": 200.0}
    )
    assert budget.cpu_us_per_message(_level("x", 0, 0, {"core": 1.0})) == {}


def test_budget_at_the_target_ratio_and_the_p99_rate() -> None:
    b = budget.budget(LEVELS, cpus=2, target_ratio=0.7, p99_rate=2000)
    at = b["at_target_ratio"]  # 0.7 × 4,000 = 2,800 msg/s
    assert at["rate_msg_s"] == 2800
    assert at["cpus_needed"] == pytest.approx(1100 * 2800 / 1e6, abs=0.01)
    assert at["cpus_for_others"] == pytest.approx(600 * 2800 / 1e6, abs=0.01)
    assert at["core_budget_us_per_msg"] == pytest.approx((2 - 1.68) / 2800 * 1e6, abs=0.1)
    assert at["core_uses_us_per_msg"] == 500
    # The load generator is the harness, not the hub: the budget without it leaves more.
    free = b["at_target_ratio_without_load_generator"]
    assert free["cpus_for_others"] == pytest.approx(400 * 2800 / 1e6, abs=0.01)
    assert free["core_budget_us_per_msg"] == pytest.approx((2 - 1.12) / 2800 * 1e6, abs=0.1)
    assert b["at_p99_rate"]["core_budget_us_per_msg"] == pytest.approx(400, abs=0.1)
    assert b["core_ceiling_msg_s"] == 2000  # one process, 500 µs per message
    assert b["cpu_us_per_msg"]["raw"]["raw"] == 100


def test_no_budget_left_is_zero_not_negative() -> None:
    b = budget.budget(LEVELS, cpus=1, target_ratio=0.7, p99_rate=2000)
    assert b["at_target_ratio"]["core_budget_us_per_msg"] == 0.0


def test_a_missing_level_gives_no_budget() -> None:
    assert budget.budget(LEVELS[:2], cpus=2, target_ratio=0.7, p99_rate=2000) == {}
    assert "not computed" in budget.table({}, {}, 0.7)


def _scrape(messages: float, batches: float, wall: float, cpu: float) -> str:
    lines = [
        "# TYPE isdhub_intake_batch_messages histogram",
        f"isdhub_intake_batch_messages_sum {messages}",
        f"isdhub_intake_batch_messages_count {batches}",
        "# TYPE isdhub_intake_stage_seconds histogram",
        "# TYPE isdhub_intake_stage_cpu_seconds counter",
        "# TYPE isdhub_messages counter",
        'isdhub_messages_total{stage="intake",outcome="accepted"} 123',
    ]
    for stage in INTAKE_STAGES:
        lines.append(f'isdhub_intake_stage_seconds_sum{{stage="{stage}"}} {wall}')
        lines.append(f'isdhub_intake_stage_seconds_count{{stage="{stage}"}} {batches}')
        lines.append(f'isdhub_intake_stage_cpu_seconds_total{{stage="{stage}"}} {cpu}')
    return "\n".join(lines) + "\n"


def test_stages_sum_the_cores_and_divide_by_the_messages_between_scrapes() -> None:
    before = budget.stage_counters([_scrape(100, 2, 0.1, 0.05), _scrape(50, 1, 0.1, 0.05)])
    after = budget.stage_counters([_scrape(600, 3, 0.3, 0.1), _scrape(550, 2, 0.4, 0.2)])
    figures = budget.stages(before, after)
    assert figures["messages"] == 1000
    assert figures["batches"] == 2
    assert figures["mean_batch"] == 500
    validate = figures["stages"]["validate"]
    assert validate["wall_us_per_msg"] == pytest.approx(500)  # (0.2 + 0.3) s / 1,000
    assert validate["cpu_us_per_msg"] == pytest.approx(200)  # (0.05 + 0.15) s / 1,000
    assert set(figures["stages"]) == set(INTAKE_STAGES)
    assert "isdhub_messages" not in str(before)  # other series are not stage figures


def test_the_table_says_what_the_budget_says() -> None:
    b = budget.budget(LEVELS, cpus=2, target_ratio=0.7, p99_rate=2000)
    figures = budget.stages(
        budget.stage_counters([_scrape(0, 0, 0, 0)]),
        budget.stage_counters([_scrape(1000, 2, 0.5, 0.25)]),
    )
    text = budget.table(b, figures, 0.7)
    assert "2,800 msg/s needs 3.08 of 2 CPUs" in text
    assert "it uses 500" in text
    assert "validate" in text
