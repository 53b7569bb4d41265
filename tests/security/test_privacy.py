"""No BSN and no name leaves the ledger by a side door: a short flow (uploads at the adapters,
then the core's intake) is run in-process with every logger at DEBUG, and the captured logs,
the Kafka keys and headers (ingress as published by the adapters, and every record the core
writes to its outbox for egress, events and the DLQ) and the metric labels of /metrics are
scanned for the fixtures' BSNs and surnames."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any
from uuid import UUID

import pytest

from handlers import intake
from hub.app import make_runtime
from hub.domain import xmlcodec
from hub.domain.decide import Incoming
from hub.domain.headers import H
from hub.infra import store
from hub.infra.kafka import topic_admin
from hub.infra.logs import QUIET_LOGGERS, quiet_libraries
from hub.settings import Settings
from tests.adapterkit import ingress_records
from tests.security.conftest import FIXTURES, Client, Issue, bearer

WMO301 = (FIXTURES / "iwmo-3.2" / "WMO301.xml").read_bytes()  # 0363 → 65656055
WMO305 = (FIXTURES / "iwmo-3.2" / "WMO305.xml").read_bytes()  # 65656055 → 0363
BSNS = ("174285917", "174285918")  # the fixtures' BSN, and the one that breaks its 11-check
BAD_BSN_305 = WMO305.replace(b">174285917<", b">174285918<")


def _surnames() -> set[str]:
    names: set[str] = set()
    for path in (FIXTURES / "iwmo-3.2").glob("*.xml"):
        root = xmlcodec.parse_message(path.read_bytes())
        names |= {
            (e.text or "").strip() for e in root.iter() if xmlcodec.local_name(e) == "Achternaam"
        }
    names.discard("")
    assert names, "the fixtures carry surnames"
    return names


def _leaks(text: str, where: str) -> list[str]:
    found = [f"{where}: BSN {b}" for b in BSNS if b in text]
    for name in _surnames():
        if re.search(rf"\b{re.escape(name)}\b", text):
            found.append(f"{where}: surname {name}")
    return found


def _incoming(record: Any) -> Incoming:
    headers = {k: bytes(v).decode() for k, v in record.headers}
    return Incoming(
        id=UUID(headers[H.MESSAGE_ID.value]),
        node=headers[H.NODE.value],
        party=headers[H.PARTY.value],
        received_at=datetime.fromisoformat(headers[H.RECEIVED_AT.value]),
        payload=record.value,
        partition=record.partition,
        offset=record.offset,
        topic=record.topic,
    )


async def test_no_bsn_or_name_in_logs_keys_or_metric_labels(
    settings: Settings,
    registry: store.Pool,
    database_url: str,
    token: Issue,
    adapter: Client,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Every logger at DEBUG, as a hub process with HUB_LOG_LEVEL=DEBUG runs them (hub.infra.logs
    # keeps the libraries that log payloads at WARNING even then).
    caplog.set_level(logging.DEBUG)
    saved = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    quiet_libraries(logging.DEBUG)
    try:
        await _flow(settings, registry, database_url, token, adapter, caplog)
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def test_hub_processes_never_log_kafka_payloads_even_at_debug() -> None:
    """aiokafka's producer logs each record's key and value at DEBUG: a hub process keeps it
    at WARNING whatever HUB_LOG_LEVEL says."""
    saved = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    try:
        quiet_libraries("DEBUG")
        assert not logging.getLogger("aiokafka.producer.producer").isEnabledFor(logging.DEBUG)
        assert not logging.getLogger("aiokafka.producer.producer").isEnabledFor(logging.INFO)
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


async def _flow(
    settings: Settings,
    registry: store.Pool,
    database_url: str,
    token: Issue,
    adapter: Client,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert settings.kafka_bootstrap is not None
    await topic_admin.ensure_topics(settings, settings.kafka_bootstrap)
    gemeente = await token("0363")
    provider = await token("65656055")
    async with adapter("ggk") as ggk, adapter("vecozo") as vecozo:
        uploads = [
            await ggk.post("/v1/messages", content=WMO301, headers=bearer(gemeente)),
            await vecozo.post("/v1/messages", content=WMO305, headers=bearer(provider)),
            await vecozo.post("/v1/messages", content=BAD_BSN_305, headers=bearer(provider)),
        ]
        assert [u.status_code for u in uploads] == [202, 202, 202], [u.text for u in uploads]
        refused = [
            # Schema failure on the BSN, and a spoofed sender: refusals name no value.
            await vecozo.post(
                "/v1/messages",
                content=WMO305.replace(b">174285917<", b">1742859170<"),
                headers=bearer(provider),
            ),
            await ggk.post("/v1/messages", content=WMO305, headers=bearer(gemeente)),
        ]
        assert [r.status_code for r in refused] == [400, 403]

        records = await ingress_records(settings, 3)
        core = make_runtime(settings, settings.kafka_bootstrap, database_url, "test-core")
        core.attach_pool(registry)
        try:
            ctx = intake.build_context(core)
            items = sorted((_incoming(r) for r in records), key=lambda i: i.payload != WMO301)
            await intake.process(core, ctx, items[:1])  # the toewijzing first (TR019)
            await intake.process(core, ctx, items[1:])
        finally:
            core.attach_pool(None)
        statuses = sorted(r["status"] for r in await registry.fetch("SELECT status FROM message"))
        assert statuses.count("accepted") >= 2, statuses
        assert "rejected" in statuses, statuses
        metrics_text = (await ggk.get("/metrics")).text + (await vecozo.get("/metrics")).text

    leaks: list[str] = []
    for answer in refused:
        leaks += _leaks(answer.text, "refusal body")
    for record in caplog.records:
        leaks += _leaks(record.getMessage(), f"log {record.name}")
        if record.exc_text:
            leaks += _leaks(record.exc_text, f"log traceback {record.name}")
    for record in records:
        leaks += _leaks((record.key or b"").decode(errors="replace"), "ingress key")
        for key, value in record.headers:
            leaks += _leaks(bytes(value).decode(errors="replace"), f"ingress header {key}")
    outbox = await registry.fetch("SELECT topic, key, headers FROM outbox")
    assert {r["topic"].rsplit(".", 1)[-1] for r in outbox} >= {"ggk", "vecozo", "events"}
    for row in outbox:
        leaks += _leaks(bytes(row["key"] or b"").decode(errors="replace"), f"key {row['topic']}")
        leaks += _leaks(str(row["headers"]), f"headers {row['topic']}")
    labels = "\n".join(
        line[line.find("{") : line.rfind("}") + 1]
        for line in metrics_text.splitlines()
        if not line.startswith("#") and "{" in line
    )
    assert labels, "the adapters expose labelled metrics"
    leaks += _leaks(labels, "metric labels")
    assert not leaks, leaks
