"""`hub up` as `make run` starts it: real broker, real PostgreSQL, core and both adapters."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest

from hub.infra import store
from hub.infra.embedded import free_port
from tests.e2e.stack import SESSION_TIMEOUT_MS

pytestmark = pytest.mark.e2e

# A valid toewijzing (0363 → 65656055): routed by the validating core without history.
_WMO301 = (Path(__file__).parents[1] / "fixtures" / "iwmo-3.2" / "WMO301.xml").read_bytes()


def _toewijzing(identificatie: str, afzender: str = "0363") -> bytes:
    """The fixture 301 with its own Identificatie (unique per sender, TR056) and Afzender."""
    message = _WMO301.replace(b">30120250324<", f">{identificatie}<".encode())
    return message.replace(b"<Afzender>0363<", f"<Afzender>{afzender}<".encode())


@dataclass
class Stack:
    proc: subprocess.Popen[str]
    env: dict[str, str]
    banner: list[str]

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.env[f'HUB_{name.upper()}_PORT']}"


def _launch(env: dict[str, str], timeout: float = 120, demo: bool = False) -> Stack:
    proc = subprocess.Popen(
        [sys.executable, "-m", "hub", "up", *(["--demo"] if demo else [])],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    banner: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        banner.append(line.rstrip())
        if line.startswith("Ctrl-C stops everything"):
            return Stack(proc, env, banner)
    proc.kill()
    raise AssertionError(f"hub up did not come up: {banner}")


def _stop(stack: Stack) -> str:
    stack.proc.send_signal(signal.SIGINT)
    out, _ = stack.proc.communicate(timeout=90)
    assert stack.proc.returncode == 0
    return out


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
def up_env(workdir: Path) -> dict[str, str]:
    tag = uuid.uuid4().hex[:8]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(
        HUB_DATA_DIR=str(workdir / f"up-{tag}"),
        HUB_EMBEDDED_KAFKA_PORT=str(free_port()),
        HUB_EMBEDDED_POSTGRES_PORT=str(free_port()),
        HUB_CORE_PORT=str(free_port()),
        HUB_GGK_PORT=str(free_port()),
        HUB_VECOZO_PORT=str(free_port()),
        HUB_LOG_LEVEL="WARNING",
        HUB_CONSUMER_SESSION_TIMEOUT_MS=str(SESSION_TIMEOUT_MS),
    )
    return env


def _dsn(env: dict[str, str]) -> str:
    return f"postgresql://postgres@127.0.0.1:{env['HUB_EMBEDDED_POSTGRES_PORT']}/isdhub"


def _issue(env: dict[str, str], party: str) -> str:
    """A token for `party`, issued the way an operator does next to a running `hub up`
    (no HUB_DATABASE_URL: the command finds the embedded PostgreSQL that `hub up` runs)."""
    result = subprocess.run(
        [sys.executable, "-m", "hub", "party", "token", "issue", party],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _wait_inbox(
    client: httpx.Client, url: str, token: str, timeout: float = 30
) -> list[dict[str, object]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get(f"{url}/v1/inbox", headers=_auth(token))
        assert response.status_code == 200
        items: list[dict[str, object]] = response.json()
        if items:
            return items
        time.sleep(0.1)
    raise AssertionError("nothing arrived in the inbox")


def test_up_routes_a_message_and_stops_cleanly(up_env: dict[str, str]) -> None:
    stack = _launch(up_env)
    try:
        text = "\n".join(stack.banner)
        for expected in ("kafka", "postgresql", "hub core", "ggk", "vecozo"):
            assert expected in text
        assert any(line.lstrip().startswith("parties") for line in stack.banner)
        amsterdam, provider, other_provider = (
            _issue(up_env, p) for p in ("0363", "65656055", "41125003")
        )
        with httpx.Client(timeout=10) as client:
            message = _toewijzing("E2E000000001")
            anonymous = client.post(f"{stack.url('ggk')}/v1/messages", content=message)
            assert anonymous.status_code == 401
            accepted = client.post(
                f"{stack.url('ggk')}/v1/messages",
                content=message,
                headers={**_auth(amsterdam), "Content-Type": "application/xml"},
            )
            assert accepted.status_code == 202, accepted.text
            message_id = accepted.json()["id"]

            # Refused at once: not well-formed, and an Afzender that is not the uploader.
            broken = client.post(
                f"{stack.url('ggk')}/v1/messages",
                content=b"<Bericht><Header>",
                headers=_auth(amsterdam),
            )
            assert broken.status_code == 400
            assert broken.json()["detail"]["reason"] == "not_well_formed"
            spoofed = client.post(
                f"{stack.url('ggk')}/v1/messages",
                content=_toewijzing("E2E000000002", afzender="0344"),
                headers=_auth(amsterdam),
            )
            assert spoofed.status_code == 403
            assert spoofed.json()["detail"]["reason"] == "sender_mismatch"
            # A provider's token does not open the gemeenten's node.
            wrong_node = client.get(f"{stack.url('ggk')}/v1/inbox", headers=_auth(provider))
            assert wrong_node.status_code == 403

            vecozo = stack.url("vecozo")
            items = _wait_inbox(client, vecozo, provider)
            assert [i["id"] for i in items] == [message_id]
            body = client.get(f"{vecozo}/v1/inbox/{message_id}", headers=_auth(provider))
            assert body.content == message
            # Another provider cannot see it.
            other = client.get(f"{vecozo}/v1/inbox/{message_id}", headers=_auth(other_provider))
            assert other.status_code == 404
            ack = client.post(f"{vecozo}/v1/inbox/{message_id}/ack", headers=_auth(provider))
            assert ack.status_code == 204
            metrics = client.get(f"{stack.url('core')}/metrics")
            assert metrics.status_code == 200
    finally:
        out = _stop(stack)
    assert "isd-hub: stopped" in out
    for name in ("EMBEDDED_KAFKA", "EMBEDDED_POSTGRES", "CORE", "GGK", "VECOZO"):
        assert not _listening(int(up_env[f"HUB_{name}_PORT"])), f"{name} still listening"


async def test_second_up_reuses_the_database(up_env: dict[str, str]) -> None:
    """The second `hub up` also finds a broker that lost everything (the embedded one keeps
    nothing across a restart), and runs the outbox relay as its own process."""
    first = _launch(up_env)
    try:
        amsterdam, provider = _issue(up_env, "0363"), _issue(up_env, "65656055")
        with httpx.Client(timeout=10) as client:
            response = client.post(
                f"{first.url('ggk')}/v1/messages",
                content=_toewijzing("E2E000000003"),
                headers=_auth(amsterdam),
            )
            assert response.status_code == 202
            _wait_inbox(client, first.url("vecozo"), provider)
    finally:
        _stop(first)
    split = {**up_env, "HUB_CORE_RELAY": "false", "HUB_RELAY_PORT": str(free_port())}
    second = _launch(split)
    try:
        # Tokens live in the database: they survive a restart, and the re-import changes nothing.
        with httpx.Client(timeout=10) as client:
            inbox = client.get(f"{second.url('vecozo')}/v1/inbox", headers=_auth(provider))
            assert inbox.status_code == 200
            response = client.post(
                f"{second.url('ggk')}/v1/messages",
                content=_toewijzing("E2E000000004"),
                headers=_auth(amsterdam),
            )
            assert response.status_code == 202
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                inbox = client.get(f"{second.url('vecozo')}/v1/inbox", headers=_auth(provider))
                if len(inbox.json()) == 2:
                    break
                time.sleep(0.1)
            assert len(inbox.json()) == 2  # through the relay process
            assert client.get(f"{second.url('relay')}/readyz").status_code == 200
        assert any("0 added, 0 changed" in line for line in second.banner)
        assert any(line.lstrip().startswith("relay ") for line in second.banner)
        version = max(m.version for m in store.migrations())
        assert any(f"schema v{version}" in line for line in second.banner)
        conn = await asyncpg.connect(_dsn(up_env))
        try:
            assert await conn.fetchval("SELECT count(*) FROM message") == 2
            # A new broker epoch, which every recovery role caught up with.
            epoch = await conn.fetchval("SELECT epoch FROM broker_epoch")
            assert epoch >= 2
            deadline = time.monotonic() + 30
            roles: dict[str, int] = {}
            while time.monotonic() < deadline and set(roles.values()) != {epoch}:
                rows = await conn.fetch("SELECT role, epoch FROM broker_recovery")
                roles = {r["role"]: r["epoch"] for r in rows}
                await asyncio.sleep(0.2)
            assert roles == {"relay": epoch, "journal-ggk": epoch, "journal-vecozo": epoch}
        finally:
            await conn.close()
    finally:
        _stop(second)


async def test_up_demo_feeds_traffic_with_its_own_tokens(up_env: dict[str, str]) -> None:
    stack = _launch(up_env, demo=True)
    tokens_file = Path(up_env["HUB_DATA_DIR"]).resolve() / "demo-tokens.json"
    try:
        assert tokens_file.stat().st_mode & 0o777 == 0o600
        tokens = json.loads(tokens_file.read_text())
        assert {"0363", "65656055"} <= set(tokens)
        conn = await asyncpg.connect(_dsn(up_env))
        try:
            deadline = time.monotonic() + 60
            acked = 0
            while time.monotonic() < deadline and acked < 6:
                acked = await conn.fetchval(
                    "SELECT count(*) FROM delivery WHERE acked_at IS NOT NULL"
                )
                await asyncio.sleep(0.2)
            assert acked >= 6, "the demo's messages were not delivered and acknowledged"
            # The tokens file holds tokens; the database only their digests.
            digests = await conn.fetch("SELECT token_sha256 FROM party_token WHERE label = 'demo'")
            assert len(digests) == len(tokens)
        finally:
            await conn.close()
    finally:
        out = _stop(stack)
    report = [line for line in out.splitlines() if line.startswith("demo: ")]
    assert report, out
    assert re.fullmatch(r"demo: [1-9]\d* uploaded, [1-9]\d* downloaded, 0 refused", report[-1])
    assert not tokens_file.exists()


def _children(parent: int, *command: str) -> list[int]:
    """Pids of the processes `parent` started as `python -m hub <command>`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            stat = (entry / "stat").read_text()
        except OSError:  # gone, or not ours to read
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tail = [b"-m", b"hub", *(c.encode() for c in command)]
        if ppid == parent and argv[1 : 1 + len(tail)] == tail:
            found.append(int(entry.name))
    return found


