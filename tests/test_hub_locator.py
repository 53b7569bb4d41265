"""One way to reach a running hub (hub/ops/locate.py), and `hub up`'s port check before start."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.domain.errors import StartupError
from hub.domain.parties import DEMO_FILE, load_parties
from hub.infra import store
from hub.infra.embedded import free_port
from hub.ops import locate
from hub.ops.cli.main import main
from hub.ops.supervisor import Supervisor
from hub.settings import Settings

# Every command that talks to a hub, as an operator types it.
COMMANDS = [
    ["party", "list"],
    ["party", "token", "issue", "0518"],
    ["trace", "X"],
    ["dlq", "list"],
    ["retours", "overdue"],
    ["requests", "overdue"],
    ["freeze", "parked"],
    ["eb", "show", "--message", "00000000-0000-0000-0000-000000000000"],
    ["purge", "--dry-run"],
]


def _clean_env(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    for name in list(os.environ):
        if name.startswith("HUB_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HUB_DATA_DIR", str(data_dir))


def _hub(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    return subprocess.run(
        [sys.executable, "-m", "hub", *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_without_a_running_hub_every_command_refuses_and_starts_nothing(
    argv: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _clean_env(monkeypatch, tmp_path / "var")
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("hub: error: no running hub found")
    for setting in ("HUB_DATA_DIR", "HUB_DATABASE_URL", "HUB_CLI_EMBEDDED"):
        assert setting in err
    assert not (tmp_path / "var" / "postgres").exists()  # no second embedded database


def test_a_stale_hub_file_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _clean_env(monkeypatch, tmp_path)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                          capture_output=True, text=True)  # fmt: skip
    pid = int(dead.stdout)
    (tmp_path / locate.FILENAME).write_text(
        json.dumps({"pid": pid, "database_url": "postgresql://x@h:1/d", "kafka_bootstrap": "h:2"})
    )
    assert main(["dlq", "list"]) == 2
    assert f"names pid {pid}, which no longer runs" in capsys.readouterr().err


@pytest.fixture
def fake_hub() -> Iterator[int]:
    """A live process whose command line says `hub` (what locate.alive looks for)."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", "hub", "up"])
    try:
        # Until the child has exec'd, /proc shows the parent's command line: wait for its own.
        deadline = time.monotonic() + 10
        while not locate.alive(proc.pid):
            assert time.monotonic() < deadline, "the fake hub process did not start"
            time.sleep(0.01)
        yield proc.pid
    finally:
        proc.kill()
        proc.wait()


async def test_every_command_finds_the_running_hub_the_same_way(
    pool: store.Pool, database_url: str, tmp_path: Path, fake_hub: int
) -> None:
    await store.upsert_parties(pool, list(load_parties(DEMO_FILE)))
    settings = Settings(data_dir=tmp_path, topic_prefix="walk")
    path = locate.record(settings, database_url, "127.0.0.1:1")
    assert path.stat().st_mode & 0o777 == 0o600
    data = json.loads(path.read_text())
    data["pid"] = fake_hub  # as if that process had written it
    path.write_text(json.dumps(data))
    env = {"HUB_DATA_DIR": str(tmp_path)}
    issued = _hub(env, "party", "token", "issue", "0518")
    assert issued.returncode == 0, issued.stderr
    [said, _] = issued.stderr.strip().splitlines()  # the hub line, then the token note
    assert said.startswith(f"hub: talking to the hub up of pid {fake_hub} in {tmp_path}")
    assert database_url.rsplit("/", 1)[1] in said
    assert "topics 'walk.'" in said
    token = issued.stdout.strip()
    # The token went into the database of the running hub, not a database of its own.
    assert await store.authenticate(pool, token) is not None
    for argv, expected in (
        (("retours", "overdue"), "no retour is overdue"),
        (("dlq", "list"), "the dead-letter queue is empty"),
        (("trace", "NOPE"), "no message with id or Identificatie 'NOPE'"),
    ):
        result = _hub(env, *argv)
        assert expected in result.stdout, result.stderr
        assert result.stderr.startswith(f"hub: talking to the hub up of pid {fake_hub}")
    # HUB_DATABASE_URL, when set, is what a command uses, and it says so.
    explicit = _hub({**env, "HUB_DATABASE_URL": database_url}, "retours", "overdue")
    assert explicit.returncode == 0, explicit.stderr
    assert "(HUB_DATABASE_URL)" in explicit.stderr.splitlines()[0]


