"""Client certificates at the adapters over real TLS: an adapter served by uvicorn with the
product's server options (adapters/tlsserve.py) on the test's PostgreSQL and broker,
certificates made here (tests/certkit.py), httpx clients with and without one; and a
TLS-terminating proxy's header, believed only from the trusted address."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ssl
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from adapters.registry import build_adapter_app
from adapters.tlsserve import server_options
from hub.app import make_runtime
from hub.domain.headers import H
from hub.domain.parties import DEMO_FILE, load_parties, new_token
from hub.infra import store
from hub.infra.certificates import CertificateError, from_header
from hub.infra.kafka import topic_admin
from hub.infra.store import party_certs
from hub.ops.cli.main import main
from hub.settings import Settings, load_settings
from tests.adapterkit import WMO305, bearer, deliver, ingress_record
from tests.certkit import CertAuthority, Issued
from tests.uvicornkit import uvicorn_serving

PROVIDER = "65656055"  # an aanbieder on the VECOZO-like node (demo registry)
OTHER = "41125003"  # another one


@contextlib.asynccontextmanager
async def _no_resources(_: Any) -> AsyncIterator[None]:
    yield  # the test opens and closes what the app needs


@contextlib.asynccontextmanager
async def served(
    settings: Settings, pool: store.Pool, *, broker: bool = False
) -> AsyncIterator[int]:
    """The VECOZO-like adapter served by uvicorn as `hub adapter vecozo` serves it."""
    assert settings.kafka_bootstrap is not None
    runtime = make_runtime(settings, settings.kafka_bootstrap, "postgresql://unused", "t-cert")
    app = build_adapter_app("vecozo", runtime, _no_resources)
    runtime.attach_pool(pool)
    if broker:
        await runtime.broker.connect()
    try:
        async with uvicorn_serving(app, **server_options(settings)) as port:
            yield port
    finally:
        if broker:
            await runtime.broker.stop()
        runtime.attach_pool(None)


@pytest.fixture
async def registry(pool: store.Pool) -> store.Pool:
    await store.upsert_parties(pool, list(load_parties(DEMO_FILE)))
    return pool


@pytest.fixture
def pki(tmp_path: Path) -> CertAuthority:
    return CertAuthority(tmp_path)


async def _hub(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], database_url: str,
    *args: str,
) -> tuple[int, str]:  # fmt: skip
    """`hub party ...` in process (its own event loop, in a thread), and what it printed."""
    monkeypatch.setenv("HUB_DATABASE_URL", database_url)
    code = await asyncio.to_thread(main, ["party", *args])
    out = capsys.readouterr()
    return code, out.out + out.err


def _refusal(answer: httpx.Response) -> tuple[int, str, str | None]:
    detail = answer.json()["detail"]
    return answer.status_code, detail["reason"], detail.get("node_code")


async def test_required_certificates_over_real_tls(
    settings: Settings,
    registry: store.Pool,
    database_url: str,
    pki: CertAuthority,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert settings.kafka_bootstrap is not None
    await topic_admin.ensure_topics(settings, settings.kafka_bootstrap)
    server = pki.issue("server", "127.0.0.1", server=True)
    mine = pki.issue("mine", "Zorg software")
    stranger = pki.issue("stranger", "Unregistered software")
    expired = pki.issue("old", "Old software", valid=(timedelta(days=-9), timedelta(days=-1)))
    tls = settings.model_copy(
        update={
            "adapter_tls_cert_file": server.cert,
            "adapter_tls_key_file": server.key,
            "adapter_client_ca_file": pki.path,
            "adapter_client_cert": "required",
        }
    )
    code, out = await _hub(
        monkeypatch, capsys, database_url, "cert", "add", PROVIDER, str(mine.cert)
    )
    assert code == 0, out
    assert f"registered for {PROVIDER}: SHA-256 {mine.fingerprint}" in out
    code, out = await _hub(
        monkeypatch, capsys, database_url, "cert", "add", PROVIDER, str(expired.cert)
    )
    assert code == 0, out
    assert "has expired" in out
    code, out = await _hub(monkeypatch, capsys, database_url, "show", PROVIDER)
    assert f"certificates: sha256 {mine.fingerprint} (CN=Zorg software,O=isd-hub tests)" in out
    assert f"sha256 {expired.fingerprint} (CN=Old software,O=isd-hub tests), expired" in out

    inboxed = await deliver(registry, PROVIDER, node="vecozo")
    other_token = new_token()
    await store.add_token(registry, OTHER, other_token)
    own_token = new_token()
    await store.add_token(registry, PROVIDER, own_token)

    def client(port: int, issued: Issued | None) -> httpx.AsyncClient:
        verify = issued.client(pki.path) if issued else ssl.create_default_context(cafile=pki.path)
        return httpx.AsyncClient(base_url=f"https://127.0.0.1:{port}", verify=verify, timeout=30)

    async with served(tls, registry, broker=True) as port:
        async with client(port, mine) as as_mine:
            inbox = await as_mine.get("/v1/inbox")
            assert inbox.status_code == 200, inbox.text
            assert str(inboxed) in inbox.text
            upload = await as_mine.post("/v1/messages", content=WMO305)
            assert upload.status_code == 202, upload.text
            same = await as_mine.get("/v1/inbox", headers=bearer(own_token))
            assert same.status_code == 200
            conflict = await as_mine.get("/v1/inbox", headers=bearer(other_token))
            assert _refusal(conflict) == (401, "credentials_conflict", "BRS01")
        async with client(port, None) as anonymous:
            assert (await anonymous.get("/healthz")).status_code == 200  # probes need none
            token_only = await anonymous.get("/v1/inbox", headers=bearer(own_token))
            assert _refusal(token_only) == (401, "certificate_required", "BRS01")
        async with client(port, stranger) as as_stranger:
            unknown = await as_stranger.get("/v1/inbox")
            assert _refusal(unknown) == (401, "certificate_unknown", "BRS01")
            assert stranger.fingerprint[:16] in unknown.json()["detail"]["detail"]
        # An expired certificate fails the handshake itself (the client CA verifies it).
        async with client(port, expired) as as_expired:
            with pytest.raises(httpx.TransportError):
                await as_expired.get("/v1/inbox")
    record = await ingress_record(settings, upload.json()["id"])
    headers = {k: bytes(v).decode() for k, v in record.headers}
    assert headers[H.PARTY.value] == PROVIDER  # uploaded as the certificate's party
    colons = ":".join(expired.fingerprint[i : i + 2] for i in range(0, 64, 2)).upper()
    code, out = await _hub(monkeypatch, capsys, database_url, "cert", "remove", PROVIDER, colons)
    assert code == 0, out
    assert f"removed 1 certificate registration(s) of {PROVIDER}" in out
    code, out = await _hub(
        monkeypatch, capsys, database_url, "cert", "remove", PROVIDER, str(expired.cert)
    )
    assert code == 1, out  # nothing left to remove
    assert [c.fingerprint for c in await party_certs.certificates(registry, PROVIDER)] == [
        mine.fingerprint
    ]


async def test_a_proxy_header_counts_only_from_a_trusted_proxy(
    settings: Settings, registry: store.Pool, pki: CertAuthority
) -> None:
    mine = pki.issue("mine", "Zorg software")
    expired = pki.issue("old", "Old software", valid=(timedelta(days=-9), timedelta(days=-1)))
    for issued in (mine, expired):
        cert = from_header(quote(issued.pem))
        await party_certs.add_certificate(
            registry, PROVIDER, "fingerprint", cert.fingerprint, cert.subject, cert.not_after
        )
    token = new_token()
    await store.add_token(registry, PROVIDER, token)
    nginx = {"X-Client-Cert": quote(expired.pem)}  # as $ssl_client_escaped_cert
    trusted = settings.model_copy(
        update={"adapter_client_cert": "optional", "adapter_trusted_proxies": "127.0.0.0/8"}
    )
    untrusted = settings.model_copy(
        update={"adapter_client_cert": "required", "adapter_trusted_proxies": "10.9.9.9"}
    )
    async with (
        served(trusted, registry) as port,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as proxy,
    ):
        by_header = await proxy.get("/v1/inbox", headers={"X-Client-Cert": quote(mine.pem)})
        assert by_header.status_code == 200, by_header.text
        xfcc = f'Hash=00;Cert="{quote(mine.pem)}";Subject="CN=Zorg software"'
        assert (await proxy.get("/v1/inbox", headers={"X-Client-Cert": xfcc})).status_code == 200
        # An appending proxy: the client's own element first, the proxy's after it.
        appended = f'Cert="{quote(mine.pem)}",By=spiffe://proxy;Cert="{quote(expired.pem)}"'
        two = await proxy.get("/v1/inbox", headers={"X-Client-Cert": appended})
        assert _refusal(two)[:2] == (401, "certificate_unknown")
        assert "2 certificates" in two.json()["detail"]["detail"]
        assert _refusal(await proxy.get("/v1/inbox", headers=nginx)) == (
            401, "certificate_expired", "BRS01",
        )  # fmt: skip
        garbage = await proxy.get("/v1/inbox", headers={"X-Client-Cert": "not a certificate"})
        assert _refusal(garbage)[:2] == (401, "certificate_unknown")
        # optional: without a certificate the token still works, and none is no one.
        assert (await proxy.get("/v1/inbox", headers=bearer(token))).status_code == 200
        assert _refusal(await proxy.get("/v1/inbox"))[:2] == (401, "unauthenticated")
    async with (
        served(untrusted, registry) as port,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as spoofer,
    ):
        spoofed = await spoofer.get("/v1/inbox", headers={"X-Client-Cert": quote(mine.pem)})
        assert _refusal(spoofed) == (401, "certificate_required", "BRS01")


async def test_registrations_by_fingerprint_and_by_subject(
    registry: store.Pool, pki: CertAuthority
) -> None:
    first = from_header(quote(pki.issue("a", "Zorg software").pem))
    renewed = from_header(quote(pki.issue("b", "Zorg software").pem))  # same subject, new key
    assert first.subject == renewed.subject
    assert first.fingerprint != renewed.fingerprint
    _, added = await party_certs.add_certificate(
        registry, PROVIDER, "fingerprint", first.fingerprint, first.subject, first.not_after
    )
    assert added
    _, again = await party_certs.add_certificate(
        registry, PROVIDER, "fingerprint", first.fingerprint, first.subject, first.not_after
    )
    assert not again
    with pytest.raises(Exception, match=f"registered to party {PROVIDER}"):
        await party_certs.add_certificate(
            registry, OTHER, "fingerprint", first.fingerprint, first.subject, first.not_after
        )
    assert (
        await party_certs.party_by_certificate(registry, renewed.fingerprint, renewed.subject)
        is None
    )
    await party_certs.add_certificate(
        registry, OTHER, "subject", first.fingerprint, first.subject, first.not_after
    )
    # The fingerprint's row is the narrower registration: it wins over the subject's.
    found = await party_certs.party_by_certificate(registry, first.fingerprint, first.subject)
    assert found is not None
    assert found.code == PROVIDER
    found = await party_certs.party_by_certificate(registry, renewed.fingerprint, renewed.subject)
    assert found is not None
    assert found.code == OTHER
    listed = await store.get_party(registry, OTHER)
    assert listed is not None
    assert found == listed  # the same Party a token gives, delegations and all
    removed = await party_certs.remove_certificates(
        registry, OTHER, fingerprint=first.fingerprint, subject=first.subject
    )
    assert removed == 1
    assert (
        await party_certs.party_by_certificate(registry, renewed.fingerprint, renewed.subject)
        is None
    )


def test_header_forms_and_settings_checks(tmp_path: Path) -> None:
    authority = CertAuthority(tmp_path)
    issued = authority.issue("a", "Zorg software")
    der = ssl.PEM_cert_to_DER_cert(issued.pem)
    for value in (
        quote(issued.pem),
        base64.b64encode(der).decode(),
        f'By=x;Cert="{quote(issued.pem)}"',
        # quoted ',' and ';' (and an escaped quote) are not element or pair boundaries
        f'By=x;Subject="CN=a\\",b;Cert=\\"y, O=z";Cert="{quote(issued.pem)}";DNS=a.example',
    ):
        assert from_header(value).fingerprint == issued.fingerprint
    other = quote(authority.issue("b", "Other").pem)
    for appended in (
        f'By=a;Cert="{quote(issued.pem)}",By=b;Cert="{other}"',
        f'Cert="{quote(issued.pem)}";Cert="{quote(issued.pem)}"',
    ):
        with pytest.raises(CertificateError, match="names 2 certificates"):
            from_header(appended)
    for bad in (
        "",
        "%%%",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
        "x" * 40_000,
    ):
        with pytest.raises(CertificateError):
            from_header(bad)
    with pytest.raises(Exception, match="HUB_ADAPTER_TRUSTED_PROXIES"):
        load_settings(adapter_trusted_proxies="10.0.0.1, nonsense")
    with pytest.raises(Exception, match="adapter_client_ca_file"):
        load_settings(adapter_client_cert="required")
    with pytest.raises(Exception, match="together"):
        load_settings(adapter_tls_cert_file=str(issued.cert))
    assert (
        load_settings(
            adapter_client_cert="optional", adapter_trusted_proxies="::1"
        ).adapter_client_cert
        == "optional"
    )