def test_up_restarts_a_core_that_dies(up_env: dict[str, str]) -> None:
    stack = _launch(up_env)
    try:
        amsterdam, provider = _issue(up_env, "0363"), _issue(up_env, "65656055")
        [core] = _children(stack.proc.pid, "core")
        environ = Path(f"/proc/{core}/environ").read_bytes().split(b"\0")
        assert f"HUB_CORE_PORT={up_env['HUB_CORE_PORT']}".encode() in environ
        os.kill(core, signal.SIGKILL)
        with httpx.Client(timeout=10) as client:
            deadline = time.monotonic() + 60
            ready = False
            while time.monotonic() < deadline and not ready:
                time.sleep(0.2)
                assert stack.proc.poll() is None, "hub up stopped when its core died"
                with contextlib.suppress(httpx.TransportError):
                    ready = client.get(f"{stack.url('core')}/readyz").status_code == 200
            assert ready, "the core did not come back"
            [again] = _children(stack.proc.pid, "core")
            assert again != core
            environ = Path(f"/proc/{again}/environ").read_bytes().split(b"\0")
            assert f"HUB_CORE_PORT={up_env['HUB_CORE_PORT']}".encode() in environ

            accepted = client.post(
                f"{stack.url('ggk')}/v1/messages",
                content=_toewijzing("E2E000000005"),
                headers={**_auth(amsterdam), "Content-Type": "application/xml"},
            )
            assert accepted.status_code == 202, accepted.text
            items = _wait_inbox(client, stack.url("vecozo"), provider, timeout=45)
            assert [i["id"] for i in items] == [accepted.json()["id"]]
        assert stack.proc.poll() is None
    finally:
        out = _stop(stack)
    assert "isd-hub: stopped" in out
