"""The whole hub (core with its relay, both adapters) on a broker that requires SASL_SSL and a
client certificate (tests/securekafka.py), configured by HUB_KAFKA_* settings alone: a
toewijzing uploaded at the GGK adapter reaches the provider's inbox at the VECOZO adapter."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hub.infra import store
from hub.settings import Settings
from tests.e2e.stack import GEMEENTE, PROVIDER, hub_env, hub_settings, prepare, running
from tests.securekafka import Gate, Pki, make_pki, secured_broker

pytestmark = pytest.mark.e2e

WMO301 = (Path(__file__).parents[1] / "fixtures" / "iwmo-3.2" / "WMO301.xml").read_bytes()
USER, PASSWORD = "isd-hub", "hub-password-for-tests"


@pytest.fixture(scope="module")
def pki(workdir: Path) -> Pki:
    return make_pki(workdir / f"e2e-kafka-pki-{uuid.uuid4().hex[:6]}", client_name="isd-hub")


@pytest.fixture(scope="module")
def gate(pki: Pki, workdir: Path) -> Iterator[Gate]:
    with secured_broker(pki, {USER: PASSWORD}, workdir / "e2e-secured-broker.log") as found:
        yield found


SECURITY = {
    "kafka_security_protocol": "SASL_SSL",
    "kafka_sasl_mechanism": "PLAIN",
    "kafka_sasl_username": USER,
    "kafka_sasl_password": PASSWORD,
}


def _env(settings: Settings, database_url: str, pki: Pki) -> dict[str, str]:
    values = {**SECURITY, "kafka_ssl_ca_file": pki.ca, "kafka_ssl_cert_file": pki.client.cert,
              "kafka_ssl_key_file": pki.client.key}  # fmt: skip
    return hub_env(
        settings, database_url, **{f"HUB_{k.upper()}": str(v) for k, v in values.items()}
    )


async def test_the_hub_runs_on_a_broker_that_requires_sasl_ssl_and_mtls(
    gate: Gate, pki: Pki, workdir: Path, pool: store.Pool, database_url: str
) -> None:
    settings = hub_settings(
        gate.bootstrap,
        workdir,
        kafka_ssl_ca_file=pki.ca,
        kafka_ssl_cert_file=pki.client.cert,
        kafka_ssl_key_file=pki.client.key,
        **SECURITY,
    )
    tokens = await prepare(settings, pool)  # the topics, created through the gate
    before = len(gate.authenticated)
    with running(_env(settings, database_url, pki)) as stack:
        async with httpx.AsyncClient(timeout=30) as client:
            sent = await client.post(
                f"{stack.url('ggk')}/v1/messages",
                content=WMO301,
                headers={"Authorization": f"Bearer {tokens[GEMEENTE]}"},
            )
            assert sent.status_code == 202, sent.text
            message_id = sent.json()["id"]
            inbox = ""
            for _ in range(300):
                listing = await client.get(
                    f"{stack.url('vecozo')}/v1/inbox",
                    headers={"Authorization": f"Bearer {tokens[PROVIDER]}"},
                )
                assert listing.status_code == 200, listing.text
                inbox = listing.text  # whatever the listing's shape, it names the message's id
                if message_id in inbox:
                    break
                await asyncio.sleep(0.1)
        assert message_id in inbox, stack.tail("core")
    # Every process connected through the gate as the configured user with its certificate;
    # nothing tried to get past it.
    assert len(gate.authenticated) - before >= 6
    assert set(gate.authenticated) == {USER}
    assert set(gate.client_certs) == {"isd-hub"}
    assert gate.refused == []
