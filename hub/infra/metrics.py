"""The hub's domain metrics, defined in one place, and the helpers that bound their labels.

FastStream's Prometheus middleware adds the broker series; hub.infra.sampler refreshes the gauges
that are states.

Every label has a bounded set of values: stages, message types from the catalogue, directions,
nodes, outcomes, retourcodes (4 digits), dead-letter stages and errors, topics and partitions,
standards, freeze phases and parked kinds, event types. Never an id or a BSN, and a party code
only in one place: the gemeente of the advisory findings (a public body's CBS code, one of ~350).
"""

from __future__ import annotations

import collections
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Final
from uuid import UUID

from prometheus_client import Counter, Gauge, Histogram

from hub.domain.events import EventType
from hub.domain.freeze import Phase
from hub.domain.history import RULES
from hub.domain.messages import CATALOGUE, Direction, Node, Standard
from hub.domain.sleutelmomenten import Measurement

_LATENCY_BUCKETS: Final = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)
_DOWNLOAD_BUCKETS: Final = (1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 86400, 3 * 86400, 7 * 86400)

MESSAGES: Final = Counter(
    "isdhub_messages",
    "Messages per stage (upload, intake, delivery, download), type, direction, node and outcome",
    ["stage", "message_type", "direction", "node", "outcome"],
)
UPLOAD_TO_EGRESS: Final = Histogram(
    "isdhub_upload_to_egress_seconds",
    "From the adapter accepting an upload to the relay producing it (or its retour) to egress",
    ["message_type"],
    buckets=_LATENCY_BUCKETS,
)
UPLOAD_TO_DOWNLOAD: Final = Histogram(
    "isdhub_upload_to_download_seconds",
    "From the adapter accepting an upload to the receiving party's first download",
    ["message_type"],
    buckets=_DOWNLOAD_BUCKETS,
)
VALIDATION_FAILURES: Final = Counter(
    "isdhub_validation_failures",
    "Messages the core rejected or dead-lettered, per retourcode of their findings "
    "('none' for findings without one, such as schema errors)",
    ["retourcode"],
)
DEAD_LETTERS: Final = Counter(
    "isdhub_dead_letters", "Messages sent to the dead-letter queue", ["stage", "error"]
)
DEAD_LETTERS_OPEN: Final = Gauge(
    "isdhub_dead_letters_open", "Dead letters not replayed yet (hub dlq list)"
)
EVENTS: Final = Counter(
    "isdhub_events",
    "Domain events published, by type (message.*, retour.*, eigenbijdrage.*, signal.*)",
    ["type"],
)
EB_NOTICE_ENTRIES: Final = Counter(
    "isdhub_eb_notice_entries",
    "Entries of eigen-bijdrage notices sent to the CAK, by route (405/407) and kind "
    "(start: a new period, change: its end or dates, retract: withdrawn)",
    ["route", "kind"],
)
CONSUMER_LAG: Final = Gauge(
    "isdhub_consumer_lag_messages",
    "Records not yet committed by this process's consumer group, per assigned partition",
    ["topic", "partition"],
)
INTAKE_LAST_COMMIT: Final = Gauge(
    "isdhub_intake_last_commit_timestamp_seconds",
    "When this core last committed an intake batch (Unix time; its start until the first)",
)
OUTBOX_BACKLOG: Final = Gauge("isdhub_outbox_backlog_messages", "Outbox rows waiting for the relay")
OUTBOX_AGE: Final = Gauge(
    "isdhub_outbox_oldest_age_seconds", "Age of the oldest outbox row (0 when empty)"
)
OUTBOX_PUBLISHED: Final = Counter(
    "isdhub_outbox_published", "Outbox rows the relay produced to Kafka", ["kind"]
)
RETOURS_OVERDUE: Final = Gauge(
    "isdhub_retours_overdue", "Routed heenberichten past their retour deadline, still unanswered"
)
RETOURS_OVERDUE_RAISED: Final = Counter(
    "isdhub_retours_overdue_raised", "retour.overdue events raised by the deadline watch"
)
REQUESTS_OVERDUE: Final = Gauge(
    "isdhub_requests_overdue",
    "Verzoek references (315/317) past the deadline of the gemeente's 301/319, still unanswered",
)
REQUESTS_OVERDUE_RAISED: Final = Counter(
    "isdhub_requests_overdue_raised", "request.overdue events raised by the deadline watch"
)
FAILURES: Final = Counter(
    "isdhub_failures",
    "Batches or loops that failed and will be retried (intake, delivery, relay, deadline)",
    ["flow"],
)
# Where an intake batch spends its time: the figures that show whether the core waits for
# PostgreSQL or computes, and which step to make cheaper. Observed once per stage per batch.
INTAKE_STAGES: Final = (
    "dedup",  # a pool connection, BEGIN, and the ledger's "seen before?" lookup
    "validate",  # parse, XSD, technical rules, freeze parking
    "history facts",  # reading the facts the history rules need from each message
    "history load",  # the clients' and retour references' state from PostgreSQL
    "decide",  # history rules, routing, retours, events
    "derive",  # the eigen-bijdrage notices (405/407) for the CAK
    "write",  # ledger, findings, state, links, dead letters and outbox rows
    "commit",  # COMMIT, after which the relay may publish
)
INTAKE_STAGE_SECONDS: Final = Histogram(
    "isdhub_intake_stage_seconds",
    "Wall time of one stage of an intake batch (" + ", ".join(INTAKE_STAGES) + ")",
    ["stage"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
INTAKE_STAGE_CPU: Final = Counter(
    "isdhub_intake_stage_cpu_seconds",
    "CPU time of the core's event-loop thread during a stage of an intake batch; what other "
    "tasks (the relay, the Kafka client) did while the stage awaited PostgreSQL counts too",
    ["stage"],
)
INTAKE_BATCH: Final = Histogram(
    "isdhub_intake_batch_messages",
    "Messages per intake batch (consumed records, redeliveries included)",
    buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000),
)
# Bound once, so every stage shows from the start (at zero) and a stage name that is not in
# INTAKE_STAGES fails loudly instead of adding a label.
_STAGE_SERIES: Final = {
    s: (INTAKE_STAGE_SECONDS.labels(s), INTAKE_STAGE_CPU.labels(s)) for s in INTAKE_STAGES
}


def observe_stage(stage: str, wall_s: float, cpu_s: float) -> None:
    """One intake batch's stage took wall_s, of which the event-loop thread spent cpu_s."""
    seconds, cpu = _STAGE_SERIES[stage]
    seconds.observe(wall_s)
    cpu.inc(max(cpu_s, 0.0))


SPANS_DROPPED: Final = Counter(
    "isdhub_otel_spans_dropped", "Trace spans dropped instead of exported", ["reason"]
)
# Release freezes (hub/domain/freeze.py), sampled by the core from its calendar and the ledger.
FREEZE_PHASE: Final = Gauge(
    "isdhub_freeze_phase",
    "1 for the phase each standard's release freeze is in now, 0 for its other phases "
    "(open: nothing frozen, also when no freeze is configured; live: new release only)",
    ["standard", "phase"],
)
PARKED: Final = Gauge(
    "isdhub_parked_messages",
    "Messages the core holds for a release freeze, by standard and kind (new-release: "
    "released into intake at the cutover; old-release: returned to its sender then)",
    ["standard", "kind"],
)
FREEZE_UNSENT: Final = Gauge(
    "isdhub_freeze_unsent_messages",
    "Routed messages of the old release of a freeze under way (declaratie freeze to cutover) "
    "that are in no inbox yet (undelivered) or not fetched yet (not-downloaded); 0 otherwise",
    ["standard", "state"],
)
# Advisory mode (hub/domain/advisory.py): what a gemeente's history rules would have refused.
# The one metric labelled by a party: a gemeente's CBS code is public (a public body, ~350 of
# them), and operators switch to enforce per gemeente; never an aanbieder, never a person.
ADVISORY_FINDINGS: Final = Counter(
    "isdhub_history_advisory_findings",
    "History findings on messages routed anyway because the gemeente's history rules run in "
    "advisory mode (what enforce mode would have refused), by rule and gemeente code",
    ["rule", "gemeente"],
)
# Sleutelmomenten (hub/domain/sleutelmomenten/): how late the key moments of care are, per
# moment and gemeente (public code, as above); never an aanbieder, never a person. The share
# on time is on_time / (on_time + late) of isdhub_sleutelmomenten_total.
SLEUTELMOMENTEN: Final = Counter(
    "isdhub_sleutelmomenten",
    "Key moments measured, by moment, gemeente code and outcome (on_time, late, measured: no "
    "deadline applies, open: still waiting for its message, implausible)",
    ["moment", "gemeente", "outcome"],
)
SLEUTELMOMENT_WERKDAGEN: Final = Histogram(
    "isdhub_sleutelmoment_werkdagen",
    "How many werkdagen after its clock's start a key moment's message arrived (0 when on or "
    "before it), by moment and gemeente code",
    ["moment", "gemeente"],
    buckets=(0, 1, 2, 3, 5, 10, 15, 20, 40, 65, 130, 260),
)
PARKED_KINDS: Final = ("new-release", "old-release")
UNSENT_STATES: Final = ("undelivered", "not-downloaded")

_STAGES: Final = frozenset({"upload", "intake", "delivery", "download"})
_OUTCOMES: Final = frozenset(
    {"accepted", "rejected", "dead-lettered", "refused", "delivered", "duplicate", "downloaded",
     "parked"}
)  # fmt: skip
_DIRECTIONS: Final = frozenset(d.value for d in Direction)
_NODES: Final = frozenset({*(n.value for n in Node), "hub"})
_RETOURCODE: Final = re.compile(r"\d{4}")
# A derivation's stage reads "derivation:<name>" (handlers.poison): the colon is allowed.
_WORD: Final = re.compile(r"[a-z][a-z0-9:-]{0,39}")

for _flow in ("intake", "delivery", "relay", "deadline"):
    FAILURES.labels(_flow)
for _reason in ("queue_full", "export_failed"):
    SPANS_DROPPED.labels(_reason)
for _kind in ("egress", "events", "dlq"):
    OUTBOX_PUBLISHED.labels(_kind)
# Series that exist before their first event, so panels and rules see 0 rather than nothing.
for _type in EventType:
    EVENTS.labels(_type.value)
for _route in ("405", "407"):
    for _kind in ("start", "change", "retract"):
        EB_NOTICE_ENTRIES.labels(_route, _kind)


def _bounded(value: str | None, allowed: Iterable[str]) -> str:
    if not value or value == "unknown":
        return "unknown"
    return value if value in allowed else "other"


def message_type(value: str | None) -> str:
    return _bounded(value, CATALOGUE)


def direction_of(name: str | None) -> str:
    mt = CATALOGUE.get(name) if name else None
    return mt.direction.value if mt else "unknown"


def count(
    stage: str,
    outcome: str,
    *,
    message_type_: str | None = None,
    direction: str | None = None,
    node: str | None = None,
    n: int = 1,
) -> None:
    """Count messages; every value is mapped onto its bounded set first (the direction, when
    not given, is the message type's)."""
    MESSAGES.labels(
        _bounded(stage, _STAGES),
        message_type(message_type_),
        _bounded(direction or direction_of(message_type_), _DIRECTIONS),
        _bounded(node, _NODES),
        _bounded(outcome, _OUTCOMES),
    ).inc(n)


def retourcode(value: str | None) -> str:
    if not value:
        return "none"
    return value if _RETOURCODE.fullmatch(value) else "other"


def word(value: str) -> str:
    """A short machine word (dead-letter stage or error); anything else becomes 'other'."""
    return value if _WORD.fullmatch(value) else "other"


def topic_kind(topic: str) -> str:
    tail = topic.rsplit(".", 2)
    if len(tail) >= 2 and tail[-2] == "egress":
        return "egress"
    return tail[-1] if tail[-1] in ("events", "dlq") else "other"


class LatencyClock:
    """When each message routed to egress was uploaded, kept between the core's intake and its
    relay (same process) so the relay can observe upload → egress without a database read.
    Bounded: the oldest entries go first; a row relayed by another core is not observed."""

    def __init__(self, limit: int = 200_000) -> None:
        self.limit = limit
        self._started: OrderedDict[str, tuple[float, str]] = OrderedDict()

    def start(self, message_id: UUID | str, received_at: datetime, message_type_: str) -> None:
        self._started[str(message_id)] = (received_at.timestamp(), message_type(message_type_))
        while len(self._started) > self.limit:
            self._started.popitem(last=False)

    def stop(self, message_id: str, now: float | None = None) -> None:
        entry = self._started.pop(message_id, None)
        if entry is None:
            return
        started, kind = entry
        UPLOAD_TO_EGRESS.labels(kind).observe(max(0.0, (now or time.time()) - started))

    def __len__(self) -> int:
        return len(self._started)


EGRESS_CLOCK: Final = LatencyClock()


def observe_download(received_at: datetime, message_type_: str | None) -> None:
    seconds = (datetime.now(UTC) - received_at).total_seconds()
    UPLOAD_TO_DOWNLOAD.labels(message_type(message_type_)).observe(max(0.0, seconds))


def set_freeze(
    phases: Mapping[Standard, Phase],
    parked: Mapping[tuple[Standard, str], int],
    unsent: Mapping[Standard, tuple[int, int]],
) -> None:
    """The freeze gauges for every standard: one phase at 1, parked per kind, and the old
    release's (undelivered, not-downloaded) counts; what is not given is 0 (or open)."""
    for standard in Standard:
        current = phases.get(standard, Phase.OPEN)
        for phase in Phase:
            FREEZE_PHASE.labels(standard.value, phase.value).set(1 if phase is current else 0)
        for kind in PARKED_KINDS:
            PARKED.labels(standard.value, kind).set(parked.get((standard, kind), 0))
        for state, n in zip(UNSENT_STATES, unsent.get(standard, (0, 0)), strict=True):
            FREEZE_UNSENT.labels(standard.value, state).set(n)


def broker_consumers(broker: Any) -> Callable[[], list[Any]]:
    """The aiokafka consumers of a started FastStream broker's subscribers."""

    def consumers() -> list[Any]:
        found = []
        for sub in getattr(broker, "subscribers", ()):
            consumer = getattr(sub, "consumer", None)
            if consumer is not None:
                found.append(consumer)
        return found

    return consumers


_EVENT_TYPE: Final = re.compile(r"[a-z]+\.[a-z][a-z-]{0,40}")
_EB_KIND: Final = {"1": "start", "2": "change", "3": "retract"}


def count_event(type_: str, data: Mapping[str, object], message_type_: str | None) -> None:
    """One published domain event; eigen-bijdrage notices also by route and kind."""
    # Event types are constants of hub.domain.events, never input: still, keep the label bounded.
    EVENTS.labels(type_ if _EVENT_TYPE.fullmatch(type_) else "other").inc()
    if type_ == "eigenbijdrage.notice":
        route = "407" if (message_type_ or "").endswith("407") else "405"
        entries = data.get("entries")
        for entry in entries if isinstance(entries, list) else ():
            status = str(entry.get("status", "")) if isinstance(entry, dict) else ""
            EB_NOTICE_ENTRIES.labels(route, _EB_KIND.get(status, "other")).inc()
    elif type_ == "message.advisory-finding":
        count_advisory(data)


_GEMEENTE: Final = re.compile(r"[0-9]{4}")
_HISTORY_RULES: Final = frozenset(r.id for r in RULES)


def count_advisory(data: Mapping[str, object]) -> None:
    """isdhub_history_advisory_findings for one message.advisory-finding event's data."""
    gemeente = str(data.get("gemeente", ""))
    gemeente = gemeente if _GEMEENTE.fullmatch(gemeente) else "other"
    findings = data.get("findings")
    for finding in findings if isinstance(findings, list) else ():
        rule = str(finding.get("rule", "")) if isinstance(finding, dict) else ""
        ADVISORY_FINDINGS.labels(rule if rule in _HISTORY_RULES else "other", gemeente).inc()


_MEASURED: Final = frozenset({"on_time", "late", "measured"})


def observe_moments(measurements: Iterable[Measurement]) -> None:
    """Count live sleutelmomenten once their transaction committed; the werkdagen histogram
    takes only those with a lateness that counts (not open, not implausible), early arrivals
    as 0. Counted per label set first: resolving a labelled child costs more than counting."""
    counts: collections.Counter[tuple[str, str, str]] = collections.Counter()
    lateness: dict[tuple[str, str], list[int]] = {}
    for m in measurements:
        key = (m.moment.value, m.gemeente, m.outcome.value)
        counts[key] += 1
        if key[2] in _MEASURED and m.werkdagen is not None:
            lateness.setdefault(key[:2], []).append(max(0, m.werkdagen))
    for (moment, gemeente, outcome), n in counts.items():
        SLEUTELMOMENTEN.labels(moment, _gemeente_label(gemeente), outcome).inc(n)
    for (moment, gemeente), values in lateness.items():
        child = SLEUTELMOMENT_WERKDAGEN.labels(moment, _gemeente_label(gemeente))
        for v in values:
            child.observe(v)


def _gemeente_label(code: str) -> str:
    return code if _GEMEENTE.fullmatch(code) else "other"
