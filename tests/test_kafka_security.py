"""The Kafka security settings: what each combination gives aiokafka and FastStream, and the
one-line refusal (naming the setting) of every combination that cannot work."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from faststream.security import SASLPlaintext, SASLScram256, SASLScram512

from hub.domain.errors import ConfigError
from hub.infra.kafka import security
from hub.infra.outbox import make_producer
from hub.settings import Settings
from tests.securekafka import Pki, make_pki


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("kafka-pki"))


def test_plaintext_is_the_default_and_adds_nothing() -> None:
    settings = Settings()
    security.check(settings)
    assert security.faststream_security(settings) is None
    assert security.client_kwargs(settings) == {"security_protocol": "PLAINTEXT"}


@pytest.mark.parametrize(
    ("mechanism", "kind"),
    [("PLAIN", SASLPlaintext), ("SCRAM-SHA-256", SASLScram256), ("SCRAM-SHA-512", SASLScram512)],
)
async def test_sasl_ssl_gives_every_client_the_mechanism_user_password_and_tls(
    pki: Pki, mechanism: str, kind: type
) -> None:
    settings = Settings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism=mechanism,  # type: ignore[arg-type]
        kafka_sasl_username="hub-adapter-ggk",
        kafka_sasl_password="s3cret-password",  # type: ignore[arg-type]
        kafka_ssl_ca_file=pki.ca,
    )
    security.check(settings)
    assert isinstance(security.faststream_security(settings), kind)
    kwargs = security.client_kwargs(settings)
    assert kwargs["security_protocol"] == "SASL_SSL"
    assert kwargs["sasl_mechanism"] == mechanism
    assert kwargs["sasl_plain_username"] == "hub-adapter-ggk"
    assert kwargs["sasl_plain_password"] == "s3cret-password"
    context = kwargs["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert [c["subject"] for c in context.get_ca_certs()] == [
        ((("organizationName", "isd-hub tests"),), (("commonName", "isd-hub test CA"),))
    ]
    # The relay's own producer is made with exactly these.
    producer = make_producer(settings, "127.0.0.1:9")
    try:
        client = producer.client
        assert (client._security_protocol, client._sasl_mechanism) == ("SASL_SSL", mechanism)
        assert client._sasl_plain_username == "hub-adapter-ggk"
        assert client._ssl_context is not None
    finally:
        await producer.stop()


def test_sasl_plaintext_has_no_tls(pki: Pki) -> None:
    settings = Settings(
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_sasl_mechanism="SCRAM-SHA-256",
        kafka_sasl_username="u",
        kafka_sasl_password="p",  # type: ignore[arg-type]
    )
    security.check(settings)
    kwargs = security.client_kwargs(settings)
    assert kwargs["security_protocol"] == "SASL_PLAINTEXT"
    assert kwargs["ssl_context"] is None


def test_ssl_with_a_client_certificate_loads_it(pki: Pki) -> None:
    settings = Settings(
        kafka_security_protocol="SSL",
        kafka_ssl_ca_file=pki.ca,
        kafka_ssl_cert_file=pki.client.cert,
        kafka_ssl_key_file=pki.client.key,
    )
    security.check(settings)
    kwargs = security.client_kwargs(settings)
    assert kwargs["security_protocol"] == "SSL"
    assert "sasl_mechanism" not in kwargs
    assert isinstance(kwargs["ssl_context"], ssl.SSLContext)


@pytest.mark.parametrize(
    ("values", "setting"),
    [
        ({"kafka_security_protocol": "SASL_SSL"}, "HUB_KAFKA_SASL_MECHANISM"),
        ({"kafka_security_protocol": "SASL_SSL", "kafka_sasl_mechanism": "SCRAM-SHA-512"},
         "HUB_KAFKA_SASL_USERNAME"),
        ({"kafka_security_protocol": "SASL_PLAINTEXT", "kafka_sasl_mechanism": "PLAIN",
          "kafka_sasl_username": "u"}, "HUB_KAFKA_SASL_PASSWORD"),
        ({"kafka_sasl_mechanism": "PLAIN", "kafka_sasl_username": "u"},
         "HUB_KAFKA_SECURITY_PROTOCOL"),
        ({"kafka_ssl_ca_file": "CA"}, "HUB_KAFKA_SSL_CA_FILE"),
        ({"kafka_security_protocol": "SSL", "kafka_ssl_cert_file": "CERT"},
         "HUB_KAFKA_SSL_KEY_FILE"),
        ({"kafka_security_protocol": "SSL", "kafka_ssl_key_file": "KEY"},
         "HUB_KAFKA_SSL_CERT_FILE"),
        ({"kafka_security_protocol": "SSL", "kafka_ssl_ca_file": "/nonexistent/ca.pem"},
         "HUB_KAFKA_SSL_CA_FILE: /nonexistent/ca.pem does not exist"),
        ({"kafka_security_protocol": "SSL", "kafka_ssl_ca_file": "KEY"},
         "HUB_KAFKA_SSL_CA_FILE: cannot load"),
        ({"kafka_security_protocol": "SSL", "kafka_ssl_cert_file": "CERT",
          "kafka_ssl_key_file": "OTHER_KEY"}, "HUB_KAFKA_SSL_CERT_FILE / HUB_KAFKA_SSL_KEY_FILE"),
    ],
)  # fmt: skip
def test_settings_that_cannot_work_are_refused_naming_the_setting(
    pki: Pki, values: dict[str, object], setting: str
) -> None:
    files = {"CA": pki.ca, "CERT": pki.client.cert, "KEY": pki.client.key,
             "OTHER_KEY": pki.stranger.key}  # fmt: skip
    resolved = {k: files.get(v, v) if isinstance(v, str) else v for k, v in values.items()}
    with pytest.raises(ConfigError) as refused:
        security.check(Settings(**resolved))  # type: ignore[arg-type]
    assert str(refused.value).startswith(setting)
    assert "s3cret" not in str(refused.value)


def test_an_encrypted_key_needs_its_password(pki: Pki, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(pki.client.key.read_bytes(), password=None)
    locked = tmp_path / "locked.key"
    locked.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"key-pass"),
        )
    )
    values: dict[str, object] = {
        "kafka_security_protocol": "SSL",
        "kafka_ssl_cert_file": pki.client.cert,
        "kafka_ssl_key_file": locked,
    }
    with pytest.raises(ConfigError, match="HUB_KAFKA_SSL_KEY_PASSWORD"):
        security.check(Settings(**values, kafka_ssl_key_password="wrong"))  # type: ignore[arg-type]
    security.check(Settings(**values, kafka_ssl_key_password="key-pass"))  # type: ignore[arg-type]


def test_the_operations_guide_gives_an_acl_for_every_topic() -> None:
    """docs/operations.md's ACL section names every topic of hub/domain/topics.py, each with a
    Write grant, and grants Write on ingress to no integrator."""
    from hub.domain import topics

    text = (Path(__file__).parents[1] / "docs" / "operations.md").read_text(encoding="utf-8")
    section = text.split("### ACLs: only the adapters write `isd.ingress`", 1)[1]
    for spec in topics.ALL:
        name = f"isd.{spec.suffix}"
        assert f"| `{name}` |" in section, name
        assert name in section.split("```sh", 1)[1], name
    ingress_grant = section.split("--operation Write --topic isd.ingress", 1)[0].rsplit("acl ", 1)[
        1
    ]
    assert "integrator" not in ingress_grant
    assert "User:isd-hub-ggk" in ingress_grant
    assert "User:isd-hub-vecozo" in ingress_grant
