"""The stop sleutelmoment counted as open when the signal watch finds a toewijzing past its
Einddatum without a 307 (issue #19), on a real PostgreSQL through intake and the scan."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Final
from uuid import uuid4

import pytest

from handlers import intake, signals
from hub.domain.decide import Context
from hub.infra import metrics
from hub.infra.runtime import Runtime
from hub.infra.store import sleutelmomenten as moments
from tests.core.test_intake import _fixture, _item

BSN: Final = "174285917"
TOEWIJZING: Final = uuid4()  # the 301's message id
AFTER_DEADLINE: Final = datetime(2026, 1, 9, 12, tzinfo=UTC)  # Einddatum 2025-12-31 + 5 wd


def _open_count() -> float:
    return metrics.SLEUTELMOMENTEN.labels("stop", "0363", "open")._value.get()  # type: ignore[no-any-return]


def _failures() -> float:
    return metrics.FAILURES.labels("sleutelmomenten")._value.get()  # type: ignore[no-any-return]


async def _started(runtime: Runtime) -> Context:
    """The fixture's 301 (two toewijzingen, ending 2025-12-31, message id TOEWIJZING) and its
    305, through intake."""
    ctx: Context = intake.build_context(runtime)
    await intake.process(runtime, ctx, [_item(_fixture("WMO301"), "0363", "ggk", TOEWIJZING)])
    await intake.process(runtime, ctx, [_item(_fixture("WMO305"), "65656055", "vecozo")])
    return ctx


async def test_a_missing_stop_is_an_open_stop_moment_once(runtime: Runtime) -> None:
    await _started(runtime)
    before = _open_count()
    assert await signals.scan_once(runtime, datetime(2026, 1, 8, 12, tzinfo=UTC)) == 0
    assert await signals.scan_once(runtime, AFTER_DEADLINE) == 2
    assert await signals.scan_once(runtime, datetime(2026, 2, 2, 12, tzinfo=UTC)) == 0
    rows = await runtime.pool.fetch(
        "SELECT * FROM sleutelmoment WHERE moment = 'stop' ORDER BY toewijzing_nummer"
    )
    assert [r["toewijzing_nummer"] for r in rows] == ["300201", "300202"]
    for r in rows:
        assert (r["outcome"], r["source"], r["domain"]) == ("open", "live", "iwmo")
        assert (r["gemeente"], r["aanbieder"]) == ("0363", "65656055")
        assert r["reference_date"] == date(2025, 12, 31)
        assert (r["arrived_on"], r["werkdagen"], r["message_id"]) == (None, None, None)
        assert (r["deadline"], r["about_id"], r["line"], r["reference"]) == (5, TOEWIJZING, "", "")
        assert r["person_key"]
        assert BSN not in str(dict(r))
    assert _open_count() - before == 2


async def test_a_failing_write_keeps_the_signals(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _started(runtime)

    async def broken(*_: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(moments, "insert", broken)
    failures = _failures()
    before = _open_count()
    assert await signals.scan_once(runtime, AFTER_DEADLINE) == 2
    assert _failures() == failures + 1
    assert _open_count() == before
    assert await runtime.pool.fetchval("SELECT count(*) FROM signal_raised") == 2
    stops = "SELECT count(*) FROM sleutelmoment WHERE moment = 'stop'"
    assert await runtime.pool.fetchval(stops) == 0


async def test_the_307_replaces_the_open_stop_moment(runtime: Runtime) -> None:
    ctx = await _started(runtime)
    assert await signals.scan_once(runtime, AFTER_DEADLINE) == 2
    await intake.process(runtime, ctx, [_item(_fixture("WMO307"), "65656055", "vecozo")])
    rows = await runtime.pool.fetch(
        "SELECT toewijzing_nummer, outcome, reference_date FROM sleutelmoment"
        " WHERE moment = 'stop' ORDER BY toewijzing_nummer"
    )
    # The 307 (received 2025-07-21, a Monday) stopped both on Friday 18 July: 1 werkdag.
    assert [tuple(r) for r in rows] == [
        ("300201", "on_time", date(2025, 7, 18)),
        ("300202", "on_time", date(2025, 7, 18)),
    ]
