"""The content of the SRE overview dashboard (isd-hub-overview): throughput, latency, errors,
backlog and processes of the whole hub, and (from hub.ops.dashboards.moments) the sleutelmomenten.
"""

from __future__ import annotations

from typing import Final

from hub.ops.dashboards.model import RATE, Dashboard, Panel, Row
from hub.ops.dashboards.moments import MOMENT_ROWS


def _q(p: float, metric: str, by: str = "") -> str:
    group = f"le{', ' + by if by else ''}"
    return f"histogram_quantile({p}, sum by ({group}) (rate({metric}_bucket[{RATE}])))"


def _quantiles(metric: str, *ps: float) -> tuple[tuple[str, str], ...]:
    """One query per quantile of a histogram, each with its legend (p50, p95...)."""
    return tuple((_q(p, metric), f"p{int(p * 100)}") for p in ps)


SRE_OVERVIEW: Final = Dashboard(
    uid="isd-hub-overview",
    title="isd-hub / SRE overview",
    description="Is the hub moving messages, how fast, what fails, is anything piling up, and "
    "are the chain's key moments on time?",
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
                    _quantiles("isdhub_upload_to_egress_seconds", 0.5, 0.95, 0.99),
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
                    _quantiles("isdhub_upload_to_download_seconds", 0.5, 0.95),
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
                    "Requests overdue",
                    (("max(isdhub_requests_overdue)", "overdue"),),
                    description="Verzoek references (315/317) the gemeente did not answer "
                    "with a 301 or 319 in time (`hub requests overdue`).",
                    kind="stat",
                ),
                Panel(
                    "Payloads kept past retention",
                    (("sum by (reason) (isdhub_purge_kept_messages)", "{{reason}}"),),
                    description="What the last scheduled purge kept past "
                    "HUB_PAYLOAD_RETENTION_HOURS, and why (`hub purge --dry-run` says the same). "
                    "A growing `download` is a receiver that stopped fetching its inbox.",
                ),
                Panel(
                    "Last purge run",
                    (("max(isdhub_purge_last_run_seconds)", "seconds"),),
                    "s",
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
            "Core: where does an intake batch spend its time?",
            (
                Panel(
                    "Intake time per stage",
                    (
                        (
                            f"sum by (stage) (rate(isdhub_intake_stage_seconds_sum[{RATE}]))",
                            "{{stage}}",
                        ),
                    ),
                    "percentunit",
                    "Share of time the core processes spend in each stage of a batch; "
                    "100% is one process busy the whole time. Dedup, history load, write and "
                    "commit wait for PostgreSQL; the rest is computation.",
                ),
                Panel(
                    "Intake CPU per stage",
                    (
                        (
                            f"sum by (stage) (rate(isdhub_intake_stage_cpu_seconds_total[{RATE}]))",
                            "{{stage}}",
                        ),
                    ),
                    "percentunit",
                    "CPU of the cores' event-loop threads per stage; a stage whose time is "
                    "well above its CPU is waiting, mostly for PostgreSQL.",
                ),
                Panel(
                    "Messages per intake batch",
                    _quantiles("isdhub_intake_batch_messages", 0.5, 0.95),
                    description="Small batches under load mean per-batch round trips dominate.",
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
        *MOMENT_ROWS,
    ),
)
