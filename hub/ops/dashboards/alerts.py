"""The Prometheus alert rules: `Alert` (a measured signal plus the condition that makes it
fire), the hub's `ALERTS`, and `alert_rules`, the rule-file model that hub.ops.dashboards writes to
observability/prometheus/alerts.yml.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from hub.ops.dashboards.moments import ALERTING_MOMENTS, MIN_JUDGED, judged, on_time_share

# The hub's choice, not the standard's: the standard sets the deadlines of the alerting moments
# (5 or 10 werkdagen) but no share of moments that must meet it. Below 80% on time over
# a week, a gemeente's chain is late often enough that someone should call.
ON_TIME_SHARE_MIN: Final = 0.8


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
        "IsdHubRequestsOverdue",
        "max(isdhub_requests_overdue)",
        "> 0",
        "15m",
        "warning",
        "Verzoeken wait for the gemeente's answer past the deadline",
        "{{ $value }} verzoek reference(s) (315/317) have no 301 or 319 in time: "
        "`hub requests overdue` lists them; request.overdue events were raised.",
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
        "IsdHubIntakeStalled",
        "max by (job, instance) (time() - isdhub_intake_last_commit_timestamp_seconds)",
        "> 120 and on (job, instance) sum by (job, instance) "
        '(isdhub_consumer_lag_messages{topic=~".*ingress"}) > 0',
        "3m",
        "critical",
        "{{ $labels.instance }}: intake commits nothing while ingress records wait",
        "No intake batch committed for {{ $value | humanizeDuration }} with ingress lag above "
        "0: every party's traffic waits. /readyz says not ready; the core's log names the "
        "batch that keeps failing (a message that keeps failing is dead-lettered after "
        "HUB_INTAKE_MAX_ATTEMPTS tries).",
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
        "IsdHubSleutelmomentOnTimeLow",
        # Only the moments whose deadline is the standard's: toewijzing's "on time" (not
        # retroactive) is the hub's own measure, and most toewijzingen are retroactive.
        on_time_share("moment, gemeente", moments=ALERTING_MOMENTS),
        f"< {ON_TIME_SHARE_MIN} and on (moment, gemeente) "
        f"{judged('moment, gemeente', moments=ALERTING_MOMENTS)} >= {MIN_JUDGED}",
        # The share is a week's: it moves slowly, and an hour keeps a burst of late messages
        # right at the threshold from paging and clearing in turn.
        "1h",
        "warning",
        "Gemeente {{ $labels.gemeente }}: only {{ $value | humanizePercentage }} of moment "
        "{{ $labels.moment }} on time over 7 days",
        "Of the {{ $labels.moment }} moments of gemeente {{ $labels.gemeente }} judged "
        f"in the last 7 days, fewer than {ON_TIME_SHARE_MIN:.0%} arrived on time (within the "
        "standard's deadline). "
        "`hub report sleutelmomenten --gemeente {{ $labels.gemeente }}` "
        "shows which aanbieders and toewijzingen; call the functional administrator of the "
        "party that sends the message (docs/operations.md, Sleutelmomenten).",
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
