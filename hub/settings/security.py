"""Settings for reaching a secured Kafka cluster (SASL, TLS, mTLS) and PostgreSQL over TLS: one
mixin of `hub.settings.Settings`, so every client of the hub reads them from the same place."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr


class SecuritySettings(BaseModel):
    """The HUB_KAFKA_SASL_* / HUB_KAFKA_SSL_* and HUB_DATABASE_SSL* fields."""

    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT",
        description="How every Kafka client of the hub (core, relay, adapters, CLI) talks to the "
        "broker: PLAINTEXT, SSL (TLS), SASL_PLAINTEXT or SASL_SSL (SASL over TLS, for a real "
        'cluster). See docs/operations.md, "Secured Kafka".',
    )
    kafka_sasl_mechanism: Literal["", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = Field(
        default="",
        description="SASL mechanism with SASL_PLAINTEXT / SASL_SSL: PLAIN, SCRAM-SHA-256 or "
        "SCRAM-SHA-512 (needs HUB_KAFKA_SASL_USERNAME and HUB_KAFKA_SASL_PASSWORD).",
    )
    kafka_sasl_username: str = Field(
        default="", description="SASL user (the Kafka principal the ACLs name) of this process."
    )
    kafka_sasl_password: SecretStr = Field(
        default=SecretStr(""), description="SASL password of HUB_KAFKA_SASL_USERNAME (secret)."
    )
    kafka_ssl_ca_file: Path | None = Field(
        default=None,
        description="PEM file of the CA(s) that signed the broker's certificate, with SSL / "
        "SASL_SSL. Unset: the system's trust store.",
    )
    kafka_ssl_cert_file: Path | None = Field(
        default=None,
        description="PEM client certificate for mutual TLS (mTLS), with HUB_KAFKA_SSL_KEY_FILE.",
    )
    kafka_ssl_key_file: Path | None = Field(
        default=None, description="PEM private key of HUB_KAFKA_SSL_CERT_FILE."
    )
    kafka_ssl_key_password: SecretStr = Field(
        default=SecretStr(""),
        description="Password of an encrypted HUB_KAFKA_SSL_KEY_FILE (secret); empty: none.",
    )
    database_sslmode: Literal["", "disable", "prefer", "require", "verify-ca", "verify-full"] = (
        Field(
            default="",
            description="TLS to PostgreSQL, as libpq's sslmode: disable, prefer, require, "
            "verify-ca (the server's certificate is signed by HUB_DATABASE_SSL_CA_FILE) or "
            "verify-full (and names the host). Empty: the URL's ?sslmode=, else prefer.",
        )
    )
    database_ssl_ca_file: Path | None = Field(
        default=None,
        description="PEM file of the CA that signed PostgreSQL's certificate (verify-ca, "
        "verify-full). Unset: the system's trust store.",
    )
    database_ssl_cert_file: Path | None = Field(
        default=None,
        description="PEM client certificate for PostgreSQL (cert authentication), with "
        "HUB_DATABASE_SSL_KEY_FILE.",
    )
    database_ssl_key_file: Path | None = Field(
        default=None, description="PEM private key of HUB_DATABASE_SSL_CERT_FILE."
    )
