"""A party's client certificate at the adapter: read off the request, checked, mapped to a party.

The certificate comes from the TLS handshake when the adapter serves HTTPS itself (the server
puts it in the ASGI "tls" scope extension, adapters/tlsserve.py), or from a TLS-terminating
proxy's header (`X-Client-Cert`: URL-encoded PEM as nginx's `$ssl_client_escaped_cert`, an
Envoy XFCC element's `Cert="..."`, or base64 DER) taken ONLY from HUB_ADAPTER_TRUSTED_PROXIES.
It maps to a party by its SHA-256 fingerprint or its subject (hub/infra/store/party_certs.py).
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn

from adapters.refusal import refuse
from hub.domain.parties import Party
from hub.infra.certificates import CertificateError, ClientCertificate, from_header, from_pem
from hub.infra.store import party_certs
from hub.infra.store.base import Pool
from hub.settings import Settings

log = logging.getLogger(__name__)

TLS_EXTENSION = "tls"  # the ASGI TLS extension: client_cert_chain, PEM, the client's first
PEER_EXTENSION = "isd_hub.peer"  # the TCP peer, before any proxy header rewrote scope["client"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> tuple[Network, ...]:
    """HUB_ADAPTER_TRUSTED_PROXIES: addresses or networks, separated by commas."""
    return tuple(
        ipaddress.ip_network(p.strip(), strict=False) for p in text.split(",") if p.strip()
    )


@dataclass(frozen=True, slots=True)
class CertPolicy:
    """HUB_ADAPTER_CLIENT_CERT and where a certificate may come from."""

    mode: str  # off | optional | required
    trusted: tuple[Network, ...]
    header: str  # lowercase, as ASGI gives header names

    @classmethod
    def of(cls, settings: Settings) -> CertPolicy:
        return cls(
            mode=settings.adapter_client_cert,
            trusted=parse_networks(settings.adapter_trusted_proxies),
            header=settings.adapter_client_cert_header.lower(),
        )

    @property
    def on(self) -> bool:
        return self.mode != "off"

    def presented(self, scope: Mapping[str, Any]) -> ClientCertificate | None:
        """The request's client certificate: a trusted proxy's header wins (the proxy speaks
        for its client); else the handshake's; None when there is neither. The header from
        any other address is ignored, so a client cannot name a certificate it does not hold."""
        extensions = scope.get("extensions") or {}
        header = self._header(scope)
        if header is not None:
            peer = (extensions.get(PEER_EXTENSION) or {}).get("client") or scope.get("client")
            if self._trusts(peer):
                return from_header(header)
            log.warning("ignored %s from untrusted peer %s", self.header, _host(peer))
        chain = list((extensions.get(TLS_EXTENSION) or {}).get("client_cert_chain") or ())
        return from_pem(chain[0]) if chain else None

    def _header(self, scope: Mapping[str, Any]) -> str | None:
        wanted = self.header.encode("latin-1")
        for name, value in scope.get("headers") or ():
            if name == wanted:
                return bytes(value).decode("latin-1")
        return None

    def _trusts(self, peer: object) -> bool:
        host = _host(peer)
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.trusted)


def _host(peer: object) -> str:
    return str(peer[0]) if isinstance(peer, tuple | list) and peer else "-"


_WWW = {"WWW-Authenticate": 'Bearer realm="isd-hub"'}
_REGISTER = "an operator registers a party's certificate with `hub party cert add CODE CERT.pem`"


def _refuse(reason: str, detail: str) -> NoReturn:
    log.info("refused party -: unauthenticated (%s)", reason)
    refuse(401, "unauthenticated", reason, detail, headers=_WWW)


async def certificate_party(
    pool: Pool, policy: CertPolicy, scope: Mapping[str, Any], now: Callable[[], datetime]
) -> Party | None:
    """The party the request's certificate maps to; None when none was presented and none is
    required. A certificate that is unreadable, outside its validity or not registered is
    refused (401), as a bad token is: a credential that was sent and fails is never ignored."""
    try:
        cert = policy.presented(scope)
    except CertificateError as exc:
        _refuse("certificate_unknown", f"the client certificate could not be read ({exc})")
    if cert is None:
        if policy.mode == "required":
            _refuse(
                "certificate_required",
                "this adapter requires a client certificate (mTLS) registered for the party; "
                + _REGISTER,
            )
        return None
    if not cert.valid_at(now()):
        _refuse(
            "certificate_expired",
            f"the client certificate (SHA-256 {cert.short}…) is valid from "
            f"{cert.not_before.isoformat()} to {cert.not_after.isoformat()} only",
        )
    party = await party_certs.party_by_certificate(pool, cert.fingerprint, cert.subject)
    if party is None:
        _refuse(
            "certificate_unknown",
            f"the client certificate (SHA-256 {cert.short}…) is registered for no party; "
            + _REGISTER,
        )
    return party
