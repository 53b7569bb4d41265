"""Settings of what integrators' software meets at the adapters: ZIP archives, push delivery and
client certificates (mTLS); one mixin of `hub.settings.Settings`."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, Field, field_validator, model_validator


class IntegratorSettings(BaseModel):
    """The HUB_ZIP_*, HUB_PUSH_* and HUB_ADAPTER_* (TLS, client certificate) fields."""

    zip_max_members: int = Field(
        default=100,
        ge=1,
        le=10_000,
        description="Most files one uploaded ZIP archive (POST /v1/messages/zip) may hold; more "
        "and it is refused whole (IB902 / BRS16). Declaraties: at most 30 whatever this says.",
    )
    zip_max_total_mb: int = Field(
        default=100,
        ge=1,
        le=10_000,
        description="Most MB the files of one uploaded ZIP archive may expand to together (each "
        "file at most 25 MB, the nodes' limit); checked on the archive's directory and again "
        "while decompressing, so a zip bomb is refused whole.",
    )
    zip_max_ratio: int = Field(
        default=200,
        ge=10,
        le=100_000,
        description="Highest compression ratio (uncompressed : compressed) a file over 1 MB in an "
        "uploaded ZIP archive may have; above it the archive is refused whole as a zip bomb "
        "(XML compresses about 10-50:1).",
    )
    zip_inbox_max_messages: int = Field(
        default=100,
        ge=1,
        le=1000,
        description="Most messages in one inbox archive (GET /v1/inbox.zip), which also stops "
        "at 25 MB of messages; the client acknowledges what it took and asks again for the rest.",
    )
    push_interval_s: float = Field(
        default=1.0,
        gt=0,
        le=600,
        description="How often an adapter looks for pushes that are due (push delivery to "
        "the endpoints parties registered with `hub party push set`); a finished push looks "
        "again at once.",
    )
    push_timeout_s: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="How long one push attempt may take (connect, send, answer); a slower "
        "endpoint is a failed attempt.",
    )
    push_concurrency: int = Field(
        default=8,
        ge=1,
        le=1000,
        description="Most pushes one adapter has under way at once; a party has at most one "
        "at a time, so a slow endpoint holds one of these, never the others' deliveries.",
    )
    push_retry_first_s: float = Field(
        default=5.0,
        gt=0,
        le=3600,
        description="Pause after a push's first failed attempt; it doubles with every failure "
        "up to HUB_PUSH_RETRY_MAX_S.",
    )
    push_retry_max_s: float = Field(
        default=600.0,
        gt=0,
        le=86400,
        description="Longest pause between two attempts of one push.",
    )
    push_give_up_s: float = Field(
        default=86400.0,
        gt=0,
        le=30 * 86400,
        description="How long a push is retried after the message reached the inbox; then it "
        "is marked failed (event delivery.push-failed) and stays in the pull inbox.",
    )
    push_allow_http: bool = Field(
        default=False,
        description="Accept http:// push endpoints (tests and development only); otherwise "
        "only https://.",
    )
    push_ca_file: Path | None = Field(
        default=None,
        description="PEM file of the CAs push endpoints' certificates must chain to (e.g. a "
        "private CA); unset: the system's trusted CAs.",
    )
    push_client_cert_file: Path | None = Field(
        default=None,
        description="PEM client certificate (chain) the hub presents to push endpoints (mTLS; "
        "JSON pushes, the GGk SOAP deliveries and Fo01s), with HUB_PUSH_CLIENT_KEY_FILE, so an "
        "endpoint can tell the hub by it, as the real nodes present theirs; unset: none.",
    )
    push_client_key_file: Path | None = Field(
        default=None, description="PEM private key of HUB_PUSH_CLIENT_CERT_FILE."
    )
    adapter_tls_cert_file: Path | None = Field(
        default=None,
        description="PEM certificate (chain) the adapters serve HTTPS with, with "
        "HUB_ADAPTER_TLS_KEY_FILE. Unset: plain HTTP (e.g. behind a TLS-terminating proxy).",
    )
    adapter_tls_key_file: Path | None = Field(
        default=None, description="PEM private key of HUB_ADAPTER_TLS_CERT_FILE."
    )
    adapter_client_ca_file: Path | None = Field(
        default=None,
        description="PEM file of the CAs that issue parties' client certificates; the "
        "adapters' TLS handshake verifies a presented certificate against it (mTLS).",
    )
    adapter_client_cert: Literal["off", "optional", "required"] = Field(
        default="off",
        description="Client certificates at the adapters: off (bearer tokens only), optional "
        "(a certificate registered with `hub party cert add` identifies the party, else its "
        "token), required (every party request needs one; a token, if sent, must agree).",
    )
    adapter_trusted_proxies: str = Field(
        default="",
        description="Addresses or networks (comma-separated) of TLS-terminating proxies whose "
        "HUB_ADAPTER_CLIENT_CERT_HEADER the adapters believe; from any other peer it is ignored.",
    )
    adapter_client_cert_header: str = Field(
        default="X-Client-Cert",
        pattern=r"^[A-Za-z0-9-]{1,64}$",
        description="Header in which a trusted proxy passes the client certificate: URL-encoded "
        "PEM (nginx $ssl_client_escaped_cert), an Envoy XFCC Cert=, or base64 DER.",
    )

    @field_validator("push_ca_file")
    @classmethod
    def _push_ca_exists(cls, value: Path | None) -> Path | None:
        if value is None or str(value) in ("", "."):
            return None
        if not value.is_file():
            raise ValueError(f"no such file: {value}")
        return value

    @field_validator("push_client_cert_file", "push_client_key_file")
    @classmethod
    def _push_client_exists(cls, value: Path | None) -> Path | None:
        if value is None or str(value) in ("", "."):
            return None
        if not value.is_file():
            raise ValueError(f"no such file: {value}")
        return value

    @model_validator(mode="after")
    def _push_client_pair(self) -> Self:
        if (self.push_client_cert_file is None) != (self.push_client_key_file is None):
            raise ValueError("set push_client_cert_file and push_client_key_file together")
        return self

    @model_validator(mode="after")
    def _push_retry_order(self) -> Self:
        if self.push_retry_first_s > self.push_retry_max_s:
            raise ValueError("push_retry_first_s must not exceed push_retry_max_s")
        return self

    @field_validator("adapter_trusted_proxies")
    @classmethod
    def _proxies_shape(cls, value: str) -> str:
        for part in filter(None, (p.strip() for p in value.split(","))):
            ipaddress.ip_network(part, strict=False)  # ValueError names the bad one
        return value

    @model_validator(mode="after")
    def _adapter_tls(self) -> Self:
        if (self.adapter_tls_cert_file is None) != (self.adapter_tls_key_file is None):
            raise ValueError("set adapter_tls_cert_file and adapter_tls_key_file together")
        handshake = self.adapter_tls_cert_file is not None and self.adapter_client_ca_file
        if self.adapter_client_cert != "off" and not (handshake or self.adapter_trusted_proxies):
            raise ValueError(
                "adapter_client_cert needs adapter_tls_cert_file with adapter_client_ca_file "
                "(the adapter asks for it) or adapter_trusted_proxies (a proxy passes it)"
            )
        return self
