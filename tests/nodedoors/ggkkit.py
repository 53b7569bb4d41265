"""What the GGk door's tests share: the GGK-like adapter served over real TLS (client
certificates required) on the test's PostgreSQL and broker, a zeep client built from the WSDL the
hub publishes, and envelopes written by hand (for what zeep would never send)."""

from __future__ import annotations

import base64
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import requests
import zeep
from zeep.transports import Transport

from adapters.registry import build_adapter_app
from hub.app import make_runtime
from hub.domain.stuf import GGK_NS, SOAP_NS, STUF_NS
from hub.infra import store
from hub.ops.cli.run import adapter_server_options
from hub.settings import Settings
from tests.certkit import CertAuthority, Issued
from tests.uvicornkit import uvicorn_serving

GEMEENTE = "0363"  # sends the 301 (tests/fixtures/iwmo-3.2/WMO301.xml)
PROVIDER = "65656055"  # its receiver
DI01_ACTION = f"{GGK_NS}/ggk_Di01"


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
            "adapter_client_cert": "required",
        }
    )


@contextlib.asynccontextmanager
async def served(
    settings: Settings, pool: store.Pool, *, lifespan: bool = False
) -> AsyncIterator[int]:
    """The GGK-like adapter served by uvicorn as `hub adapter ggk` serves it (its background
    loops, e.g. the push loop, only with `lifespan`)."""
    assert settings.kafka_bootstrap is not None
    runtime = make_runtime(settings, settings.kafka_bootstrap, "postgresql://unused", "t-ggk")
    app = build_adapter_app("ggk", runtime, _no_resources)
    runtime.attach_pool(pool)
    await runtime.broker.connect()
    try:
        async with uvicorn_serving(
            app, lifespan="on" if lifespan else "off", **adapter_server_options(settings)
        ) as port:
            yield port
    finally:
        await runtime.broker.stop()
        runtime.attach_pool(None)


def session(pki: CertAuthority, issued: Issued) -> requests.Session:
    s = requests.Session()
    s.trust_env = False  # REQUESTS_CA_BUNDLE would otherwise replace the test CA
    s.verify = str(pki.path)
    s.cert = (str(issued.cert), str(issued.key))
    return s


def zeep_client(port: int, pki: CertAuthority, issued: Issued) -> Any:
    """A zeep client built from the WSDL as the hub publishes it (fetched over HTTPS)."""
    transport = Transport(  # type: ignore[no-untyped-call]
        session=session(pki, issued), timeout=30, operation_timeout=60
    )
    settings = zeep.Settings(strict=True, xml_huge_tree=False)
    wsdl = f"https://127.0.0.1:{port}/ggk/soap?wsdl"
    return zeep.Client(wsdl, transport=transport, settings=settings)  # type: ignore[no-untyped-call]


def systeem(organisatie: str) -> dict[str, str]:
    return {"organisatie": organisatie, "applicatie": "GGk"}


def di01_args(payload: bytes, functie: str = "WMO301", ref: str | None = None) -> dict[str, Any]:
    """The keyword arguments of zeep's `service.ggk_Di01(...)` for one heenbericht."""
    return {
        "stuurgegevens": {
            "berichtcode": "Di01",
            "zender": systeem(GEMEENTE),
            "ontvanger": systeem(PROVIDER),
            "referentienummer": ref or str(uuid.uuid4()),
            "tijdstipBericht": "20261206101500000",
            "functie": functie,
        },
        "parameters": {
            "applicatieVersie": "0004",
            "applicatieSubversie": "0003",
            "functieVersie": "0002",
            "functieSubversie": "0002",
            "bericht": {"xmlBestand": payload},
        },
    }


def raw_di01(
    xml_bestand: str, *, functie: str = "WMO301", head: str = "", ref: str | None = None
) -> bytes:
    """A Di01 written by hand: `xml_bestand` as is (bad base64, a huge text), `head` before the
    Envelope (a DOCTYPE), `ref` its referentienummer (else a fresh one)."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>{head}
<s:Envelope xmlns:s="{SOAP_NS}" xmlns:G="{GGK_NS}" xmlns:S="{STUF_NS}"><s:Body>
<G:envelopHeenbericht-ggk_Di01><G:stuurgegevens><S:berichtcode>Di01</S:berichtcode>
<S:zender><S:organisatie>{GEMEENTE}</S:organisatie><S:applicatie>GGk</S:applicatie></S:zender>
<S:ontvanger><S:organisatie>{PROVIDER}</S:organisatie><S:applicatie>GGk</S:applicatie></S:ontvanger>
<S:referentienummer>{ref or uuid.uuid4()}</S:referentienummer>
<S:tijdstipBericht>20261206101500</S:tijdstipBericht>
<S:functie>{functie}</S:functie></G:stuurgegevens><G:parameters>
<G:applicatieVersie>0004</G:applicatieVersie><G:applicatieSubversie>0003</G:applicatieSubversie>
<G:functieVersie>0002</G:functieVersie><G:functieSubversie>0002</G:functieSubversie>
<G:bericht><G:xmlBestand>{xml_bestand}</G:xmlBestand></G:bericht></G:parameters>
</G:envelopHeenbericht-ggk_Di01></s:Body></s:Envelope>""".encode()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
