"""Advisory mode end to end: core and both adapters as processes on the real broker and
PostgreSQL. A provider's 305 on toewijzingen the hub never saw is answered by the hub with a
9019 retour while gemeente 0363 enforces; after `hub history mode 0363 advisory` the same
traffic reaches the gemeente, a message.advisory-finding event is published, the core counts
the findings by rule, and `hub history report` lists them."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from confluent_kafka import Consumer

from hub.domain import topics, xmlcodec
from hub.domain.messages import CATALOGUE
from hub.infra import store
from hub.settings import Settings
from tests.e2e.stack import GEMEENTE, PROVIDER, running

pytestmark = pytest.mark.e2e

WMO305 = (Path(__file__).parents[1] / "fixtures" / "iwmo-3.2" / "WMO305.xml").read_bytes()
T_ = TypeVar("T_")


def _start(identificatie: str) -> bytes:
    """The fixture 305 (two StartProducten, toewijzingen 300201 and 300202) under a fresh
    Identificatie: no 301 gave those toewijzingen, so each line breaks TR019."""
    root = xmlcodec.parse_message(WMO305)
    ident = next(e for e in root.iter() if xmlcodec.local_name(e) == "Identificatie")
    ident.text = identificatie
    return xmlcodec.serialize(root)


async def _until(check: Callable[[], Awaitable[T_ | None]], what: str, timeout: float = 60) -> T_:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = await check()
        if found:
            return found
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _events_of(bootstrap: str, topic: str, message_id: str, timeout: float = 60) -> list[str]:
    """The types of the events about `message_id`, read until its advisory finding came."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"{topic}-advisory-reader-{message_id}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "fetch.wait.max.ms": 10,
        }
    )
    consumer.subscribe([topic])
    found: list[dict[str, object]] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                continue
            event = json.loads(msg.value())
            if event["message_id"] == message_id:
                found.append(event)
                if event["type"] == "message.advisory-finding":
                    assert event["data"]["gemeente"] == GEMEENTE
                    assert event["data"]["rules"] == ["TR019"]
                    assert event["data"]["retourcodes"] == ["9019"]
                    assert len(event["data"]["findings"]) == 2  # one per StartProduct
                    break
    finally:
        consumer.close()
    return [str(e["type"]) for e in found]


def _history(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub", "history", *args],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


async def test_enforce_refuses_and_advisory_routes_with_a_finding(
    hub_env: tuple[dict[str, str], dict[str, str]], pool: store.Pool, settings: Settings
) -> None:
    env, tokens = hub_env
    with running(env) as stack:
        async with httpx.AsyncClient(timeout=30) as client:

            async def upload(payload: bytes) -> str:
                answer = await client.post(
                    f"{stack.url('vecozo')}/v1/messages",
                    content=payload,
                    headers={"Authorization": f"Bearer {tokens[PROVIDER]}"},
                )
                assert answer.status_code == 202, answer.text
                return str(answer.json()["id"])

            async def inbox(node: str, code: str) -> list[dict[str, str]]:
                answer = await client.get(
                    f"{stack.url(node)}/v1/inbox",
                    headers={"Authorization": f"Bearer {tokens[code]}"},
                )
                assert answer.status_code == 200, answer.text
                return list(answer.json())

            async def status(message_id: str) -> str | None:
                found = await pool.fetchval(
                    "SELECT status FROM message WHERE id = $1::uuid", message_id
                )
                return str(found) if found in ("accepted", "rejected") else None

            # Enforce (0363 in the built-in modes file): the hub answers with a 306 of 9019.
            refused = await upload(_start("A0000000001"))
            assert await _until(lambda: status(refused), "the first 305 decided") == "rejected"
            retour = await _until(
                lambda: _found(
                    inbox("vecozo", PROVIDER), "bericht_code", CATALOGUE["WMO306"].bericht_code
                ),
                "the hub's retour in the provider's inbox",
            )
            assert retour["afzender"] == PROVIDER  # a retour copies its heenbericht's header
            codes = await pool.fetchval(
                "SELECT retourcodes FROM message WHERE id = $1::uuid", refused
            )
            assert list(codes) == ["9019"]
            assert await inbox("ggk", GEMEENTE) == []  # never delivered to the gemeente

            switched = _history(env, "mode", GEMEENTE, "advisory")
            assert switched.returncode == 0, switched.stderr
            assert f"{GEMEENTE}  advisory  (was enforce)" in switched.stdout

            # Advisory: the same traffic goes to the gemeente, which answers it itself.
            routed = await upload(_start("A0000000002"))
            assert await _until(lambda: status(routed), "the second 305 decided") == "accepted"
            delivered = await _until(
                lambda: _found(inbox("ggk", GEMEENTE), "afzender", PROVIDER),
                "the 305 in the gemeente's inbox",
            )
            assert delivered["bericht_code"] == CATALOGUE["WMO305"].bericht_code
            assert len(await inbox("vecozo", PROVIDER)) == 1  # only the first one's retour

        assert settings.kafka_bootstrap is not None
        seen = await asyncio.to_thread(
            _events_of,
            settings.kafka_bootstrap,
            topics.name(settings, topics.EVENTS),
            routed,
        )
        assert seen[:1] == ["message.accepted"]
        assert seen[-1] == "message.advisory-finding"
        assert "message.rejected" not in seen

        metrics = httpx.get(f"{stack.url('core')}/metrics", timeout=5).text
        line = next(
            x
            for x in metrics.splitlines()
            if x.startswith("isdhub_history_advisory_findings_total{")
        )
        assert 'gemeente="0363"' in line
        assert 'rule="TR019"' in line
        assert line.endswith(" 2.0")

    report = _history(env, "report")
    assert report.returncode == 0, report.stderr
    tr019 = next(x for x in report.stdout.splitlines() if x.split()[:2] == ["TR019", "9019"])
    assert "2 findings on       1 messages" in tr019
    assert routed in tr019
    assert refused not in report.stdout


async def _found(
    entries: Awaitable[list[dict[str, str]]], key: str, value: str
) -> dict[str, str] | None:
    return next((e for e in await entries if e.get(key) == value), None)
