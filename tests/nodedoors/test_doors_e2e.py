"""The two doors end to end, with the core between them: a gemeente's 301 sent as a ggk_Di01
reaches the provider through the VECOZO door's REST pull, the provider's 302 pushed back there
reaches the gemeente's own SOAP endpoint as a ggk_Du01 whose crossRefnummer is the Di01's
referentienummer (issue #21).

Both adapters are served by uvicorn over real TLS, each party's software identified by its
client certificate (none has a token), as `hub adapter ggk|vecozo` serve them."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from starlette.applications import Starlette

from adapters import journal
from adapters.tlsserve import server_options
from hub.app import adapter_app, core_app
from hub.domain import stuf, stufwrite
from hub.domain.parties import load_parties
from hub.domain.stuf import Stuurgegevens, Systeem
from hub.infra import outbox, store
from hub.infra.kafka import topic_admin
from hub.infra.store import push as push_store
from hub.settings import Settings
from tests.adapterkit import recovered, serving
from tests.certkit import CertAuthority
from tests.nodedoors.ggkkit import tls_settings
from tests.nodedoors.test_ggk_delivery import SECRET, WMO301, WMO302, SoapReceiver, _serving
from tests.nodedoors.vecozokit import metadata, parts, software
from tests.uvicornkit import uvicorn_serving

GEMEENTE, PROVIDER = "0363", "65656055"


def _di01(reference: str) -> bytes:
    sg = Stuurgegevens(
        "Di01", Systeem(GEMEENTE, "Gemeente-app"), Systeem(PROVIDER, "GGk"), reference,
        "20261206101500", functie="WMO301",
    )  # fmt: skip
    return stufwrite.envelope(sg, WMO301)


@contextlib.asynccontextmanager
async def _tls(app: Starlette, settings: Settings) -> AsyncIterator[str]:
    """`app` (an adapter, with its lifespan: pool, broker, push loop) served by uvicorn over
    TLS, client certificates verified against the test CA."""
    async with uvicorn_serving(app, within_s=30, lifespan="on", **server_options(settings)) as port:
        yield f"https://127.0.0.1:{port}"


async def test_a_301_as_di01_to_the_rest_pull_and_its_302_back_as_a_du01(
    settings: Settings, pool: store.Pool, database_url: str, tmp_path: Path
) -> None:
    assert settings.kafka_bootstrap is not None
    bootstrap = settings.kafka_bootstrap
    pki = CertAuthority(tmp_path)
    hub_cert = pki.issue("hub-push", "isd-hub push client")  # the gemeente's endpoint wants it
    settings = settings.model_copy(
        update={"push_interval_s": 0.05, "push_retry_first_s": 0.1, "push_retry_max_s": 0.2,
                "push_ca_file": pki.path, "push_client_cert_file": hub_cert.cert,
                "push_client_key_file": hub_cert.key}
    )  # fmt: skip
    await topic_admin.ensure_topics(settings, bootstrap)
    await store.upsert_parties(pool, list(load_parties(settings.parties_file)))
    doors = tls_settings(settings, pki)  # client certificates required
    gemeente = await software(pool, pki, GEMEENTE)
    provider = await software(pool, pki, PROVIDER)
    receiver = SoapReceiver(refuse=0)
    async with _serving(receiver, pki) as url:
        sealed = push_store.seal(settings.person_key_secret.get_secret_value(), GEMEENTE, SECRET)
        await push_store.set_endpoint(pool, GEMEENTE, url, sealed, "ggk-soap")
        core = core_app(settings, bootstrap, database_url)
        ggk = adapter_app("ggk", doors, bootstrap, database_url)
        vecozo = adapter_app("vecozo", doors, bootstrap, database_url)
        async with (
            serving(core),
            _tls(ggk, doors) as ggk_url,
            _tls(vecozo, doors) as vecozo_url,
            httpx.AsyncClient(base_url=ggk_url, verify=gemeente.client(pki.path), timeout=30) as g,
            httpx.AsyncClient(
                base_url=vecozo_url, verify=provider.client(pki.path), timeout=30
            ) as v,
        ):
            await recovered(
                pool, (outbox.RECOVERY_ROLE, journal.role("ggk"), journal.role("vecozo"))
            )
            reference = str(uuid.uuid4())
            headers = {"SOAPAction": stuf.DI01.action, "Content-Type": "text/xml"}
            answer = await g.post("/ggk/soap", content=_di01(reference), headers=headers)
            assert answer.status_code == 200, answer.text
            assert stuf.answer_of(answer.content) == ("Bv03", reference)

            deadline = time.monotonic() + 30
            listed: list[dict[str, object]] = []
            while not listed:
                assert time.monotonic() < deadline, "the 301 did not reach the provider"
                found = await v.get("/berichten")
                assert found.status_code == 200, found.text
                listed = found.json()
                await asyncio.sleep(0.1) if not listed else None
            refs = listed[0]["referentiegegevens"]
            assert isinstance(refs, dict)
            traceer = str(refs["traceerId"])
            payload = await v.get(f"/berichten/{traceer}/payload")
            assert payload.content == WMO301
            meta = metadata(PROVIDER, GEMEENTE, "WMO302", als_antwoord_op=traceer,
                            conversatie_id=str(refs["conversatieId"]))  # fmt: skip
            pushed = await v.post("/berichten", files=parts(meta, WMO302))
            assert pushed.status_code == 204, pushed.text

            deadline = time.monotonic() + 30
            while not receiver.seen:
                assert time.monotonic() < deadline, "the 302 did not reach the gemeente"
                await asyncio.sleep(0.1)
    action, du01 = receiver.seen[0]
    assert action == f'"{stuf.DU01.action}"'
    sg = du01.stuurgegevens
    assert (sg.berichtcode, sg.functie, sg.cross) == ("Du01", "WMO302", reference)
    assert (sg.zender.organisatie, sg.ontvanger.organisatie) == (PROVIDER, GEMEENTE)
    assert du01.payload == WMO302
    assert receiver.callers[0] == (hub_cert.fingerprint, True)  # mTLS and signed
