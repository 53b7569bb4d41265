"""History state on the real PostgreSQL: extract → load → evaluate → apply, idempotent writes,
and no BSN in any history table."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

from lxml import etree

from hub.domain.findings import Finding
from hub.domain.history import HistoryEffects, HistoryFacts, evaluate, extract
from hub.domain.privacy import person_key
from hub.domain.xmlcodec import child, read_envelope
from hub.infra import store

from ._build import BSN, SECRET, Replay, codes, message, start, stop

TABLES = (
    "history_identificatie",
    "history_toewijzing",
    "history_start",
    "history_stop",
    "history_request",
)


def _facts(root: etree._Element) -> HistoryFacts:
    name = read_envelope(root).message_name
    assert name is not None
    return extract(root, name, SECRET, message_id=uuid4())


async def process(
    pool: store.Pool, *roots: etree._Element
) -> tuple[list[tuple[Finding, ...]], list[HistoryEffects]]:
    """One batch in one transaction: a message is accepted when it raises no finding."""
    facts = [_facts(root) for root in roots]
    findings: list[tuple[Finding, ...]] = []
    effects: list[HistoryEffects] = []
    async with pool.acquire() as conn, conn.transaction():
        state = await store.load_history(conn, facts)
        for f in facts:
            outcome = evaluate(f, state)
            findings.append(outcome.findings)
            if not outcome.findings:
                state = state.with_effects(outcome.effects)
                effects.append(outcome.effects)
        await store.apply_history(conn, effects)
    return findings, effects


async def one(pool: store.Pool, root: etree._Element) -> list[tuple[str, str]]:
    (findings,), _ = await process(pool, root)
    return codes(findings)


async def snapshot(pool: store.Pool) -> dict[str, list[tuple[object, ...]]]:
    return {
        table: [tuple(r) for r in await pool.fetch(f"SELECT * FROM {table} ORDER BY 1, 2, 3, 4")]
        for table in TABLES
    }


async def test_the_rules_see_the_stored_history(pool: store.Pool) -> None:
    assert await one(pool, message("WMO301")) == []
    assert await one(pool, message("WMO305")) == []
    assert await one(pool, message("WMO305")) == [("TR074", "9074")] * 2
    assert await one(pool, message("WMO305", start(status="3"))) == []
    assert await one(pool, message("WMO305", start("2025-04-20"))) == []
    # A stop whose start was never delivered, then the fixture's two definitive stops.
    assert await one(pool, message("WMO307", stop(begin="2025-04-02"))) == [("TR382", "9069")]
    assert await one(pool, message("WMO307", stop(begin="2025-04-20"))) == []
    assert await one(pool, message("WMO307", stop(begin="2025-04-20", reden="02"))) == [
        ("TR415", "9415")
    ]
    assert await one(pool, message("WMO305", start("2025-04-20", status="3"))) == [
        ("TR071", "9071")
    ]
    assert await one(pool, message("WMO305", start("2025-08-01", nummer="300299"))) == [
        ("TR019", "9019")
    ]
    assert await one(pool, message("WMO301", identificatie="5")) == []
    assert await one(pool, message("WMO301", identificatie="5")) == [("TR056", "9056")]


async def test_tr074_a_deleted_start_re_sent_is_live_again_in_the_store(pool: store.Pool) -> None:
    """READING 7 on the real store: delete, re-send (live again), re-send (TR074), and a
    delete and its re-send in one batch."""
    assert await one(pool, message("WMO301")) == []
    assert await one(pool, message("WMO305", start())) == []
    assert await one(pool, message("WMO305", start(status="3"))) == []
    assert await one(pool, message("WMO305", start())) == []
    assert await one(pool, message("WMO305", start())) == [("TR074", "9074")]
    findings, _ = await process(
        pool, message("WMO305", start(status="3")), message("WMO305", start())
    )
    assert [codes(f) for f in findings] == [[], []]
    assert await one(pool, message("WMO305", start())) == [("TR074", "9074")]
    deleted = await pool.fetchval("SELECT bool_or(deleted) FROM history_start")
    assert deleted is False


async def test_a_batch_sees_its_own_earlier_messages(pool: store.Pool) -> None:
    findings, effects = await process(
        pool,
        message("WMO301"),
        message("WMO305"),
        message("WMO307", stop("2025-06-01", reden="20")),
        message("WMO307", stop("2025-05-01", reden="31")),  # before the temporary stop
    )
    assert [codes(f) for f in findings] == [[], [], [], [("TR414", "9414")]]
    assert len(effects) == 3
    counts = {t: await pool.fetchval(f"SELECT count(*) FROM {t}") for t in TABLES}
    assert counts == {
        "history_identificatie": 3,
        "history_toewijzing": 2,
        "history_start": 2,
        "history_stop": 1,
        "history_request": 0,
    }


async def test_reapplying_effects_changes_nothing(pool: store.Pool) -> None:
    _, effects = await process(
        pool,
        message("WMO301"),
        message("WMO305"),
        message("WMO307", stop("2025-06-01", reden="20")),
        message("WMO307", stop("2025-06-01", reden="20", status="3")),
        message("WMO305", start(status="3")),
    )
    assert len(effects) == 5
    before = await snapshot(pool)
    deleted = await pool.fetchval("SELECT count(*) FROM history_start WHERE deleted")
    assert deleted == 1
    async with pool.acquire() as conn, conn.transaction():
        await store.apply_history(conn, effects)  # the whole batch again
        for e in effects:  # and each message alone, in its order
            await store.apply_history(conn, e)
        # A message alone again ends as it found the rows (here: nothing it deletes revives).
        await store.apply_history(conn, effects[-1])
    assert await snapshot(pool) == before


async def test_loaded_state_is_the_in_memory_state(pool: store.Pool) -> None:
    roots = [
        message("WMO301"),
        message("WMO305"),
        message("WMO307", stop("2025-06-01", reden="20")),
        message(
            "WMO305", start("2025-04-03", nummer="300202", categorie="01", code="01A01", status="3")
        ),
        message("WMO307", stop("2025-06-03", reden="31")),
    ]
    replay = Replay()
    replay.ok(*roots)
    await process(pool, *roots)
    probe = [_facts(message("WMO305")), _facts(message("WMO307"))]
    async with pool.acquire() as conn:
        loaded = await store.load_history(conn, probe)
    scope = probe[0].scope
    assert scope is not None
    assert loaded.client(scope) == replay.state.client(scope)
    assert len(loaded.client(scope).stops) == 2


async def test_a_newer_toewijzing_wins_and_an_older_one_does_not_overwrite(
    pool: store.Pool,
) -> None:
    newer = message("WMO301")
    product = newer.find(".//{*}ToegewezenProduct")
    assert product is not None
    tijd, einde = child(product, "Toewijzingstijd"), child(product, "Einddatum")
    assert tijd is not None
    assert einde is not None
    tijd.text, einde.text = "11:00:00", "2025-06-30"
    assert await one(pool, newer) == []
    assert await one(pool, message("WMO301")) == []  # the older version, sent later
    rows = await pool.fetch(
        "SELECT toewijzing_nummer, einddatum FROM history_toewijzing ORDER BY 1"
    )
    assert [tuple(r) for r in rows] == [
        ("300201", date(2025, 6, 30)),
        ("300202", date(2025, 12, 31)),
    ]


async def test_no_history_table_holds_the_bsn_or_other_personal_data(pool: store.Pool) -> None:
    await process(pool, message("WMO301"), message("WMO305"), message("WMO307"))
    columns = await pool.fetch(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = 'public' AND table_name LIKE 'history%'"
    )
    assert {r["table_name"] for r in columns} >= set(TABLES)
    for r in columns:
        table, column = r["table_name"], r["column_name"]
        # Every column as text, so no type hides it: the Bsn, the surname, the birth date.
        for needle in (BSN, "Berg", "1948-03-14"):
            hits = await pool.fetchval(
                f'SELECT count(*) FROM {table} WHERE "{column}"::text LIKE $1', f"%{needle}%"
            )
            assert hits == 0, f"{table}.{column} holds personal data"
    persons = await pool.fetch(
        "SELECT DISTINCT person_key FROM history_start"
        " UNION SELECT person_key FROM history_stop"
        " UNION SELECT person_key FROM history_toewijzing"
    )
    assert [r[0] for r in persons] == [person_key(BSN, SECRET)]
