"""The start/stop signal scan at volume (issue #22): more overdue toewijzingen than one pass
takes are each raised exactly once, pass by pass, and one that becomes overdue later still is."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from itertools import pairwise
from typing import Final

from hub.infra import store
from hub.infra.store import DbConnection
from hub.infra.store import signals as table

MANY: Final = 5000
GEMEENTE: Final = "0363"
AANBIEDER: Final = "65656055"
FIRST: Final = date(2024, 1, 1)
CUTOFF: Final = date(2026, 1, 1)  # every toewijzing below is overdue by then

Claim = Callable[[DbConnection, date], Awaitable[list[table.OverdueToewijzing]]]


async def _fill(pool: store.Pool, n: int, offset: int = 0, *, started: bool) -> None:
    """`n` toewijzingen (one person each, Ingangsdatum a day apart from FIRST + offset, ended
    30 days later), with an undeleted 305 line each when `started`; unnest: one statement."""
    people = [f"pk-{offset + i:06d}" for i in range(n)]
    starts = [FIRST + timedelta(days=(offset + i) % 600) for i in range(n)]
    ends = [d + timedelta(days=30) for d in starts]
    await pool.execute(
        """
        INSERT INTO history_toewijzing (gemeente, aanbieder, person_key, toewijzing_nummer,
            product_categorie, product_code, ingangsdatum, einddatum, toegewezen_op, domain)
        SELECT $1, $2, p, 'T1', '02', '02A01', s, e, s::timestamp, 'iwmo'
        FROM unnest($3::text[], $4::date[], $5::date[]) AS x(p, s, e)
        """,
        GEMEENTE, AANBIEDER, people, starts, ends,
    )  # fmt: skip
    if started:
        await pool.execute(
            """
            INSERT INTO history_start (gemeente, aanbieder, person_key, toewijzing_nummer,
                product_categorie, product_code, begindatum)
            SELECT $1, $2, p, 'T1', '02', '02A01', s
            FROM unnest($3::text[], $4::date[]) AS x(p, s)
            """,
            GEMEENTE, AANBIEDER, people, starts,
        )  # fmt: skip


async def _scan_until_done(pool: store.Pool, claim: Claim) -> list[list[table.OverdueToewijzing]]:
    """What each pass raised (one transaction each, as the signal watch scans), until a pass
    finds nothing."""
    passes: list[list[table.OverdueToewijzing]] = []
    while True:
        async with pool.acquire() as conn, conn.transaction():
            found = await claim(conn, CUTOFF)
        if not found:
            return passes
        passes.append(found)
        assert len(passes) <= MANY // 1000 + 2, "the scan keeps raising"


async def _raised_once_each(pool: store.Pool, claim: Claim, kind: str) -> None:
    passes = await _scan_until_done(pool, claim)
    # Every pass took the limit (1000) until the rest: none starved, none was raised twice.
    assert [len(p) for p in passes] == [1000] * (MANY // 1000)
    raised = [o.person_key for p in passes for o in p]
    assert len(set(raised)) == MANY
    assert set(raised) == {f"pk-{i:06d}" for i in range(MANY)}
    # Oldest first: a pass never takes one younger than what a later pass takes.
    clock = (lambda o: o.ingangsdatum) if kind == "no-start" else (lambda o: o.einddatum)
    for earlier, later in pairwise(passes):
        assert max(map(clock, earlier)) <= min(map(clock, later))
    assert await pool.fetchval("SELECT count(*) FROM signal_raised WHERE kind = $1", kind) == MANY

    await _fill(pool, 1, MANY, started=kind == "no-stop")
    late = await _scan_until_done(pool, claim)
    assert [[o.person_key for o in p] for p in late] == [[f"pk-{MANY:06d}"]]


async def test_5000_without_a_start_are_each_raised_once_and_a_later_one_too(
    pool: store.Pool,
) -> None:
    await _fill(pool, MANY, started=False)
    await _raised_once_each(pool, table.claim_without_start, "no-start")


async def test_5000_without_a_stop_are_each_raised_once_and_a_later_one_too(
    pool: store.Pool,
) -> None:
    await _fill(pool, MANY, started=True)
    await _raised_once_each(pool, table.claim_without_stop, "no-stop")
    # Started ones never get a no-start signal.
    async with pool.acquire() as conn, conn.transaction():
        assert await table.claim_without_start(conn, CUTOFF) == []
