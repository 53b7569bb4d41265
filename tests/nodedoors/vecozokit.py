"""What the VECOZO door's tests share: the VECOZO-like adapter served over real TLS (client
certificates optional, so the bearer token is the fallback) on the test's PostgreSQL and broker,
the provider software's certificate registered, httpx clients, and push metadata."""

from __future__ import annotations

import contextlib
import json
import ssl
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx

from adapters.registry import build_adapter_app
from adapters.tlsserve import server_options
from hub.app import make_runtime
from hub.infra import store
from hub.infra.certificates import from_pem
from hub.infra.store import party_certs
from hub.settings import Settings
from tests.certkit import CertAuthority, Issued
from tests.uvicornkit import uvicorn_serving

PROVIDER = "65656055"  # the aanbieder of the fixtures
GEMEENTE = "0363"
OTHER_PROVIDER = "41125003"


@contextlib.asynccontextmanager
async def _no_resources(_: Any) -> AsyncIterator[None]:
    yield  # the test opens and closes what the app needs


def tls_settings(settings: Settings, pki: CertAuthority) -> Settings:
    server = pki.issue("server", "127.0.0.1", server=True)
    return settings.model_copy(
        update={
            "adapter_tls_cert_file": server.cert,
            "adapter_tls_key_file": server.key,
            "adapter_client_ca_file": pki.path,
            "adapter_client_cert": "optional",
        }
    )


async def software(pool: store.Pool, pki: CertAuthority, party: str = PROVIDER) -> Issued:
    """The provider software's client certificate, registered for `party` (by fingerprint)."""
    issued = pki.issue(f"software-{party}", f"Zorgsoftware {party}")
    cert = from_pem(issued.pem)
    await party_certs.add_certificate(
        pool, party, "fingerprint", cert.fingerprint, cert.subject, cert.not_after
    )
    return issued


@contextlib.asynccontextmanager
async def served(settings: Settings, pool: store.Pool) -> AsyncIterator[int]:
    """The VECOZO-like adapter served by uvicorn as `hub adapter vecozo` serves it."""
    assert settings.kafka_bootstrap is not None
    runtime = make_runtime(settings, settings.kafka_bootstrap, "postgresql://unused", "t-vsp")
    app = build_adapter_app("vecozo", runtime, _no_resources)
    runtime.attach_pool(pool)
    await runtime.broker.connect()
    try:
        async with uvicorn_serving(app, **server_options(settings)) as port:
            yield port
    finally:
        await runtime.broker.stop()
        runtime.attach_pool(None)


def client(port: int, pki: CertAuthority, issued: Issued | None) -> httpx.AsyncClient:
    """An httpx client of the door over TLS, presenting `issued` (none: a bearer token's)."""
    verify = issued.client(pki.path) if issued else ssl.create_default_context(cafile=pki.path)
    return httpx.AsyncClient(base_url=f"https://127.0.0.1:{port}", verify=verify, timeout=30)


def metadata(
    afzender: str,
    geadresseerde: str,
    berichttype: str,
    *,
    traceer_id: str | None = None,
    conversatie_id: str | None = None,
    als_antwoord_op: str | None = None,
    versie: tuple[str, str] = ("3", "2"),
) -> dict[str, Any]:
    refs: dict[str, Any] = {
        "conversatieId": conversatie_id or str(uuid.uuid4()),
        "traceerId": traceer_id or str(uuid.uuid4()),
    }
    if als_antwoord_op is not None:
        refs["alsAntwoordOp"] = als_antwoord_op
    return {
        "routeringgegevens": {
            "afzender": {"rol": "aanbieder", "code": afzender},
            "geadresseerden": [{"rol": "gemeente", "code": geadresseerde}],
            "berichtstroom": {
                "berichttype": berichttype,
                "berichtversie": versie[0],
                "berichtsubversie": versie[1],
                "actie": "Indienen",
            },
        },
        "referentiegegevens": refs,
    }


def parts(meta: dict[str, Any] | None, payload: bytes | None) -> dict[str, Any]:
    """httpx `files=` of a push: the metadata part as JSON, the payload as a file."""
    out: dict[str, Any] = {}
    if meta is not None:
        out["berichtMetadata"] = (None, json.dumps(meta), "application/json")
    if payload is not None:
        out["payload"] = ("bericht.xml", payload, "application/octet-stream")
    return out
