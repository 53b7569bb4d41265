"""The metrics of push delivery (adapters/push.py): pushes and attempts by outcome, and the
pending pushes with the age of the oldest.

Kept beside hub/infra/metrics.py (which is at the module size limit) with the same rule:
bounded labels only, the node and an outcome from hub.domain.push.REASONS, never a party or id.
"""

from __future__ import annotations

from typing import Final

from prometheus_client import Counter, Gauge

from hub.domain.push import REASONS, Answer

PUSHES: Final = Counter(
    "isdhub_pushes",
    "Pushes finished per node and outcome (delivered; failed: given up, left in the pull inbox)",
    ["node", "outcome"],
)
PUSH_ATTEMPTS: Final = Counter(
    "isdhub_push_attempts",
    "Push attempts per node and outcome (delivered, or why it failed: timeout, connect, tls, "
    "redirect, client-error, server-error, status, gone, protocol, purged, secret)",
    ["node", "outcome"],
)
PUSH_PENDING: Final = Gauge(
    "isdhub_push_pending", "Pushes not delivered nor given up yet, per node", ["node"]
)
PUSH_OLDEST_PENDING: Final = Gauge(
    "isdhub_push_oldest_pending_seconds",
    "Age of the oldest pending push (since its message reached the inbox), per node; 0: none",
    ["node"],
)
_OUTCOMES: Final = frozenset({"delivered", *REASONS})


def attempted(node: str, answer: Answer) -> None:
    PUSH_ATTEMPTS.labels(node, answer.label if answer.label in _OUTCOMES else "status").inc()


def finished(node: str, *, delivered: bool) -> None:
    PUSHES.labels(node, "delivered" if delivered else "failed").inc()


def pending(node: str, count: int, oldest_s: float) -> None:
    PUSH_PENDING.labels(node).set(count)
    PUSH_OLDEST_PENDING.labels(node).set(oldest_s)
