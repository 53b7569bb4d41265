"""The `hub` command as an operator meets it: help, version, and one-line errors."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from hub.ops.cli.main import build_parser, main
from tests.e2e.stack import TEST_PERSON_KEY_SECRET


def _hub(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_help_lists_the_commands() -> None:
    text = build_parser().format_help()
    for command in ("up", "core", "adapter", "db", "topics", "version"):
        assert command in text


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["version"]) == 0
    assert capsys.readouterr().out.startswith("isd-hub ")


def test_bad_setting_is_one_line_and_nonzero() -> None:
    result = _hub("version", env={"HUB_KAFKA_BOOTSTRAP": "not a host"})
    assert result.returncode == 2
    assert result.stderr.strip().startswith("hub: error: invalid settings: HUB_KAFKA_BOOTSTRAP")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_core_without_infrastructure_says_what_to_set() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    result = subprocess.run(
        [sys.executable, "-m", "hub", "core"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert result.returncode == 2
    assert "HUB_KAFKA_BOOTSTRAP" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_broker_is_reported_not_hung() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = _hub(
        "topics",
        "ensure",
        env={"HUB_KAFKA_BOOTSTRAP": f"127.0.0.1:{port}", "HUB_STARTUP_TIMEOUT_S": "3"},
    )
    assert result.returncode == 2
    assert f"HUB_KAFKA_BOOTSTRAP=127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_database_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = _hub(
        "db",
        "upgrade",
        env={
            "HUB_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{port}/x",
            "HUB_STARTUP_TIMEOUT_S": "3",
        },
    )
    assert result.returncode == 2
    assert "HUB_DATABASE_URL: cannot connect to PostgreSQL" in result.stderr


def test_taken_port_is_named(kafka_bootstrap: str) -> None:
    port = kafka_bootstrap.rsplit(":", 1)[1]
    result = _hub(
        "up",
        env={
            "HUB_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "HUB_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/x",
            "HUB_CORE_PORT": port,  # the broker already listens there
            "HUB_PERSON_KEY_SECRET": TEST_PERSON_KEY_SECRET,  # external: the default is refused
        },
    )
    assert result.returncode == 2
    assert "HUB_CORE_PORT" in result.stderr
    assert "already in use" in result.stderr or "Address already in use" in result.stderr


def test_db_upgrade_twice_is_a_no_op(database_url: str) -> None:
    first = _hub("db", "upgrade", env={"HUB_DATABASE_URL": database_url})
    assert first.returncode == 0, first.stderr
    assert "applied 0001_ledger" in first.stdout
    second = _hub("db", "upgrade", env={"HUB_DATABASE_URL": database_url})
    assert second.returncode == 0, second.stderr
    assert "already up to date" in second.stdout


def test_core_refuses_an_unmigrated_database(database_url: str, kafka_bootstrap: str) -> None:
    result = _hub(
        "core",
        env={
            "HUB_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "HUB_DATABASE_URL": database_url,
            "HUB_PERSON_KEY_SECRET": TEST_PERSON_KEY_SECRET,
        },
    )
    assert result.returncode == 2
    assert "run `hub db upgrade` first" in result.stderr
    assert "Traceback" not in result.stderr


async def test_core_refuses_missing_topics(
    pool: object, database_url: str, kafka_bootstrap: str
) -> None:
    result = _hub(
        "core",
        env={
            "HUB_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "HUB_DATABASE_URL": database_url,
            "HUB_TOPIC_PREFIX": "never-created",
            "HUB_PERSON_KEY_SECRET": TEST_PERSON_KEY_SECRET,
        },
    )
    assert result.returncode == 2
    assert "run `hub topics ensure` first" in result.stderr
    assert "Traceback" not in result.stderr
