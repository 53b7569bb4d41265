"""How uvicorn serves an adapter: HTTPS with HUB_ADAPTER_TLS_*, asking for client certificates.

uvicorn does not put the peer's certificate in the ASGI scope, so the adapter is served by a
small subclass of the hub's httptools protocol (hub/infra/httpserve.py) that adds the ASGI
"tls" extension (`client_cert_chain`) and the TCP peer (read before uvicorn's proxy-header
middleware may rewrite `client`) to every request of the connection; adapters/clientcert.py
reads both.
"""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path
from typing import Any

from adapters.clientcert import PEER_EXTENSION, TLS_EXTENSION
from hub.domain.errors import ConfigError
from hub.infra.httpserve import BoundedHttp
from hub.settings import Settings

ASGIApp = Any  # uvicorn's loaded app: an ASGI3 callable


class _Extended:
    """The app, with this connection's extensions added to each request's scope."""

    def __init__(self, app: ASGIApp, extensions: dict[str, object]) -> None:
        self.app = app
        self.extensions = extensions

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            scope = {**scope, "extensions": {**(scope.get("extensions") or {}), **self.extensions}}
        await self.app(scope, receive, send)


class CertificateAwareHttp(BoundedHttp):
    """The hub's HTTP protocol (hub/infra/httpserve.py: httptools, the request head bounded),
    handing the app the connection's client certificate and peer."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        extensions: dict[str, object] = {PEER_EXTENSION: {"client": self.client}}
        ssl_object = transport.get_extra_info("ssl_object")
        if ssl_object is not None:
            # Verified against HUB_ADAPTER_CLIENT_CA_FILE by the handshake, or absent.
            der = ssl_object.getpeercert(binary_form=True)
            extensions[TLS_EXTENSION] = {
                "client_cert_chain": [ssl.DER_cert_to_PEM_cert(der)] if der else [],
                "client_cert_name": None,
                "client_cert_error": None,
                "server_cert": None,
                "tls_version": None,
                "cipher_suite": None,
            }
        self.app = _Extended(self.config.loaded_app, extensions)


def _existing(path: Path | None, setting: str) -> str | None:
    if path is None:
        return None
    if not path.is_file():
        raise ConfigError(f"{setting}: no file {path}")
    return str(path)


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn.Config's keyword arguments for an adapter: the protocol above when client
    certificates are on, and TLS when HUB_ADAPTER_TLS_CERT_FILE is set. A client certificate
    is asked for (CERT_OPTIONAL) and verified against the client CA when
    HUB_ADAPTER_CLIENT_CERT is not off; the handshake never demands one, so probes without a
    certificate reach /healthz and a party without one gets the adapters' 401 with its node
    code rather than a bare TLS alert."""
    options: dict[str, Any] = {}
    if settings.adapter_client_cert != "off":  # off: uvicorn's own protocol, as always
        options["http"] = CertificateAwareHttp
    cert = _existing(settings.adapter_tls_cert_file, "HUB_ADAPTER_TLS_CERT_FILE")
    if cert is None:
        return options
    options["ssl_certfile"] = cert
    options["ssl_keyfile"] = _existing(settings.adapter_tls_key_file, "HUB_ADAPTER_TLS_KEY_FILE")
    ca = _existing(settings.adapter_client_ca_file, "HUB_ADAPTER_CLIENT_CA_FILE")
    if ca is not None and settings.adapter_client_cert != "off":
        options["ssl_ca_certs"] = ca
        options["ssl_cert_reqs"] = ssl.CERT_OPTIONAL
    return options
