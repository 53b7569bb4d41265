"""Reading an X.509 certificate: its SHA-256 fingerprint, subject and validity, from PEM or DER.

What the adapters (adapters/clientcert.py) and `hub party cert` read of a party's client
certificate; a proxy's header (`from_header`) may carry it URL-encoded, in an Envoy XFCC
element, or as base64 DER. An XFCC header naming more than one certificate is refused: with a
proxy that appends (APPEND_FORWARD) instead of overwriting, the first may be the client's own.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import unquote

from cryptography import x509
from cryptography.hazmat.primitives import hashes

_MAX_HEADER_CHARS = 32_768  # a certificate chain's PEM, URL-encoded, is far smaller


class CertificateError(ValueError):
    """Bytes that are not one readable X.509 certificate."""


@dataclass(frozen=True, slots=True)
class ClientCertificate:
    """What the hub reads of a certificate: how it is matched and when it is valid."""

    fingerprint: str  # SHA-256 of the DER, lowercase hex
    subject: str  # RFC 4514
    not_before: datetime
    not_after: datetime

    def valid_at(self, now: datetime) -> bool:
        return self.not_before <= now <= self.not_after

    @property
    def short(self) -> str:
        """The fingerprint's head, enough to find it in `hub party show` and the logs."""
        return self.fingerprint[:16]


def _read(cert: x509.Certificate) -> ClientCertificate:
    return ClientCertificate(
        fingerprint=cert.fingerprint(hashes.SHA256()).hex(),
        subject=cert.subject.rfc4514_string(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
    )


def from_der(der: bytes) -> ClientCertificate:
    try:
        return _read(x509.load_der_x509_certificate(der))
    except ValueError as exc:
        raise CertificateError(f"not a DER certificate: {exc}") from None


def from_pem(pem: bytes | str) -> ClientCertificate:
    """The first certificate of a PEM text (a chain's leaf comes first)."""
    data = pem.encode() if isinstance(pem, str) else pem
    try:
        return _read(x509.load_pem_x509_certificates(data)[0])
    except ValueError as exc:
        raise CertificateError(f"not a PEM certificate: {exc}") from None


def _xfcc_pairs(value: str) -> list[str]:
    """An XFCC value cut at every `,` (between elements) and `;` (between pairs) that is not
    inside a quoted value (Envoy quotes a Subject or URI holding them, backslash-escaping)."""
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in value:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char in ",;" and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def _xfcc_certs(value: str) -> list[str]:
    """The `Cert=` values of an Envoy XFCC header, quotes removed (none: not XFCC)."""
    found = []
    for pair in _xfcc_pairs(value):
        key, eq, cert = pair.partition("=")
        if eq and key.strip().lower() == "cert":
            found.append(cert.strip().removeprefix('"').removesuffix('"'))
    return found


def from_header(value: str) -> ClientCertificate:
    """A proxy's header value: XFCC's Cert="...", URL-encoded PEM, or base64 DER. An XFCC
    header naming more than one certificate is refused (which is the client's cannot be told)."""
    if len(value) > _MAX_HEADER_CHARS:
        raise CertificateError("header too long")
    xfcc = _xfcc_certs(value)
    if len(xfcc) > 1:
        raise CertificateError(
            f"the proxy's header names {len(xfcc)} certificates, so which is the client's "
            "cannot be told; the proxy must overwrite the header (Envoy: SANITIZE_SET)"
        )
    text = unquote(xfcc[0] if xfcc else value).strip()
    if text.startswith("-----BEGIN"):
        return from_pem(text)
    try:
        return from_der(base64.b64decode(text, validate=True))
    except binascii.Error:
        raise CertificateError("neither PEM nor base64 DER") from None
