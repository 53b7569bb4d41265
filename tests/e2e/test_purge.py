"""The core purges by itself: with HUB_PURGE_INTERVAL_S set, a running `hub core` empties the
payloads past HUB_PAYLOAD_RETENTION_HOURS that nothing needs (as `hub purge` does) and keeps
their audit metadata; stale entries of the ingress journal go too."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from prometheus_client import REGISTRY

from handlers import purge as retention
from hub.infra import store
from hub.settings import Settings
from tests.e2e.stack import CORE, hub_env, prepare, running

pytestmark = pytest.mark.e2e

PAYLOAD = b"<Bericht><Bsn>174285917</Bsn></Bericht>"
OLD = datetime.now(UTC) - timedelta(days=40)
RECENT = datetime.now(UTC) - timedelta(hours=2)


async def _message(pool: store.Pool, received_at: datetime, downloaded: bool) -> UUID:
    message_id = uuid4()
    await pool.execute(
        "INSERT INTO message (id, received_at, source_node, submitted_by, bericht_code,"
        " identificatie, status, payload, payload_sha256, receiver, receiver_node)"
        " VALUES ($1, $2, 'ggk', '0363', '414', $3, 'accepted', $4, $5, '65656055', 'vecozo')",
        message_id,
        received_at,
        f"P{message_id.hex[:10]}",
        PAYLOAD,
        hashlib.sha256(PAYLOAD).digest(),
    )
    await pool.execute(
        "INSERT INTO delivery (message_id, node, party, downloaded_at)"
        " VALUES ($1, 'vecozo', '65656055', $2)",
        message_id,
        received_at if downloaded else None,
    )
    return message_id


async def _journal(pool: store.Pool, journaled_at: datetime) -> UUID:
    message_id = uuid4()
    await pool.execute(
        "INSERT INTO ingress_journal (message_id, node, headers, payload, journaled_at)"
        " VALUES ($1, 'ggk', $2, $3, $4)",
        message_id,
        json.dumps({}),
        PAYLOAD,
        journaled_at,
    )
    return message_id


async def test_running_core_purges_downloaded_payloads_on_its_own(
    settings: Settings, pool: store.Pool, database_url: str
) -> None:
    await prepare(settings, pool, ())
    purged = await _message(pool, OLD, downloaded=True)
    pending = await _message(pool, OLD, downloaded=False)  # still in its receiver's inbox
    recent = await _message(pool, RECENT, downloaded=True)
    stale = await _journal(pool, OLD)
    fresh = await _journal(pool, RECENT)
    env = hub_env(
        settings, database_url, HUB_PURGE_INTERVAL_S="1", HUB_PAYLOAD_RETENTION_HOURS="24"
    )
    with running(env, {"core": CORE}):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if await pool.fetchval("SELECT purged_at FROM message WHERE id = $1", purged):
                break
            await asyncio.sleep(0.2)
    rows = {r["id"]: r for r in await pool.fetch("SELECT * FROM message")}
    assert bytes(rows[purged]["payload"]) == b""
    assert rows[purged]["purged_at"] is not None
    # The audit metadata stays.
    assert rows[purged]["payload_sha256"] == hashlib.sha256(PAYLOAD).digest()
    assert rows[purged]["identificatie"] == f"P{purged.hex[:10]}"
    assert await pool.fetchval("SELECT count(*) FROM delivery WHERE message_id = $1", purged) == 1
    for kept in (pending, recent):
        assert bytes(rows[kept]["payload"]) == PAYLOAD
        assert rows[kept]["purged_at"] is None
    journaled = {r["message_id"] for r in await pool.fetch("SELECT * FROM ingress_journal")}
    assert stale not in journaled
    assert fresh in journaled


async def test_purge_watch_goes_in_bounded_batches(
    pool: store.Pool, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [await _message(pool, OLD, downloaded=True) for _ in range(5)]
    waiting = await _message(pool, OLD, downloaded=False)  # its receiver has not fetched it
    purged_before = REGISTRY.get_sample_value("isdhub_purged_messages_total") or 0.0
    monkeypatch.setattr(retention, "_BATCH", 2)
    calls: list[int] = []
    real = retention.retention.purge

    async def counting(*args: object, **kwargs: object) -> retention.retention.PurgeResult:
        result = await real(*args, **kwargs)  # type: ignore[arg-type]
        calls.append(result.messages)
        return result

    monkeypatch.setattr(retention.retention, "purge", counting)
    watch = retention.PurgeWatch(lambda: pool, settings.model_copy(update={"purge_interval_s": 1}))
    result = await watch.purge_once()
    assert result.messages == 5
    assert calls == [2, 2, 1]
    assert watch.purged == 5
    # What SREs see: the payloads purged, and the one kept past retention and why.
    assert REGISTRY.get_sample_value("isdhub_purged_messages_total") == purged_before + 5
    assert REGISTRY.get_sample_value("isdhub_purge_kept_messages", {"reason": "download"}) == 1
    assert REGISTRY.get_sample_value("isdhub_purge_kept_messages", {"reason": "retour"}) == 0
    assert (REGISTRY.get_sample_value("isdhub_purge_last_run_seconds") or -1) >= 0
    assert await pool.fetchval("SELECT purged_at FROM message WHERE id = $1", waiting) is None
    left = await pool.fetchval(
        "SELECT count(*) FROM message WHERE id = ANY($1::uuid[]) AND purged_at IS NULL", ids
    )
    assert left == 0
