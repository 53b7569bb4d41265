"""The dashboards and alert rules are generated, checked in, valid, and tested with promtool;
none of them groups by a label that could hold personal data or unbounded values."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from hub.domain.sleutelmomenten import SPECS
from hub.infra import metrics, purgemetrics
from hub.ops import dashboards
from hub.ops.dashboards import alerts, moments

PROMTOOL = shutil.which("promtool")
NEEDS_PROMTOOL = pytest.mark.skipif(
    PROMTOOL is None,
    reason="promtool not installed: `make observability-tools` installs Debian's prometheus",
)
RULES = dashboards.ROOT / "prometheus"
# Labels the hub's series carry, plus those Prometheus and FastStream add; nothing else.
KNOWN_LABELS = {
    "stage", "message_type", "direction", "node", "outcome", "retourcode", "error", "topic",
    "partition", "kind", "flow", "reason", "job", "instance", "le", "app_name", "handler",
    "status", "broker", "exception_type", "destination", "standard", "phase", "state", "route",
    "type", "moment",
    # A gemeente's CBS code is public, and hub.infra.metrics keeps the label to four digits or
    # "other": the one party code a label may hold (never an aanbieder, never a person).
    "gemeente",
}  # fmt: skip


def test_checked_in_files_match_the_generator() -> None:
    assert dashboards.main(["--check"]) == 0, "run `python -m hub.ops.dashboards`"


def test_dashboards_are_grafana_models_with_a_query_per_panel() -> None:
    for d in dashboards.DASHBOARDS:
        model = json.loads((dashboards.ROOT / "grafana" / f"{d.uid}.json").read_text())
        assert model["uid"] == d.uid
        panels = [p for p in model["panels"] if p["type"] != "row"]
        assert panels
        assert all(p["targets"] and all(t["expr"] for t in p["targets"]) for p in panels)
        assert len({p["id"] for p in model["panels"]}) == len(model["panels"])


def test_queries_group_only_by_bounded_labels() -> None:
    exprs = [e for d in dashboards.DASHBOARDS for e in d.exprs()]
    exprs += [a.expr for a in dashboards.ALERTS]
    for expr in exprs:
        for group in re.findall(r"by \(([^)]*)\)", expr):
            labels = {label.strip() for label in group.split(",")}
            assert labels <= KNOWN_LABELS, (expr, labels - KNOWN_LABELS)


def test_every_domain_metric_is_on_a_dashboard_or_in_a_rule() -> None:
    text = " ".join([*(e for d in dashboards.DASHBOARDS for e in d.exprs()),
                     *(a.expr for a in dashboards.ALERTS)])  # fmt: skip
    for collector in (
        metrics.MESSAGES, metrics.UPLOAD_TO_EGRESS, metrics.UPLOAD_TO_DOWNLOAD,
        metrics.VALIDATION_FAILURES, metrics.DEAD_LETTERS, metrics.DEAD_LETTERS_OPEN,
        metrics.CONSUMER_LAG, metrics.OUTBOX_BACKLOG, metrics.OUTBOX_AGE,
        metrics.OUTBOX_PUBLISHED, metrics.RETOURS_OVERDUE, metrics.FAILURES,
        metrics.SPANS_DROPPED, metrics.EVENTS, metrics.EB_NOTICE_ENTRIES, metrics.FREEZE_PHASE,
        metrics.PARKED, metrics.FREEZE_UNSENT, metrics.INTAKE_STAGE_SECONDS,
        metrics.INTAKE_STAGE_CPU, metrics.INTAKE_BATCH, metrics.REQUESTS_OVERDUE,
        metrics.SLEUTELMOMENTEN, metrics.SLEUTELMOMENT_WERKDAGEN, purgemetrics.PURGE_KEPT,
        purgemetrics.PURGE_SECONDS,
    ):  # fmt: skip
        name = collector._name  # type: ignore[attr-defined]
        assert name in text, name


@NEEDS_PROMTOOL
def test_promtool_checks_the_rules_and_the_scrape_config() -> None:
    assert PROMTOOL is not None
    for argv in (["check", "rules", "alerts.yml"], ["check", "config", "prometheus.yml"]):
        done = subprocess.run([PROMTOOL, *argv], cwd=RULES, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr


@NEEDS_PROMTOOL
def test_promtool_rule_unit_tests() -> None:
    assert PROMTOOL is not None
    done = subprocess.run(
        [PROMTOOL, "test", "rules", "alerts.test.yml", "sleutelmomenten.test.yml"],
        cwd=RULES,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("SUCCESS") == 2, done.stdout


def _moments_in(expr: str) -> set[str]:
    return {m for group in re.findall(r'moment=~"([^"]*)"', expr) for m in group.split("|")}


def test_only_moments_with_a_deadline_have_an_on_time_share_or_alert() -> None:
    with_deadline = {str(m) for m, s in SPECS.items() if s.deadline is not None}
    assert with_deadline
    assert with_deadline != {str(m) for m in SPECS}
    # Only the standard's deadlines page: toewijzing's "on time" (not retroactive) is the hub's
    # own measure, and parties say 80% of toewijzingen arrive retroactively.
    alerting = {str(m) for m, s in SPECS.items() if s.alerting}
    assert alerting == {"antwoord", "start", "stop", "declaratie"}
    assert alerting < with_deadline
    rule = next(a for a in dashboards.ALERTS if a.name == "IsdHubSleutelmomentOnTimeLow")
    share = moments.on_time_share("moment")
    assert "toewijzing" in _moments_in(share)  # the share per moment still shows it
    worst = next(
        p for r in moments.MOMENT_ROWS for p in r.panels if p.title.startswith("Worst gemeenten")
    )
    for expr, expected in (
        (rule.expr, alerting), (share, with_deadline), (worst.exprs[0][0], alerting),
    ):  # fmt: skip
        assert _moments_in(expr) == expected, expr
        # every selector of the counter is narrowed to them, so none can let another in
        selectors = re.findall(r"isdhub_sleutelmomenten_total\{([^}]*)\}", expr)
        assert selectors, expr
        assert all("moment=~" in s for s in selectors), expr
    assert f"< {alerts.ON_TIME_SHARE_MIN} and" in rule.expr
    assert rule.expr.endswith(f">= {moments.MIN_JUDGED}")
    assert {"gemeente", "moment"} <= set(re.findall(r"\$labels\.(\w+)", rule.summary))


def test_the_sleutelmomenten_rows_are_on_the_overview() -> None:
    rows = [r for r in dashboards.SRE_OVERVIEW.rows if r.title.startswith("Sleutelmomenten")]
    assert rows == list(moments.MOMENT_ROWS)
    exprs = [e for r in rows for p in r.panels for e, _ in p.exprs]
    assert any("bottomk(" in e and "gemeente" in e for e in exprs)
    assert sum("histogram_quantile(" in e for e in exprs) == 2
    # lateness covers every moment: its quantiles select no moment, so none is left out
    assert all("moment=" not in e for e in exprs if "histogram_quantile(" in e)
