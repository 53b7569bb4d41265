"""Settings are validated at start-up with a message that names the setting."""

from __future__ import annotations

import pytest

from hub.domain.errors import ConfigError
from hub.settings import load_settings


def test_defaults_mean_embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HUB_KAFKA_BOOTSTRAP", raising=False)
    monkeypatch.delenv("HUB_DATABASE_URL", raising=False)
    s = load_settings()
    assert s.kafka_bootstrap is None
    assert s.database_url is None
    assert s.topic("ingress") == "isd.ingress"


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_KAFKA_BOOTSTRAP", "kafka-1:9092, kafka-2:9092")
    monkeypatch.setenv("HUB_DATABASE_URL", "postgresql://hub:secret@db:5432/hub")
    monkeypatch.setenv("HUB_PARTITIONS", "12")
    s = load_settings()
    assert s.kafka_bootstrap == "kafka-1:9092,kafka-2:9092"
    assert s.partitions == 12


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("HUB_KAFKA_BOOTSTRAP", "no-port-here", "HUB_KAFKA_BOOTSTRAP"),
        ("HUB_KAFKA_BOOTSTRAP", "host:99999", "out of range"),
        ("HUB_DATABASE_URL", "mysql://x", "HUB_DATABASE_URL"),
        ("HUB_GGK_PORT", "eighty", "HUB_GGK_PORT"),
        ("HUB_PARTITIONS", "0", "HUB_PARTITIONS"),
        ("HUB_TOPIC_PREFIX", "Has Spaces", "HUB_TOPIC_PREFIX"),
        ("HUB_LOG_LEVEL", "LOUD", "HUB_LOG_LEVEL"),
    ],
)
def test_bad_values_name_the_setting(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert expected in message
    assert "\n" not in message


def test_pool_bounds_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_DB_POOL_MIN", "20")
    monkeypatch.setenv("HUB_DB_POOL_MAX", "5")
    with pytest.raises(ConfigError, match="db_pool_min must not exceed db_pool_max"):
        load_settings()


def test_secrets_are_not_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_PERSON_KEY_SECRET", "tooshort")
    monkeypatch.setenv("HUB_DATABASE_URL", "mysql://user:hunter2@db/x")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "HUB_PERSON_KEY_SECRET" in str(info.value)
    assert "tooshort" not in str(info.value)
    assert "hunter2" not in str(info.value)
