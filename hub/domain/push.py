"""Push delivery's decisions: the signature a receiver verifies, which endpoints and secrets
are acceptable, what an attempt's answer means, and when to try again or give up (pure).

The adapter's loop (adapters/push.py) does the I/O; everything it decides is here.

The signature (documented for integrators in the README, "Push delivery"): the header
`X-Hub-Signature: t=<unix seconds>,v1=<hex>` where `<hex>` is the lowercase hex of
HMAC-SHA256(secret, f"{t}.".encode() + body) over the exact bytes of the request body. A
receiver recomputes it, compares in constant time and refuses a `t` too far from its clock
(replays); `X-Hub-Message-Id` is the message's id, the same on every attempt (idempotency).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Final, Literal, get_args
from urllib.parse import urlsplit

SIGNATURE_HEADER: Final = "X-Hub-Signature"
MESSAGE_ID_HEADER: Final = "X-Hub-Message-Id"
ATTEMPT_HEADER: Final = "X-Hub-Attempt"  # 1 for the first attempt, informative only
BERICHT_CODE_HEADER: Final = "X-Hub-Bericht-Code"  # e.g. 301, so a receiver can route cheaply
SIGNATURE_VERSION: Final = "v1"
REPLAY_TOLERANCE_S: Final = 300  # what the README advises receivers to accept
SECRET_MIN_BYTES: Final = 16
SECRET_MAX_BYTES: Final = 1024
URL_MAX_CHARS: Final = 2000

# What an endpoint takes (push_endpoint.kind, chosen with `hub party push set --kind`): "http"
# the raw message, signed; "ggk-soap" the message in a StUF-GGk ggk_Di01/ggk_Du01 SOAP envelope,
# delivered until the endpoint answers a Bv03 (issue #21; adapters/ggkpush.py).
KINDS: Final = ("http", "ggk-soap")

# Why an attempt failed, as the event and the metric name it (never the receiver's text).
# "secret": the party's push secret cannot be unsealed (HUB_PERSON_KEY_SECRET is not the one it
# was sealed with); retried like the others, since restoring the setting or `hub party push set`
# heals it.
Reason = Literal[
    "timeout", "connect", "tls", "redirect", "client-error", "server-error", "status",
    "gone", "protocol", "purged", "secret",
]  # fmt: skip
REASONS: Final[tuple[str, ...]] = get_args(Reason)


def sign(secret: bytes, body: bytes, timestamp: int) -> str:
    """The X-Hub-Signature value for `body` sent at `timestamp` (unix seconds)."""
    mac = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},{SIGNATURE_VERSION}={mac}"


def verify(
    secret: bytes, body: bytes, header: str, now: int, tolerance_s: int = REPLAY_TOLERANCE_S
) -> bool:
    """What a receiver does (and the tests): the signature fits `body` and `t` is recent."""
    fields: dict[str, str] = {}
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        fields.setdefault(key, value)
    stamp, mac = fields.get("t", ""), fields.get(SIGNATURE_VERSION, "")
    if not stamp.isdigit() or abs(now - int(stamp)) > tolerance_s:
        return False
    expected = sign(secret, body, int(stamp)).rsplit("=", 1)[1]
    return hmac.compare_digest(expected, mac)


def url_problem(url: str, *, allow_http: bool) -> str | None:
    """Why `url` cannot be a push endpoint, or None: https (http only when allowed, for tests
    and development), a host, no credentials or fragment, not too long."""
    if len(url) > URL_MAX_CHARS or any(c.isspace() for c in url):
        return "the URL is too long or holds white space"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a port out of range)
    except ValueError:
        return "the URL cannot be read"
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes:
        return "only https:// endpoints (http:// only with HUB_PUSH_ALLOW_HTTP=true)"
    if not parts.hostname:
        return "the URL names no host"
    if parts.username or parts.password:
        return "the URL may not hold credentials (the signature authenticates the hub)"
    if parts.fragment:
        return "the URL may not hold a fragment"
    return None


def secret_problem(secret: bytes) -> str | None:
    """Why `secret` cannot sign pushes, or None."""
    if len(secret) < SECRET_MIN_BYTES:
        return f"the secret must have at least {SECRET_MIN_BYTES} bytes"
    if len(secret) > SECRET_MAX_BYTES:
        return f"the secret may have at most {SECRET_MAX_BYTES} bytes"
    return None


@dataclass(frozen=True, slots=True)
class Answer:
    """What one attempt came to: delivered, or the reason it failed (with the status)."""

    delivered: bool
    reason: Reason | None = None
    status: int | None = None

    @property
    def label(self) -> str:
        """The outcome label of the metric: delivered, or the reason."""
        return "delivered" if self.delivered else str(self.reason)

    @property
    def text(self) -> str:
        """What push_delivery.last_error keeps: the reason and the status, no receiver text."""
        if self.delivered:
            return ""
        return f"{self.reason} {self.status}" if self.status else str(self.reason)


DELIVERED: Final = Answer(True)


def answer_of(status: int) -> Answer:
    """A response's status as an outcome: 2xx delivered; a redirect is not followed (the
    endpoint is what the party registered, nothing else gets its messages); 410 Gone ends the
    retries at once; every other status is a failed attempt."""
    if 200 <= status < 300:
        return Answer(True, status=status)
    if status == 410:
        return Answer(False, "gone", status)
    if 300 <= status < 400:
        return Answer(False, "redirect", status)
    if 400 <= status < 500:
        return Answer(False, "client-error", status)
    if 500 <= status < 600:
        return Answer(False, "server-error", status)
    return Answer(False, "status", status)


def retry_in(answer: Answer, age_s: float, pause_s: float, give_up_s: float) -> float | None:
    """Seconds until the next attempt after the failed `answer`, or None to give up.

    `age_s` is how long the push has waited since it was queued, `pause_s` the backoff after
    this many failures. It gives up on 410 and once `give_up_s` has passed; the last pause is
    shortened so one attempt falls on the give-up time itself."""
    if answer.delivered:
        raise ValueError("a delivered push is not retried")
    if answer.reason in ("gone", "purged") or age_s >= give_up_s:
        return None
    return max(0.0, min(pause_s, give_up_s - age_s))
