"""How every Kafka client of the hub authenticates and encrypts: one place that turns the
HUB_KAFKA_SECURITY_PROTOCOL, _SASL_* and _SSL_* settings into aiokafka's keyword arguments
and FastStream's `security=` object, and checks them at start with the setting to fix.

The FastStream broker (core, adapters, `hub dlq replay`), the outbox relay's producer, the topic
admin of `hub up` and every process's broker watch all call `client_kwargs` / `faststream_security`
here, so no client can connect with other settings than the rest.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

from faststream.kafka.security import parse_security
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from hub.domain.errors import ConfigError
from hub.settings import Settings

_SASL = frozenset({"SASL_PLAINTEXT", "SASL_SSL"})
_TLS = frozenset({"SSL", "SASL_SSL"})


def check(settings: Settings) -> None:
    """Refuse settings that cannot work together, or files that are not there, naming the
    HUB_* setting to fix (run when a process starts, before it connects)."""
    protocol = settings.kafka_security_protocol
    mechanism = settings.kafka_sasl_mechanism
    if protocol in _SASL:
        if not mechanism:
            raise ConfigError(
                f"HUB_KAFKA_SASL_MECHANISM: HUB_KAFKA_SECURITY_PROTOCOL={protocol} needs a SASL "
                "mechanism (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)"
            )
        if not settings.kafka_sasl_username:
            raise ConfigError(f"HUB_KAFKA_SASL_USERNAME: SASL mechanism {mechanism} needs a user")
        if not settings.kafka_sasl_password.get_secret_value():
            raise ConfigError(
                f"HUB_KAFKA_SASL_PASSWORD: SASL mechanism {mechanism} needs a password"
            )
    elif mechanism or settings.kafka_sasl_username:
        raise ConfigError(
            "HUB_KAFKA_SECURITY_PROTOCOL: a SASL mechanism or user is set but the protocol is "
            f"{protocol}; use SASL_SSL (or SASL_PLAINTEXT) or unset HUB_KAFKA_SASL_*"
        )
    files = {
        "HUB_KAFKA_SSL_CA_FILE": settings.kafka_ssl_ca_file,
        "HUB_KAFKA_SSL_CERT_FILE": settings.kafka_ssl_cert_file,
        "HUB_KAFKA_SSL_KEY_FILE": settings.kafka_ssl_key_file,
    }
    if protocol not in _TLS:
        given = [name for name, path in files.items() if path is not None]
        if given:
            raise ConfigError(
                f"{given[0]}: TLS files are set but HUB_KAFKA_SECURITY_PROTOCOL is {protocol}; "
                "use SSL or SASL_SSL"
            )
        return
    if (settings.kafka_ssl_cert_file is None) != (settings.kafka_ssl_key_file is None):
        missing = "KEY" if settings.kafka_ssl_key_file is None else "CERT"
        raise ConfigError(
            f"HUB_KAFKA_SSL_{missing}_FILE: a client certificate (mTLS) needs both "
            "HUB_KAFKA_SSL_CERT_FILE and HUB_KAFKA_SSL_KEY_FILE"
        )
    for name, path in files.items():
        _readable(name, path)
    _context(settings)  # a CA, certificate or key that does not load fails here, at start


def ssl_context(settings: Settings) -> ssl.SSLContext | None:
    """The TLS context of every Kafka connection, or None for PLAINTEXT / SASL_PLAINTEXT."""
    if settings.kafka_security_protocol not in _TLS:
        return None
    return _context(settings)


def faststream_security(settings: Settings) -> BaseSecurity | None:
    """FastStream's `security=` object for these settings (None: plain TCP, no SASL)."""
    protocol = settings.kafka_security_protocol
    context = ssl_context(settings)
    if protocol == "PLAINTEXT":
        return None
    if protocol == "SSL":
        return BaseSecurity(ssl_context=context, use_ssl=True)
    user = settings.kafka_sasl_username
    password = settings.kafka_sasl_password.get_secret_value()
    use_ssl = protocol == "SASL_SSL"
    kinds = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512}
    kind = kinds.get(settings.kafka_sasl_mechanism)
    if kind is None:  # check() refuses this at start; a guard for callers that skipped it
        raise ConfigError(f"HUB_KAFKA_SASL_MECHANISM: {protocol} needs a SASL mechanism")
    return kind(username=user, password=password, ssl_context=context, use_ssl=use_ssl)


def client_kwargs(settings: Settings) -> dict[str, Any]:
    """aiokafka's security keyword arguments (security_protocol, ssl_context, sasl_*), the
    same FastStream derives from `faststream_security`, for the clients made directly."""
    kwargs = parse_security(faststream_security(settings))
    return kwargs or {"security_protocol": "PLAINTEXT"}


def _context(settings: Settings) -> ssl.SSLContext:
    ca = settings.kafka_ssl_ca_file
    try:
        # Without a CA file the system's trust store checks the broker (a public CA's cert).
        context = ssl.create_default_context(cafile=str(ca) if ca is not None else None)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"HUB_KAFKA_SSL_CA_FILE: cannot load {ca} ({exc})") from None
    cert, key = settings.kafka_ssl_cert_file, settings.kafka_ssl_key_file
    if cert is not None and key is not None:
        password = settings.kafka_ssl_key_password.get_secret_value() or None
        try:
            context.load_cert_chain(str(cert), str(key), password=password)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(
                f"HUB_KAFKA_SSL_CERT_FILE / HUB_KAFKA_SSL_KEY_FILE: cannot load the client "
                f"certificate {cert} with key {key} ({exc}; a wrong "
                "HUB_KAFKA_SSL_KEY_PASSWORD fails the same way)"
            ) from None
    return context


def _readable(name: str, path: Path | None) -> None:
    if path is None:
        return
    if not path.is_file():
        raise ConfigError(f"{name}: {path} does not exist or is not a file")
