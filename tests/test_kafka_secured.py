"""Every Kafka client of the hub against a broker that requires SASL_SSL and a client
certificate (tests/securekafka.py: tansu behind a TLS + SASL gate): the topic admin of `hub up`,
the broker watch, the outbox relay's producer and the FastStream broker of the core and the
adapters connect with HUB_KAFKA_* settings alone, and what lacks them is refused."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError

from hub.domain.errors import ConfigError
from hub.infra.kafka import security, topic_admin
from hub.infra.kafka.broker import build_broker
from hub.infra.kafka.brokerwatch import BrokerWatch
from hub.infra.outbox import make_producer
from hub.settings import Settings
from tests.securekafka import Gate, Pki, make_pki, secured_broker

USER, PASSWORD = "hub-core", "core-password-for-tests"


@pytest.fixture(scope="module")
def pki(workdir: Path) -> Pki:
    return make_pki(workdir / f"kafka-pki-{uuid.uuid4().hex[:6]}")


@pytest.fixture(scope="module")
def gate(pki: Pki, workdir: Path) -> Iterator[Gate]:
    with secured_broker(pki, {USER: PASSWORD}, workdir / "secured-broker.log") as found:
        yield found


def _settings(gate: Gate, pki: Pki, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "kafka_bootstrap": gate.bootstrap,
        "topic_prefix": f"s{uuid.uuid4().hex[:8]}",
        "partitions": 1,
        "startup_timeout_s": 5.0,
        "kafka_security_protocol": "SASL_SSL",
        "kafka_sasl_mechanism": "PLAIN",
        "kafka_sasl_username": USER,
        "kafka_sasl_password": PASSWORD,
        "kafka_ssl_ca_file": pki.ca,
        "kafka_ssl_cert_file": pki.client.cert,
        "kafka_ssl_key_file": pki.client.key,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


async def test_every_client_connects_with_sasl_ssl_and_a_client_certificate(
    gate: Gate, pki: Pki
) -> None:
    settings = _settings(gate, pki)
    security.check(settings)
    before = len(gate.authenticated)
    # `hub up` / `hub topics ensure`: the topic admin creates the hub's topics.
    created = await topic_admin.ensure_topics(settings, gate.bootstrap)
    assert settings.topic("ingress") in created
    topic = settings.topic("ingress")
    # The outbox relay's own producer.
    producer = make_producer(settings, gate.bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"from-the-relay", key=b"k")
    finally:
        await producer.stop()
    # The FastStream broker of the core and the adapters.
    broker = build_broker(settings, gate.bootstrap, client_id="isd-hub-test")
    await broker.start()
    try:
        await broker.publish(b"from-faststream", topic)
    finally:
        await broker.stop()
    # Every process's broker watch opens its own admin client.
    watch = BrokerWatch(settings, gate.bootstrap, lambda: None)  # type: ignore[arg-type,return-value]
    admin = await watch._open()
    try:
        assert await topic_admin.cluster_id(admin)
    finally:
        await admin.close()
    # What they wrote is on tansu, behind the gate, read back over the same security.
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=gate.bootstrap,
        auto_offset_reset="earliest",
        **security.client_kwargs(settings),
    )
    await consumer.start()
    try:
        batch = await consumer.getmany(timeout_ms=5000)
        values = {r.value for records in batch.values() for r in records}
    finally:
        await consumer.stop()
    assert values == {b"from-the-relay", b"from-faststream"}
    # Each connection (bootstrap, leader, coordinator) authenticated as the configured user
    # and presented the configured client certificate; nothing was refused.
    assert len(gate.authenticated) - before >= 4
    assert set(gate.authenticated) == {USER}
    assert "isd-hub-core" in gate.client_certs
    assert gate.refused == []


async def test_a_wrong_password_is_refused_by_the_broker(gate: Gate, pki: Pki) -> None:
    settings = _settings(gate, pki, kafka_sasl_password="not-the-password", startup_timeout_s=3.0)
    with pytest.raises(ConfigError, match="HUB_KAFKA_BOOTSTRAP"):
        async with topic_admin.admin_client(settings, gate.bootstrap):
            pass
    assert f"password of {USER}" in gate.refused


@pytest.mark.parametrize(
    ("overrides", "why"),
    [
        # No TLS at all: the broker's TLS listener never answers a Kafka request.
        ({"kafka_security_protocol": "SASL_PLAINTEXT", "kafka_ssl_ca_file": None,
          "kafka_ssl_cert_file": None, "kafka_ssl_key_file": None}, "plain TCP"),
        # TLS without SASL: the gate ends the connection at the first request.
        ({"kafka_security_protocol": "SSL", "kafka_sasl_mechanism": "",
          "kafka_sasl_username": ""}, "no SASL"),
        # No client certificate: the mTLS handshake fails.
        ({"kafka_ssl_cert_file": None, "kafka_ssl_key_file": None}, "no client certificate"),
    ],
)  # fmt: skip
async def test_a_client_without_the_security_settings_is_refused(
    gate: Gate, pki: Pki, overrides: dict[str, object], why: str
) -> None:
    settings = _settings(gate, pki, startup_timeout_s=2.0, **overrides)
    authenticated, refused = len(gate.authenticated), len(gate.refused)
    producer = make_producer(settings, gate.bootstrap)
    with pytest.raises((KafkaError, OSError, TimeoutError)):  # aiokafka's differs per refusal
        await asyncio.wait_for(producer.start(), 10)
    await producer.stop()
    assert len(gate.authenticated) == authenticated, why
    if why == "no SASL":
        assert any("before SASL" in r for r in gate.refused[refused:])


async def test_a_certificate_of_another_ca_is_refused(gate: Gate, pki: Pki) -> None:
    settings = _settings(
        gate,
        pki,
        kafka_ssl_cert_file=pki.stranger.cert,
        kafka_ssl_key_file=pki.stranger.key,
        startup_timeout_s=3.0,
    )
    seen = list(gate.client_certs)
    with pytest.raises(ConfigError, match="HUB_KAFKA_BOOTSTRAP"):
        async with topic_admin.admin_client(settings, gate.bootstrap):
            pass
    assert gate.client_certs == seen  # the handshake failed before the gate saw a certificate
