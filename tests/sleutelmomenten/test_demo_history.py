"""`hub up --demo` seeds three months of back-dated history (hub.ops.demo_history) on
PostgreSQL: all of it imported, measured with real lateness (starts late beyond their clock,
adjusting 301s werkdagen after their stop) spread over at least three months, and a second
seeding (a restart on the same data) imports nothing."""

from __future__ import annotations

from datetime import date
from typing import Final

from hub.domain.eigenbijdrage.policy import DEMO_FILE, load_policy
from hub.domain.validation import Validator
from hub.infra import store
from hub.ops.demo_history import seed
from tests import packkit

SECRET: Final = b"demo-history-secret"
TODAY: Final = date(2026, 12, 2)


async def test_seeded_history_is_measured_with_lateness_over_three_months(
    pool: store.Pool,
) -> None:
    validator = Validator(packkit.default_packs())
    policy = load_policy(DEMO_FILE)
    seeded = await seed(pool, validator, SECRET, policy, TODAY)
    assert seeded.skipped == ()
    assert seeded.messages >= 500
    assert seeded.first is not None
    assert seeded.last is not None
    assert seeded.last < TODAY
    assert "seeded" in seeded.line()

    rows = await pool.fetch(
        "SELECT moment, outcome, werkdagen, arrived_on, source FROM sleutelmoment"
    )
    assert {r["source"] for r in rows} == {"import"}
    by_moment: dict[str, list[tuple[str, int | None, date | None]]] = {}
    for r in rows:
        by_moment.setdefault(r["moment"], []).append(
            (r["outcome"], r["werkdagen"], r["arrived_on"])
        )
    # (antwoord is measured by intake's answer clocks, which an import does not run)
    assert set(by_moment) == {
        "toewijzing", "toewijzingsdatum", "start", "stop", "aanpassing",
    }  # fmt: skip
    starts = by_moment["start"]
    assert sum(w is not None and w > 0 for _, w, _ in starts) > len(starts) // 2
    assert any(o == "late" for o, _, _ in starts)
    assert any(o == "on_time" for o, _, _ in starts)
    assert any(o == "late" for o, _, _ in by_moment["stop"])
    adjusted = [w for o, w, _ in by_moment["aanpassing"] if o == "measured"]
    assert len(adjusted) >= 20
    assert all(w is not None and w > 0 for w in adjusted)
    assert any(o == "open" for o, _, _ in by_moment["aanpassing"])  # some gemeenten never do
    for moment in ("toewijzing", "start", "stop", "aanpassing"):
        months = {(d.year, d.month) for _, _, d in by_moment[moment] if d is not None}
        assert len(months) >= 3, moment
    assert not any(o == "implausible" for r in rows for o in [r["outcome"]])

    # A restart on the same database (the same day or a later one): nothing imported again.
    for day in (TODAY, date(2026, 12, 9)):
        again = await seed(pool, validator, SECRET, policy, day)
        assert again.messages == 0
        assert again.skipped == ()
        assert "earlier start" in again.line()
    assert await pool.fetchval("SELECT count(*) FROM sleutelmoment") == len(rows)
