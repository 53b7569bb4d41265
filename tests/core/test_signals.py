"""Toewijzing signals on a real PostgreSQL: no 305 within 5 werkdagen, no 307 after the end."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from handlers import intake, signals
from hub.domain.decide import Context
from hub.infra import store
from hub.infra.runtime import Runtime
from tests.core.test_intake import _fixture, _item

BSN = "174285917"


async def _signals(pool: store.Pool) -> list[dict[str, object]]:
    rows = await pool.fetch("SELECT payload FROM outbox WHERE topic LIKE '%.events' ORDER BY id")
    found = [json.loads(bytes(r["payload"])) for r in rows]
    return [e for e in found if str(e["type"]).startswith("signal.")]


async def test_missing_start_is_signalled_once(runtime: Runtime) -> None:
    ctx: Context = intake.build_context(runtime)
    await intake.process(runtime, ctx, [_item(_fixture("WMO301"), "0363", "ggk")])
    # Ingangsdatum 2025-04-01 (a Tuesday): five werkdagen later is 2025-04-08.
    assert await signals.scan_once(runtime, datetime(2025, 4, 8, 12, tzinfo=UTC)) == 0
    assert await signals.scan_once(runtime, datetime(2025, 4, 9, 12, tzinfo=UTC)) == 2
    assert await signals.scan_once(runtime, datetime(2025, 4, 20, 12, tzinfo=UTC)) == 0
    raised = await _signals(runtime.pool)
    assert {e["type"] for e in raised} == {"signal.toewijzing-without-start"}
    assert {e["data"]["toewijzing_nummer"] for e in raised} == {"300201", "300202"}  # type: ignore[index]
    assert all(e["sender"] == "65656055" and e["receiver"] == "0363" for e in raised)
    assert all(BSN not in json.dumps(e) for e in raised)


async def test_started_toewijzing_gets_no_start_signal_but_a_stop_signal(
    runtime: Runtime,
) -> None:
    ctx: Context = intake.build_context(runtime)
    await intake.process(runtime, ctx, [_item(_fixture("WMO301"), "0363", "ggk")])
    await intake.process(runtime, ctx, [_item(_fixture("WMO305"), "65656055", "vecozo")])
    assert await signals.scan_once(runtime, datetime(2025, 4, 20, 12, tzinfo=UTC)) == 0
    # Einddatum 2025-12-31 passed without a 307 for either product; the provider has until
    # the 5th werkdag after it (1 January is a holiday): Thursday 8 January.
    assert await signals.scan_once(runtime, datetime(2026, 1, 8, 12, tzinfo=UTC)) == 0
    assert await signals.scan_once(runtime, datetime(2026, 1, 9, 12, tzinfo=UTC)) == 2
    raised = await _signals(runtime.pool)
    assert {e["type"] for e in raised} == {"signal.toewijzing-without-stop"}


async def test_stopped_toewijzing_gets_no_stop_signal(runtime: Runtime) -> None:
    ctx: Context = intake.build_context(runtime)
    await intake.process(runtime, ctx, [_item(_fixture("WMO301"), "0363", "ggk")])
    await intake.process(runtime, ctx, [_item(_fixture("WMO305"), "65656055", "vecozo")])
    await intake.process(runtime, ctx, [_item(_fixture("WMO307"), "65656055", "vecozo")])
    assert await signals.scan_once(runtime, datetime(2026, 2, 2, 12, tzinfo=UTC)) == 0
