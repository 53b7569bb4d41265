"""`hub up` as `make run` starts it: real broker, real PostgreSQL, core and both adapters."""

from __future__ import annotations

import os
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

from hub import store
from hub.embedded import free_port

pytestmark = pytest.mark.e2e

BSN = "999993653"  # passes the 11-proef; a test number, not a person


def _start_305(identificatie: str, afzender: str = "65656055") -> bytes:
    ns = "http://www.istandaarden.nl/iwmo/3_2/wmo305/schema"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Bericht xmlns="{ns}">
  <Header>
    <BerichtCode>418</BerichtCode><BerichtVersie>3</BerichtVersie><BerichtSubversie>2</BerichtSubversie>
    <Afzender>{afzender}</Afzender><Ontvanger>0363</Ontvanger>
    <BerichtIdentificatie><Identificatie>{identificatie}</Identificatie>
      <Dagtekening>2025-04-05</Dagtekening></BerichtIdentificatie>
    <XsdVersie><BasisschemaXsdVersie>1.0.0</BasisschemaXsdVersie>
      <BerichtXsdVersie>1.0.0</BerichtXsdVersie></XsdVersie>
  </Header>
  <Client><Bsn>{BSN}</Bsn></Client>
</Bericht>""".encode()


@dataclass
class Stack:
    proc: subprocess.Popen[str]
    env: dict[str, str]
    banner: list[str]

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.env[f'HUB_{name.upper()}_PORT']}"


def _launch(env: dict[str, str], timeout: float = 120) -> Stack:
    proc = subprocess.Popen(
        [sys.executable, "-m", "hub", "up"],
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
    )
    return env


def _wait_inbox(
    client: httpx.Client, url: str, party: str, timeout: float = 30
) -> list[dict[str, object]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get(f"{url}/v1/inbox", headers={"X-Hub-Party": party})
        assert response.status_code == 200
        items: list[dict[str, object]] = response.json()
        if items:
            return items
        time.sleep(0.1)
    raise AssertionError(f"nothing arrived in {party}'s inbox")


def test_up_routes_a_message_and_stops_cleanly(up_env: dict[str, str]) -> None:
    stack = _launch(up_env)
    try:
        text = "\n".join(stack.banner)
        for expected in ("kafka", "postgresql", "hub core", "ggk", "vecozo"):
            assert expected in text
        with httpx.Client(timeout=10) as client:
            message = _start_305("E2E000000001")
            accepted = client.post(
                f"{stack.url('vecozo')}/v1/messages",
                content=message,
                headers={"X-Hub-Party": "65656055", "Content-Type": "application/xml"},
            )
            assert accepted.status_code == 202, accepted.text
            message_id = accepted.json()["id"]

            # Refused at once: not well-formed, and an Afzender that is not the uploader.
            broken = client.post(
                f"{stack.url('vecozo')}/v1/messages",
                content=b"<Bericht><Header>",
                headers={"X-Hub-Party": "65656055"},
            )
            assert broken.status_code == 400
            assert broken.json()["detail"]["reason"] == "not_well_formed"
            spoofed = client.post(
                f"{stack.url('vecozo')}/v1/messages",
                content=_start_305("E2E000000002", afzender="11111111"),
                headers={"X-Hub-Party": "65656055"},
            )
            assert spoofed.status_code == 403

            items = _wait_inbox(client, stack.url("ggk"), "0363")
            assert [i["id"] for i in items] == [message_id]
            body = client.get(
                f"{stack.url('ggk')}/v1/inbox/{message_id}", headers={"X-Hub-Party": "0363"}
            )
            assert body.content == message
            # Another gemeente cannot see it.
            other = client.get(
                f"{stack.url('ggk')}/v1/inbox/{message_id}", headers={"X-Hub-Party": "0344"}
            )
            assert other.status_code == 404
            ack = client.post(
                f"{stack.url('ggk')}/v1/inbox/{message_id}/ack", headers={"X-Hub-Party": "0363"}
            )
            assert ack.status_code == 204
            metrics = client.get(f"{stack.url('core')}/metrics")
            assert metrics.status_code == 200
    finally:
        out = _stop(stack)
    assert "isd-hub: stopped" in out
    for name in ("EMBEDDED_KAFKA", "EMBEDDED_POSTGRES", "CORE", "GGK", "VECOZO"):
        assert not _listening(int(up_env[f"HUB_{name}_PORT"])), f"{name} still listening"


async def test_second_up_reuses_the_database(up_env: dict[str, str]) -> None:
    first = _launch(up_env)
    try:
        with httpx.Client(timeout=10) as client:
            response = client.post(
                f"{first.url('vecozo')}/v1/messages",
                content=_start_305("E2E000000003"),
                headers={"X-Hub-Party": "65656055"},
            )
            assert response.status_code == 202
            _wait_inbox(client, first.url("ggk"), "0363")
    finally:
        _stop(first)
    second = _launch(up_env)
    try:
        version = max(m.version for m in store.migrations())
        assert any(f"schema v{version}" in line for line in second.banner)
        dsn = f"postgresql://postgres@127.0.0.1:{up_env['HUB_EMBEDDED_POSTGRES_PORT']}/isdhub"
        conn = await asyncpg.connect(dsn)
        try:
            assert await conn.fetchval("SELECT count(*) FROM message") == 1
        finally:
            await conn.close()
    finally:
        _stop(second)
