"""The signal scans settle what they examined (migration 0028) and examine a toewijzing again
when what decided it changes: its start or stop deleted, its dates changed by a later 301."""

from __future__ import annotations

from datetime import date

from hub.infra import store
from hub.infra.store import signals

CUTOFF = date(2026, 1, 1)
KEY = ("0363", "65656055", "pk-1", "T1")


async def _toewijzing(pool: store.Pool, ingang: date, eind: date) -> None:
    await pool.execute(
        """INSERT INTO history_toewijzing (gemeente, aanbieder, person_key, toewijzing_nummer,
               product_categorie, product_code, ingangsdatum, einddatum, toegewezen_op, domain)
           VALUES ($1, $2, $3, $4, '02', '02A01', $5::date, $6::date, $5::date::timestamp,
                   'iwmo')""",
        *KEY, ingang, eind,
    )  # fmt: skip


async def _line(pool: store.Pool, table: str) -> None:
    stop = ", reden_beeindiging, einddatum" if table == "history_stop" else ""
    values = ", '01', '2025-02-01'" if table == "history_stop" else ""
    await pool.execute(
        f"""INSERT INTO {table} (gemeente, aanbieder, person_key, toewijzing_nummer,
               product_categorie, product_code, begindatum{stop})
            VALUES ($1, $2, $3, $4, '02', '02A01', '2025-01-01'{values})""",
        *KEY,
    )


async def _scan(pool: store.Pool, kind: str) -> list[str]:
    claim = signals.claim_without_start if kind == "no-start" else signals.claim_without_stop
    async with pool.acquire() as conn, conn.transaction():
        return [o.person_key for o in await claim(conn, CUTOFF)]


async def test_a_deleted_start_is_raised_after_its_toewijzing_was_settled(
    pool: store.Pool,
) -> None:
    await _toewijzing(pool, date(2025, 1, 1), date(2025, 6, 1))
    await _line(pool, "history_start")
    assert await _scan(pool, "no-start") == []
    settled = "SELECT start_settled FROM history_toewijzing WHERE person_key = 'pk-1'"
    assert await pool.fetchval(settled) is True
    assert await _scan(pool, "no-start") == []
    await pool.execute("UPDATE history_start SET deleted = true")
    assert await pool.fetchval(settled) is None
    assert await _scan(pool, "no-start") == ["pk-1"]
    assert await _scan(pool, "no-start") == []


async def test_a_deleted_stop_is_raised_after_its_toewijzing_was_settled(
    pool: store.Pool,
) -> None:
    await _toewijzing(pool, date(2025, 1, 1), date(2025, 2, 1))
    await _line(pool, "history_start")
    await _line(pool, "history_stop")
    assert await _scan(pool, "no-stop") == []
    await pool.execute("UPDATE history_stop SET deleted = true")
    assert await _scan(pool, "no-stop") == ["pk-1"]


async def test_a_revived_toewijzing_is_examined_again(pool: store.Pool) -> None:
    # Deleted by the gemeente (Einddatum = Ingangsdatum): no start expected, settled.
    await _toewijzing(pool, date(2025, 1, 1), date(2025, 1, 1))
    assert await _scan(pool, "no-start") == []
    await pool.execute("UPDATE history_toewijzing SET einddatum = '2025-12-31'")
    assert await _scan(pool, "no-start") == ["pk-1"]
