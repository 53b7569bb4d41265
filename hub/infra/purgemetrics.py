"""The metrics of the scheduled purge (handlers/purge.py): what it emptied, how long it took,
and what it kept past the retention and why.

Kept beside hub/infra/metrics.py (which is at the module size limit) with the same rule:
bounded labels only, the reason from hub.infra.store.retention.Kept, never a party or id.
"""

from __future__ import annotations

from typing import Final

from prometheus_client import Counter, Gauge

from hub.infra.store.retention import PurgeRun

PURGE_KEPT: Final = Gauge(
    "isdhub_purge_kept_messages",
    "Payloads past HUB_PAYLOAD_RETENTION_HOURS the last scheduled purge kept, by why: download"
    " (a delivery not yet fetched), on_its_way, outbox, retour (awaiting its retour), parked"
    " (held by a release freeze)",
    ["reason"],
)
PURGED: Final = Counter(
    "isdhub_purged_messages", "Message payloads the scheduled purge emptied (metadata stays)"
)
PURGE_SECONDS: Final = Gauge(
    "isdhub_purge_last_run_seconds", "How long the last scheduled purge run took"
)


def observe_purge(run: PurgeRun) -> None:
    """Count one scheduled run; every reason is set, 0 included, so the panel always has data."""
    PURGED.inc(run.done.messages)
    PURGE_SECONDS.set(run.seconds)
    kept = run.kept
    for reason, count in (("download", kept.download), ("on_its_way", kept.on_its_way),
                          ("outbox", kept.outbox), ("retour", kept.retour),
                          ("parked", kept.parked)):  # fmt: skip
        PURGE_KEPT.labels(reason).set(count)
