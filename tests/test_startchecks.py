"""No development secret in production: `hub core`, `hub relay` and the adapters refuse the
built-in HUB_PERSON_KEY_SECRET once a broker or database is configured (one line, exit 2), the
processes of an embedded `hub up` may use it, and `hub config` marks it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from hub.domain.errors import ConfigError
from hub.ops import startchecks
from hub.ops.cli.config import DEVELOPMENT_MARK
from hub.ops.cli.main import main
from hub.settings import Settings

EXTERNAL = {"kafka_bootstrap": "kafka.example:9093", "database_url": "postgresql://h@db:5432/h"}
OWN_SECRET = "a-long-random-value-of-this-deployment"


def test_the_built_in_secret_is_a_development_secret() -> None:
    assert startchecks.development_secrets(Settings()) == ["HUB_PERSON_KEY_SECRET"]
    assert startchecks.development_secrets(Settings(person_key_secret=OWN_SECRET)) == []  # type: ignore[arg-type]


@pytest.mark.parametrize("setting", ["kafka_bootstrap", "database_url"])
def test_a_configured_broker_or_database_refuses_the_development_secret(
    setting: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(startchecks.EMBEDDED_PARENT_ENV, raising=False)
    settings = Settings(**{setting: EXTERNAL[setting]})  # type: ignore[arg-type]
    with pytest.raises(ConfigError) as refused:
        startchecks.check(settings, "core")
    assert str(refused.value).startswith("HUB_PERSON_KEY_SECRET is still the built-in")
    assert f"HUB_{setting.upper()} set" in str(refused.value)
    startchecks.check(settings.model_copy(update={"person_key_secret": OWN_SECRET}), "core")


def test_nothing_configured_is_the_development_hub() -> None:
    startchecks.check(Settings(), "core")


def test_only_the_children_of_an_embedded_hub_up_may_use_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = Settings(**EXTERNAL)  # type: ignore[arg-type]
    monkeypatch.setenv(startchecks.EMBEDDED_PARENT_ENV, str(os.getppid()))
    startchecks.check(settings, "adapter ggk")  # our parent is "the hub up"
    monkeypatch.setenv(startchecks.EMBEDDED_PARENT_ENV, str(os.getpid()))  # not our parent
    with pytest.raises(ConfigError, match="HUB_PERSON_KEY_SECRET"):
        startchecks.check(settings, "adapter ggk")
    monkeypatch.setenv(startchecks.EMBEDDED_PARENT_ENV, "yes")
    with pytest.raises(ConfigError, match="HUB_PERSON_KEY_SECRET"):
        startchecks.check(settings, "adapter ggk")


@pytest.mark.parametrize("command", [["core"], ["relay"], ["adapter", "vecozo"], ["up"]])
def test_each_process_refuses_in_one_line_with_exit_2(command: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.pop(startchecks.EMBEDDED_PARENT_ENV, None)
    env |= {
        "HUB_KAFKA_BOOTSTRAP": "127.0.0.1:9",
        "HUB_DATABASE_URL": "postgresql://h@127.0.0.1:9/h",
    }
    done = subprocess.run(
        [sys.executable, "-m", "hub", *command],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("hub: error: HUB_PERSON_KEY_SECRET is still the built-in")
    assert f"`hub {' '.join(command)}`" in line


def test_hub_config_marks_a_secret_at_its_development_value(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("HUB_PERSON_KEY_SECRET", raising=False)
    assert main(["config"]) == 0
    [line] = [x for x in capsys.readouterr().out.splitlines() if x.startswith("HUB_PERSON_KEY")]
    assert line.endswith(DEVELOPMENT_MARK)
    assert "isd-hub-development-only-secret" not in line
    monkeypatch.setenv("HUB_PERSON_KEY_SECRET", OWN_SECRET)
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert DEVELOPMENT_MARK not in out
    assert OWN_SECRET not in out
    for setting in (
        "HUB_KAFKA_SECURITY_PROTOCOL",
        "HUB_KAFKA_SASL_PASSWORD",
        "HUB_DATABASE_SSLMODE",
    ):
        assert setting in out