def test_forget_leaves_another_hubs_file(tmp_path: Path, fake_hub: int) -> None:
    settings = Settings(data_dir=tmp_path)
    path = locate.record(settings, "postgresql://p@h:1/d", "h:2")
    locate.forget(settings)
    assert not path.exists()
    locate.record(settings, "postgresql://p@h:1/d", "h:2")
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "pid": fake_hub}))
    locate.forget(settings)  # not ours: a second `hub up` must not remove the first's
    assert path.exists()


@pytest.mark.pg  # `hub db upgrade` starts an embedded PostgreSQL of its own
def test_embedded_only_when_asked(workdir: Path) -> None:
    """`hub db upgrade` prepares the embedded database of HUB_DATA_DIR by itself; another
    command starts it only with HUB_CLI_EMBEDDED=true, and stops it again."""
    data = workdir / f"cli-embedded-{os.getpid()}"
    port = free_port()
    env = {"HUB_DATA_DIR": str(data), "HUB_EMBEDDED_POSTGRES_PORT": str(port)}
    upgraded = _hub(env, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert "started its embedded PostgreSQL for this command" in upgraded.stderr
    refused = _hub(env, "party", "list")
    assert refused.returncode == 2
    assert "HUB_CLI_EMBEDDED" in refused.stderr
    listed = _hub({**env, "HUB_CLI_EMBEDDED": "true"}, "party", "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith("code ")
    with socket.socket() as probe:  # stopped with the command
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def _listening() -> socket.socket:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    return s


def test_up_names_every_taken_port_before_starting_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def started(*_: object) -> None:
        raise AssertionError("hub up started infrastructure despite taken ports")

    monkeypatch.setattr("hub.ops.supervisor.start_infrastructure", started)
    with _listening() as a, _listening() as b:
        core, kafka = a.getsockname()[1], b.getsockname()[1]
        settings = Settings(
            data_dir=tmp_path,
            core_port=core,
            embedded_kafka_port=kafka,  # the broker's port, checked before PostgreSQL starts
            embedded_postgres_port=free_port(),
            ggk_port=free_port(),
            vecozo_port=free_port(),
        )
        with pytest.raises(StartupError) as refused:
            Supervisor(settings).run()
    text = str(refused.value)
    assert f"HUB_CORE_PORT={core}" in text
    assert f"HUB_EMBEDDED_KAFKA_PORT={kafka}" in text
    assert "2 port(s)" in text
    assert not (tmp_path / "postgres").exists()


def test_up_refuses_in_one_line_with_exit_2(tmp_path: Path) -> None:
    shared = free_port()
    with _listening() as a, _listening() as b:
        env = {
            "HUB_DATA_DIR": str(tmp_path),
            "HUB_GGK_PORT": str(a.getsockname()[1]),
            "HUB_VECOZO_PORT": str(b.getsockname()[1]),
            "HUB_CORE_PORT": str(shared),
            "HUB_EMBEDDED_POSTGRES_PORT": str(shared),  # two settings, one port
            "HUB_EMBEDDED_KAFKA_PORT": str(free_port()),
        }
        result = _hub(env, "up")
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "3 port(s)" in line
    for setting in ("HUB_GGK_PORT", "HUB_VECOZO_PORT", "HUB_CORE_PORT"):
        assert setting in line
    assert not (tmp_path / "postgres").exists()


def test_up_refuses_a_data_dir_another_hub_runs_on(tmp_path: Path, fake_hub: int) -> None:
    settings = Settings(data_dir=tmp_path)
    path = locate.record(settings, "postgresql://p@h:1/d", "h:2")
    path.write_text(json.dumps({**json.loads(path.read_text()), "pid": fake_hub}))
    with pytest.raises(StartupError, match=f"pid {fake_hub}.*HUB_DATA_DIR"):
        Supervisor(settings).run()
    assert path.exists()  # the running hub's file is left alone
