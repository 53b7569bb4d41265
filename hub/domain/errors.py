"""The hub's one exception tree; `retryable` tells the caller whether trying again can help."""

from __future__ import annotations


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


def blames_message(exc: BaseException) -> bool:
    """Whether an error raised while deciding one message is that message's own: the steps
    that decide a message do no I/O, so what they raise comes back on every try (a pack
    without the schema a retour needs, a rule tripping on odd input). Only a retryable hub
    error or a lack of memory says the same message may succeed later."""
    if isinstance(exc, HubError):
        return not exc.retryable
    return isinstance(exc, Exception) and not isinstance(exc, MemoryError)
