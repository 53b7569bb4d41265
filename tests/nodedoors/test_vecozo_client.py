"""The VECOZO-like door called through a client generated from the hub's own OpenAPI document
(`openapi-python-client`, a generator the project does not write), over real TLS with the
provider software's certificate: push, pull, search, download, confirm and status, and a
malformed push answered with its problem details."""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from uuid import uuid4

import pytest
from fastapi import FastAPI

from adapters.registry import build_adapter_app
from adapters.vecozodoor_push import upload_id
from handlers import intake
from hub.app import make_runtime
from hub.domain.parties import new_token
from hub.infra import store
from hub.infra.kafka import topic_admin
from hub.infra.runtime import Runtime
from hub.settings import Settings
from tests.certkit import CertAuthority
from tests.core.test_intake import _fixture
from tests.nodedoors.test_vecozo_door import _incoming
from tests.nodedoors.vecozokit import (
    GEMEENTE,
    PROVIDER,
    metadata,
    served,
    software,
    tls_settings,
)

PACKAGE = "isd_hub_vsp_client"  # the generated package's name, unlikely to clash


@contextlib.asynccontextmanager
async def _no_resources(_: Any) -> AsyncIterator[None]:
    yield


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The client package, generated from the VECOZO adapter's OpenAPI document (no services:
    the document is the app's own)."""
    generator = Path(sys.executable).parent / "openapi-python-client"
    if not generator.exists():
        pytest.skip("openapi-python-client is not installed (pip install -e .[dev])")
    folder = tmp_path_factory.mktemp("vspclient")
    runtime = make_runtime(Settings(), "127.0.0.1:9", "postgresql://unused", "t-openapi")
    app = build_adapter_app("vecozo", runtime, _no_resources)
    assert isinstance(app, FastAPI)
    document = app.openapi()
    (folder / "openapi.json").write_text(json.dumps(document), encoding="utf-8")
    done = subprocess.run(
        [str(generator), "generate", "--path", "openapi.json", "--meta", "none",
         "--output-path", PACKAGE],
        cwd=folder, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [m for m in sys.modules if m.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def _api(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.api.vecozo_door_vsp_koppeling.{name}")


def _models() -> Any:
    return importlib.import_module(f"{PACKAGE}.models")


async def test_the_generated_client_pushes_pulls_and_asks_status(
    generated: ModuleType, runtime: Runtime, settings: Settings, tmp_path: Path
) -> None:
    pool = runtime.pool
    assert settings.kafka_bootstrap is not None
    await topic_admin.ensure_topics(settings, settings.kafka_bootstrap)
    ctx = intake.build_context(runtime)
    heen = _incoming(uuid4(), _fixture("WMO301"), GEMEENTE, "ggk")
    await intake.process(runtime, ctx, [heen])
    await store.add_deliveries(pool, "vecozo", [(heen.id, PROVIDER)])
    pki = CertAuthority(tmp_path)
    issued = await software(pool, pki)
    token = new_token()
    await store.add_token(pool, PROVIDER, token)
    models = _models()
    types = importlib.import_module(f"{PACKAGE}.types")

    async with served(tls_settings(settings, pki), pool) as port:
        # The security scheme is the bearer token: the same party's, beside its certificate.
        client = generated.AuthenticatedClient(
            base_url=f"https://127.0.0.1:{port}", token=token, verify_ssl=issued.client(pki.path)
        )
        async with client:
            [bericht] = await _api("list_berichten").asyncio(client=client, limit=10)
            traceer = bericht.referentiegegevens.traceer_id
            assert traceer == str(heen.id)
            assert bericht.routeringgegevens.afzender.code == GEMEENTE
            search = models.Zoekopdracht(conversatie_id=str(heen.id))
            found = await _api("zoek_berichten").asyncio(client=client, body=search)
            assert [b.referentiegegevens.traceer_id for b in found] == [traceer]
            payload = await _api("download_payload").asyncio_detailed(
                client=client, traceer_id=traceer
            )
            assert payload.status_code == 200
            assert len(payload.content) == bericht.basisgegevens.payload.grootte

            own = str(uuid4())
            meta = metadata(PROVIDER, GEMEENTE, "WMO302", traceer_id=own,
                            conversatie_id=traceer, als_antwoord_op=traceer)  # fmt: skip
            body = models.PushBerichtBody(
                bericht_metadata=models.BerichtMetadata.from_dict(meta),
                payload=types.File(payload=io.BytesIO(_fixture("WMO302")),
                                   file_name="302.xml", mime_type="application/xml"),
            )  # fmt: skip
            pushed = await _api("push_bericht").asyncio_detailed(client=client, body=body)
            assert pushed.status_code == 204, pushed.content
            message_id = upload_id("vecozo", PROVIDER, own)
            await intake.process(
                runtime, ctx, [_incoming(message_id, _fixture("WMO302"), PROVIDER, "vecozo")]
            )
            [status] = await _api("berichtstatussen").asyncio(client=client, traceer_id=own)
            assert (status.berichtstatus, status.referentiegegevens.als_antwoord_op) == (
                "geaccepteerd", traceer)  # fmt: skip

            confirmed = await _api("bevestig_ontvangst").asyncio_detailed(
                client=client, traceer_id=traceer
            )
            assert confirmed.status_code == 202
            assert await _api("list_berichten").asyncio(client=client) == []

            # A push whose metadata names another berichtversie: the problem details, parsed.
            meta["referentiegegevens"]["traceerId"] = str(uuid4())
            meta["routeringgegevens"]["berichtstroom"]["berichtversie"] = "2"
            body.bericht_metadata = models.BerichtMetadata.from_dict(meta)
            body.payload = types.File(payload=io.BytesIO(_fixture("WMO302")), file_name="b.xml")
            refused = await _api("push_bericht").asyncio_detailed(client=client, body=body)
            assert refused.status_code == 400
            problem = refused.parsed
            assert isinstance(problem, models.ValidationProblemDetails)
            assert problem.code == "IB017"
            assert "routeringgegevens.berichtstroom.berichtversie" in problem.errors.to_dict()
