"""What a hub process checks before it connects: its Kafka and PostgreSQL security settings,
and that no secret is still at its public development value once a real broker or database
is configured (`hub core`, `hub relay`, `hub adapter`, and `hub up` with an external one).

With a known HUB_PERSON_KEY_SECRET every person hash on the topics can be reversed by trying
the ~90 million valid BSNs, so the built-in default is for the embedded development hub only.
"""

from __future__ import annotations

import os
from typing import Final

from pydantic import SecretStr

from hub.domain.errors import ConfigError
from hub.infra.kafka import security
from hub.infra.store.base import database_tls
from hub.settings import Settings

# Set by `hub up` for the processes it starts on the embedded broker and database it started
# itself: its pid. A child believes it only when that pid is its parent (not a HUB_* setting,
# so no deployment can switch the check off by configuration).
EMBEDDED_PARENT_ENV: Final = "ISD_HUB_EMBEDDED_PARENT"


def development_secrets(settings: Settings) -> list[str]:
    """The HUB_* names of every secret setting still at its built-in (public) value."""
    found = []
    for name, info in Settings.model_fields.items():
        default = info.default
        if not isinstance(default, SecretStr) or not default.get_secret_value():
            continue  # not a secret, or one without a built-in value (unset means unused)
        value = getattr(settings, name)
        if isinstance(value, SecretStr) and value.get_secret_value() == default.get_secret_value():
            found.append(f"HUB_{name.upper()}")
    return found


def external(settings: Settings) -> list[str]:
    """The settings that point this process at a real broker or database."""
    named = {
        "HUB_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "HUB_DATABASE_URL": settings.database_url,
    }
    return [name for name, value in named.items() if value]


def started_by_embedded_up() -> bool:
    """Whether our parent is a `hub up` that runs the embedded broker and database itself."""
    parent = os.environ.get(EMBEDDED_PARENT_ENV, "")
    return parent.isdigit() and int(parent) == os.getppid()


def check(settings: Settings, command: str) -> None:
    """Refuse to start `hub {command}` with settings that cannot work or are unsafe: one line
    (a ConfigError, exit 2) naming the setting to fix."""
    security.check(settings)
    database_tls(settings)
    configured = external(settings)
    if not configured or started_by_embedded_up():
        return
    defaults = development_secrets(settings)
    if defaults:
        raise ConfigError(
            f"{defaults[0]} is still the built-in development value, which is public: "
            f"`hub {command}` with {configured[0]} set needs a long random value of its own "
            "(e.g. `openssl rand -hex 32`), the same for every process of this hub"
        )


def mark_embedded_children() -> None:
    """`hub up` on embedded infrastructure: let the processes it starts use the defaults."""
    os.environ[EMBEDDED_PARENT_ENV] = str(os.getpid())
