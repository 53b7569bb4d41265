"""The hub's one exception tree, and the one place (`disposition`) that reads it to say what a
flow does with an error: retry, dead-letter or stop."""

from __future__ import annotations

import enum


class HubError(Exception):
    """Base of every error the hub raises on purpose."""

    retryable: bool = False


class ConfigError(HubError):
    """A setting is missing, malformed or points at something that does not answer."""


class StartupError(HubError):
    """A component could not be started (port taken, binary missing, child died)."""


class MigrationError(HubError):
    """The database schema could not be brought up to date."""


class TransientError(HubError):
    """A dependency hiccuped (broker, database); the same work may succeed later."""

    retryable = True


class Disposition(enum.Enum):
    """What a flow does with an error (see `disposition`)."""

    RETRY = "retry"  # the same work may succeed later: redeliver, repeat, answer 503
    DEAD_LETTER = "dead-letter"  # the error comes back on every try: set the message aside
    STOP = "stop"  # no try can help: let it reach whoever started the flow


# The infrastructure's own transient errors (asyncpg's, aiokafka's, OSError, TimeoutError),
# added by hub.infra.transient when it is imported (hub.infra.runtime imports it, so every
# process that runs a flow has them). A registry rather than wrapping each library call into
# TransientError at the infrastructure's boundary: the libraries raise from many call sites
# and from their own tasks, a wrapper missed at one of them would make a database outage look
# like the message's own error, and the domain stays free of the libraries either way.
_transient: tuple[type[BaseException], ...] = ()


def register_transient(*kinds: type[BaseException]) -> None:
    """Have `disposition` retry these exception types (and their subclasses)."""
    global _transient
    _transient = _transient + tuple(k for k in kinds if k not in _transient)


def transient_types() -> tuple[type[BaseException], ...]:
    """The infrastructure's transient exception types registered so far."""
    return _transient


def disposition(exc: BaseException) -> Disposition:
    """What a flow does with `exc`; every flow asks this, none decides on its own.

    - RETRY: a retryable hub error (TransientError), an infrastructure error registered as
      transient, or a lack of memory: the same work may succeed later. The intake batch is
      redelivered, an upload is answered 503 with Retry-After, a loop tries again.
    - STOP: a hub error that is not retryable (ConfigError, StartupError, MigrationError: the
      hub is set up wrong), or what is not an Exception at all (cancellation, Ctrl-C, exit).
      It is not handled: it reaches whoever started the flow (the command line prints it in
      one line and exits 2). A loop that runs unattended cannot stop its process and tries
      again, as it always did; the intake batch is redelivered.
    - DEAD_LETTER: any other exception. Raised while deciding one message, whose steps do no
      I/O, it comes back on every try (a pack without the schema a retour needs, a rule
      tripping on odd input): that message is dead-lettered after its tries, and the others
      go on (handlers.poison). A flow with no message at hand tries again.
    """
    if not isinstance(exc, Exception):
        return Disposition.STOP
    if isinstance(exc, HubError):
        return Disposition.RETRY if exc.retryable else Disposition.STOP
    if isinstance(exc, (MemoryError, *_transient)):
        return Disposition.RETRY
    return Disposition.DEAD_LETTER
