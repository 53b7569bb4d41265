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
