"""Grafana dashboards and Prometheus alert rules, generated from code: `python -m
hub.dashboards` writes observability/grafana/*.json and observability/prometheus/alerts.yml,
and a test fails when the checked-in copies differ from what this module generates.

Every panel and rule reads series from hub.metrics (domain), FastStream's Prometheus middleware
(`faststream_*`) or Prometheus itself (`up`).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parents[1] / "observability"
RATE: Final = "$__rate_interval"  # Grafana's; tests substitute a fixed range
_DS: Final = {"type": "prometheus", "uid": "${datasource}"}


@dataclass(frozen=True)
class Panel:
    title: str
    exprs: tuple[tuple[str, str], ...]  # (PromQL, legend)
    unit: str = "short"
    description: str = ""
    kind: str = "timeseries"  # or "stat"


@dataclass(frozen=True)
class Row:
    title: str  # the question the row answers
    panels: tuple[Panel, ...]


@dataclass(frozen=True)
class Dashboard:
    uid: str
    title: str
    description: str
    rows: tuple[Row, ...]
    node_variable: bool = False

    def exprs(self) -> list[str]:
        return [e for row in self.rows for p in row.panels for e, _ in p.exprs]


def _q(p: float, metric: str, by: str = "") -> str:
    group = f"le{', ' + by if by else ''}"
    return f"histogram_quantile({p}, sum by ({group}) (rate({metric}_bucket[{RATE}])))"


SRE_OVERVIEW: Final = Dashboard(
    uid="isd-hub-overview",
    title="isd-hub / SRE overview",
    description="Is the hub moving messages, how fast, what fails, and is anything piling up?",
    rows=(
        Row(
            "Throughput: how many messages per second, and with which outcome?",
            (
                Panel(
                    "Intake outcomes",
                    (
                        (
                            f'sum by (outcome) (rate(isdhub_messages_total{{stage="intake"}}'
                            f"[{RATE}]))",
                            "{{outcome}}",
                        ),
                    ),
                    "reqps",
                ),
                Panel(
                    "Messages per stage",
                    ((f"sum by (stage) (rate(isdhub_messages_total[{RATE}]))", "{{stage}}"),),
                    "reqps",
                ),
                Panel(
                    "Relay output per kind",
                    ((f"sum by (kind) (rate(isdhub_outbox_published_total[{RATE}]))", "{{kind}}"),),
                    "reqps",
                ),
            ),
        ),
        Row(
            "Latency: how long from upload to the receiver's topic and to the receiver?",
            (
                Panel(
                    "Upload → egress (p50 / p95 / p99)",
                    tuple(
                        (_q(p, "isdhub_upload_to_egress_seconds"), f"p{int(p * 100)}")
                        for p in (0.5, 0.95, 0.99)
                    ),
                    "s",
                ),
                Panel(
                    "Upload → egress p95 per message type",
                    (
                        (
                            _q(0.95, "isdhub_upload_to_egress_seconds", "message_type"),
                            "{{message_type}}",
                        ),
                    ),
                    "s",
                ),
                Panel(
                    "Upload → download (p50 / p95)",
                    tuple(
                        (_q(p, "isdhub_upload_to_download_seconds"), f"p{int(p * 100)}")
                        for p in (0.5, 0.95)
                    ),
                    "s",
                ),
            ),
        ),
        Row(
            "Errors: what is rejected or dead-lettered, and why?",
            (
                Panel(
                    "Validation failures by retourcode",
                    (
                        (
                            f"sum by (retourcode) (rate(isdhub_validation_failures_total[{RATE}]))",
                            "{{retourcode}}",
                        ),
                    ),
                    "reqps",
                ),
                Panel(
                    "Dead letters by stage and error",
                    (
                        (
                            f"sum by (stage, error) (rate(isdhub_dead_letters_total[{RATE}]))",
                            "{{stage}} {{error}}",
                        ),
                    ),
                    "reqps",
                ),
                Panel(
                    "Error ratio (dead-lettered / all, intake)",
                    (
                        (
                            '(sum(rate(isdhub_messages_total{stage="intake",'
                            f'outcome="dead-lettered"}}[{RATE}])) or vector(0)) / '
                            f'sum(rate(isdhub_messages_total{{stage="intake"}}[{RATE}]))',
                            "error ratio",
                        ),
                    ),
                    "percentunit",
                ),
                Panel(
                    "Retried failures per flow",
                    ((f"sum by (flow) (rate(isdhub_failures_total[{RATE}]))", "{{flow}}"),),
                    "reqps",
                    "Batches or loops that failed and are retried; nothing is lost, nothing moves.",
                ),
            ),
        ),
        Row(
            "Backlog: is anything piling up?",
            (
                Panel(
                    "Consumer lag per partition",
                    (
                        (
                            "sum by (job, topic, partition) (isdhub_consumer_lag_messages)",
                            "{{job}} {{topic}}/{{partition}}",
                        ),
                    ),
                ),
                Panel(
                    "Outbox backlog",
                    (("max(isdhub_outbox_backlog_messages)", "rows"),),
                ),
                Panel(
                    "Oldest outbox row",
                    (("max(isdhub_outbox_oldest_age_seconds)", "age"),),
                    "s",
                    kind="stat",
                ),
                Panel(
                    "Retours overdue",
                    (("max(isdhub_retours_overdue)", "overdue"),),
                    kind="stat",
                ),
                Panel(
                    "Dead letters waiting",
                    (("max(isdhub_dead_letters_open)", "open"),),
                    kind="stat",
                ),
            ),
        ),
        Row(
            "Processes: are they up, and how busy is the broker client?",
            (
                Panel("Up", (('up{job=~"isd-hub.*"}', "{{job}}"),), kind="stat"),
                Panel(
                    "Handler duration p95 (FastStream)",
                    (
                        (
                            "histogram_quantile(0.95, sum by (le, app_name) (rate("
                            f"faststream_received_processed_messages_duration_seconds_bucket[{RATE}])))",
                            "{{app_name}}",
                        ),
                    ),
                    "s",
                ),
                Panel(
                    "Trace spans dropped",
                    (
                        (
                            f"sum by (reason) (rate(isdhub_otel_spans_dropped_total[{RATE}]))",
                            "{{reason}}",
                        ),
                    ),
                    "reqps",
                ),
            ),
        ),
    ),
)

_N: Final = 'node="$node"'
MESSAGE_FLOW: Final = Dashboard(
    uid="isd-hub-flow",
    title="isd-hub / message flow per node",
    description="For one node: what its parties send, what the core decides, what is "
    "delivered and fetched, per message type.",
    node_variable=True,
    rows=(
        Row(
            "In: what do this node's parties upload?",
            (
                Panel(
                    "Uploads per message type",
                    (
                        (
                            f'sum by (message_type) (rate(isdhub_messages_total{{stage="upload",'
                            f"{_N}}}[{RATE}]))",
                            "{{message_type}}",
                        ),
                    ),
                    "reqps",
                ),
                Panel(
                    "Uploads refused",
                    (
                        (
                            f'sum(rate(isdhub_messages_total{{stage="upload",outcome="refused",'
                            f"{_N}}}[{RATE}])) or vector(0)",
                            "refused",
                        ),
                    ),
                    "reqps",
                ),
            ),
        ),
        Row(
            "Decided: what does the core do with them?",
            (
                Panel(
                    "Intake per direction and outcome",
                    (
                        (
                            "sum by (direction, outcome) (rate(isdhub_messages_total"
                            f'{{stage="intake",{_N}}}[{RATE}]))',
                            "{{direction}} {{outcome}}",
                        ),
                    ),
                    "reqps",
                ),
                Panel(
                    "Intake per message type",
                    (
                        (
                            "sum by (message_type) (rate(isdhub_messages_total"
                            f'{{stage="intake",{_N}}}[{RATE}]))',
                            "{{message_type}}",
                        ),
                    ),
                    "reqps",
                ),
            ),
        ),
        Row(
            "Out: what reaches this node's parties, and how fast?",
            (
                Panel(
                    "Delivered into inboxes",
                    (
                        (
                            "sum by (message_type) (rate(isdhub_messages_total"
                            f'{{stage="delivery",outcome="delivered",{_N}}}[{RATE}]))',
                            "{{message_type}}",
                        ),
                    ),
                    "reqps",
                ),
                Panel(
                    "Downloaded",
                    (
                        (
                            "sum by (message_type) (rate(isdhub_messages_total"
                            f'{{stage="download",{_N}}}[{RATE}]))',
                            "{{message_type}}",
                        ),
                    ),
                    "reqps",
                ),
                Panel(
                    "Egress consumer lag",
                    (
                        (
                            "sum by (partition) "
                            '(isdhub_consumer_lag_messages{topic=~".*egress.$node"})',
                            "partition {{partition}}",
                        ),
                    ),
                ),
            ),
        ),
    ),
)

_FREEZE_EVENTS: Final = 'type=~"message[.](parked|released|returned)"'
EB_FREEZE: Final = Dashboard(
    uid="isd-hub-eb-freeze",
    title="isd-hub / eigen bijdrage and release freeze",
    description="What the hub tells the CAK and what comes back; which release-freeze phase "
    "each standard is in, what the hub holds, and what the old release has yet to deliver.",
    rows=(
        Row(
            "Freeze: which phase is each standard in, and what does the hub hold?",
            (
                Panel(
                    "Freeze phase per standard",
                    (
                        (
                            "max by (standard, phase) (isdhub_freeze_phase) == 1",
                            "{{standard}}: {{phase}}",
                        ),
                    ),
                    kind="stat",
                    description="open: nothing frozen; declaratie-freeze: 323s stop; "
                    "heen-freeze: heenberichten stop; transition: everything stops; live: only "
                    "the new release (hub freeze status).",
                ),
                Panel(
                    "Parked messages",
                    (
                        (
                            "max by (standard, kind) (isdhub_parked_messages)",
                            "{{standard}} {{kind}}",
                        ),
                    ),
                    description="new-release: released into intake at the cutover, in arrival "
                    "order; old-release: returned to the sender then (hub freeze parked).",
                ),
                Panel(
                    "Parked, released and returned",
                    (
                        (
                            "sum by (type) (rate(isdhub_events_total"
                            f"{{{_FREEZE_EVENTS}}}[{RATE}]))",
                            "{{type}}",
                        ),
                    ),
                    "reqps",
                ),
            ),
        ),
        Row(
            "Freeze: what must the old release still deliver before the transition?",
            (
                Panel(
                    "Old-release messages not in an inbox / not fetched",
                    (
                        (
                            "max by (standard, state) (isdhub_freeze_unsent_messages)",
                            "{{standard}} {{state}}",
                        ),
                    ),
                    description="From the declaratie freeze to the cutover: routed messages of "
                    "the old release the receiver has not got (undelivered) or not fetched "
                    "(not-downloaded). After the transition they cannot be read any more.",
                ),
            ),
        ),
        Row(
            "Eigen bijdrage: what does the hub tell the CAK, and what comes back?",
            (
                Panel(
                    "Notice entries per route and kind",
                    (
                        (
                            f"sum by (route, kind) (rate(isdhub_eb_notice_entries_total[{RATE}]))",
                            "{{route}} {{kind}}",
                        ),
                    ),
                    "reqps",
                    "405 / 407 entries: start a new period, change its end or dates, retract it.",
                ),
                Panel(
                    "Notices the CAK rejected, and late starts",
                    (
                        (
                            "sum by (type) (rate(isdhub_events_total"
                            f'{{type=~"eigenbijdrage[.](notice-rejected|late-start)"}}[{RATE}]))',
                            "{{type}}",
                        ),
                    ),
                    "reqps",
                ),
                Panel(
                    "Signals per kind",
                    (
                        (
                            "sum by (type) (rate(isdhub_events_total"
                            f'{{type=~"signal[.].*"}}[{RATE}]))',
                            "{{type}}",
                        ),
                    ),
                    "reqps",
                    "Toewijzingen whose start (305) or stop (307) is overdue.",
                ),
            ),
        ),
    ),
)

DASHBOARDS: Final = (SRE_OVERVIEW, MESSAGE_FLOW, EB_FREEZE)


def grafana(d: Dashboard) -> dict[str, Any]:
    """The Grafana dashboard model (import via Dashboards → New → Import)."""
    panels: list[dict[str, Any]] = []
    y = 0
    next_id = 1
    for row in d.rows:
        panels.append(
            {
                "type": "row",
                "title": row.title,
                "id": next_id,
                "collapsed": False,
                "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
                "panels": [],
            }
        )
        next_id += 1
        y += 1
        width = 24 // len(row.panels)
        for i, p in enumerate(row.panels):
            panels.append(
                {
                    "type": p.kind,
                    "title": p.title,
                    "description": p.description,
                    "id": next_id,
                    "datasource": _DS,
                    "gridPos": {"h": 8, "w": width, "x": i * width, "y": y},
                    "fieldConfig": {"defaults": {"unit": p.unit}, "overrides": []},
                    "targets": [
                        {
                            "refId": chr(ord("A") + n),
                            "datasource": _DS,
                            "expr": expr,
                            "legendFormat": legend,
                        }
                        for n, (expr, legend) in enumerate(p.exprs)
                    ],
                }
            )
            next_id += 1
        y += 8
    variables: list[dict[str, Any]] = [
        {"name": "datasource", "label": "Prometheus", "type": "datasource", "query": "prometheus"}
    ]
    if d.node_variable:
        variables.append(
            {
                "name": "node",
                "label": "Node",
                "type": "custom",
                "query": "ggk,vecozo,hub",
                "current": {"text": "ggk", "value": "ggk"},
                "options": [],
            }
        )
    return {
        "uid": d.uid,
        "title": d.title,
        "description": d.description,
        "tags": ["isd-hub"],
        "schemaVersion": 39,
        "editable": True,
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "30s",
        "templating": {"list": variables},
        "panels": panels,
    }


# --- alert rules ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Alert:
    name: str
    signal: str  # the measured series; a test checks it returns data on a running hub
    condition: str  # appended to the signal to make the alert's expression
    for_: str
    severity: str
    summary: str
    description: str
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def expr(self) -> str:
        return f"{self.signal} {self.condition}"


ALERTS: Final = (
    Alert(
        "IsdHubRetoursOverdue",
        "max(isdhub_retours_overdue)",
        "> 0",
        "15m",
        "warning",
        "Routed heenberichten are past their retour deadline",
        "{{ $value }} heenbericht(en) wait for a retour past the deadline: "
        "`hub retours overdue` lists them; the senders got retour.overdue events.",
    ),
    Alert(
        "IsdHubConsumerLagGrowing",
        "sum by (job, topic) (isdhub_consumer_lag_messages)",
        "> 1000 and sum by (job, topic) (deriv(isdhub_consumer_lag_messages[10m])) > 0",
        "10m",
        "warning",
        "Consumer lag of {{ $labels.job }} on {{ $labels.topic }} is high and growing",
        "{{ $value }} records wait; the consumer is slower than its producers or stuck.",
    ),
    Alert(
        "IsdHubOutboxStuck",
        "max(isdhub_outbox_oldest_age_seconds)",
        "> 300",
        "5m",
        "critical",
        "The outbox relay is not publishing",
        "The oldest outbox row is {{ $value }}s old: egress, events and DLQ are not being "
        "sent. Check the core's relay and the Kafka connection.",
    ),
    Alert(
        "IsdHubDeadLettersWaiting",
        "max(isdhub_dead_letters_open)",
        "> 0",
        "5m",
        "warning",
        "Dead letters wait for an operator",
        "{{ $value }} message(s) in the dead-letter queue: `hub dlq list`, then fix and "
        "`hub dlq replay ID`.",
    ),
    Alert(
        "IsdHubErrorRatioHigh",
        '(sum(rate(isdhub_messages_total{stage="intake",outcome="dead-lettered"}[10m])) '
        'or vector(0)) / sum(rate(isdhub_messages_total{stage="intake"}[10m]))',
        "> 0.05",
        "10m",
        "warning",
        "More than 5% of the messages the core takes in are dead-lettered",
        "Error ratio {{ $value | humanizePercentage }}; see the dead-letter panel for "
        "stage and error.",
    ),
    Alert(
        "IsdHubProcessingFailures",
        "sum by (job, flow) (increase(isdhub_failures_total[5m]))",
        "> 0",
        "10m",
        "critical",
        "{{ $labels.job }}: {{ $labels.flow }} keeps failing and retrying",
        "Batches of {{ $labels.flow }} failed for 10 minutes; messages are redelivered, "
        "nothing is lost, but nothing moves. See the process's log.",
    ),
    Alert(
        "IsdHubFreezeWithUnsentMessages",
        "max by (standard, state) (isdhub_freeze_unsent_messages)",
        "> 0 and on (standard) max by (standard) "
        '(isdhub_freeze_phase{phase=~"heen-freeze|transition"}) == 1',
        "10m",
        "warning",
        "{{ $labels.standard }}: the freeze moved on with old-release messages {{ $labels.state }}",
        "{{ $value }} routed {{ $labels.standard }} message(s) of the old release are still "
        "{{ $labels.state }} after the heen freeze. The receiving parties must fetch them "
        "before the transition: after it they cannot be read or answered in the new release. "
        "`hub freeze broken-pairs` lists the heenberichten still without a retour.",
    ),
    Alert(
        "IsdHubDown",
        'up{job=~"isd-hub.*"}',
        "== 0",
        "2m",
        "critical",
        "{{ $labels.job }} is not answering /metrics",
        "Prometheus cannot scrape {{ $labels.instance }}.",
    ),
)


def alert_rules() -> dict[str, Any]:
    return {
        "groups": [
            {
                "name": "isd-hub",
                "rules": [
                    {
                        "alert": a.name,
                        "expr": a.expr,
                        "for": a.for_,
                        "labels": {"severity": a.severity},
                        "annotations": {"summary": a.summary, "description": a.description},
                    }
                    for a in ALERTS
                ],
            }
        ]
    }


def to_yaml(value: Any, indent: int = 0) -> str:
    """Block-style YAML for dicts, lists and scalars (strings JSON-quoted: valid YAML)."""
    pad = "  " * indent
    if isinstance(value, dict):
        lines = []
        for k, v in value.items():
            if isinstance(v, dict | list) and v:
                lines.append(f"{pad}{k}:\n{to_yaml(v, indent + 1)}")
            else:
                lines.append(f"{pad}{k}: {_scalar(v)}")
        return "\n".join(lines)
    if isinstance(value, list):
        lines = []
        for item in value:
            body = to_yaml(item, indent + 1) if isinstance(item, dict | list) else _scalar(item)
            lines.append(f"{pad}- {body.lstrip()}")
        return "\n".join(lines)
    return pad + _scalar(value)


def _scalar(v: Any) -> str:
    if isinstance(v, dict | list):
        return "{}" if isinstance(v, dict) else "[]"
    return json.dumps(v, ensure_ascii=False)


def generated() -> dict[Path, str]:
    """Every generated file and its content."""
    files = {
        ROOT / "grafana" / f"{d.uid}.json": json.dumps(grafana(d), indent=2, ensure_ascii=False)
        + "\n"
        for d in DASHBOARDS
    }
    header = "# Generated by `python -m hub.dashboards`; edit hub/dashboards.py instead.\n"
    files[ROOT / "prometheus" / "alerts.yml"] = header + to_yaml(alert_rules()) + "\n"
    return files


def main(argv: list[str]) -> int:
    """Write the files; with --check, exit 1 when a checked-in copy is stale."""
    stale = []
    for path, text in generated().items():
        if "--check" in argv:
            if not path.exists() or path.read_text() != text:
                stale.append(path)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for path in stale:
        print(f"stale: {path} (run python -m hub.dashboards)", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
