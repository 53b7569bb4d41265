"""The toewijzing and request rules on the real PostgreSQL: extract → load → evaluate → apply,
each rule failing and passing against what earlier batches stored."""

from __future__ import annotations

from hub.domain.privacy import person_key
from hub.infra import store

from ._build import BSN, OTHER_BSN, SECRET, Replay
from ._requests import N, Omvang, T, W, aanvraag, antwoord, toewijzing, verzoek
from .test_store import _facts, one, process

TWO = (T(), T(nummer="300202", categorie="01", code="01A01"))


async def test_tr332_and_tr379_read_the_stored_toewijzingen_and_requests(pool: store.Pool) -> None:
    assert await one(pool, toewijzing(T())) == []
    assert await one(pool, toewijzing(T(), bsn=OTHER_BSN)) == [("TR332", "9332")]
    assert await one(pool, toewijzing(T(nummer="300299"), bsn=OTHER_BSN)) == []
    assert await one(pool, toewijzing(T(ref="VOT-1", tijd="11:00:00"))) == [("TR379", "9379")]
    assert await one(pool, aanvraag("VOT-1")) == []
    assert await one(pool, toewijzing(T(ref="VOT-1", tijd="11:00:00"))) == []
    assert await one(pool, toewijzing(T(ref="VOT-1", tijd="12:00:00"))) == [("TR379", "9379")]
    row = await pool.fetchrow(
        "SELECT domain, referentie_aanbieder, omvang_volume, omvang_frequentie, person_key"
        " FROM history_toewijzing WHERE toewijzing_nummer = '300201'"
    )
    assert row is not None
    assert tuple(row) == ("iwmo", "VOT-1", 4, "2", person_key(BSN, SECRET))
    honoured = await pool.fetchval(
        "SELECT honoured FROM history_request WHERE referentie = 'VOT-1'"
    )
    assert honoured is True


async def test_tr347_tr374_and_the_319_rules_read_the_stored_requests(pool: store.Pool) -> None:
    assert await one(pool, antwoord("VOT-1")) == [("TR355", "9355")]
    assert await one(pool, aanvraag("VOT-1")) == []
    assert await one(pool, aanvraag("VOT-2")) == [("TR374", "9374")]
    assert await one(pool, aanvraag("VOT-2", bsn=OTHER_BSN)) == []
    assert await one(pool, antwoord("VOT-1", "2")) == []
    assert await one(pool, antwoord("VOT-1", "2")) == [("TR360", "9360")]
    assert await one(pool, aanvraag("VOT-3")) == [("TR374", "9374")]  # in onderzoek: open
    assert await one(pool, antwoord("VOT-1", "1")) == []
    assert await one(pool, antwoord("VOT-1", "1")) == [("TR365", "9365")]
    assert await one(pool, aanvraag("VOT-1")) == [("TR347", "9347")]
    assert await one(pool, aanvraag("VOT-3")) == []
    assert await one(pool, toewijzing(T(ref="VOT-3"))) == []
    assert await one(pool, antwoord("VOT-3", "1")) == [("TR359", "9359")]
    rows = await pool.fetch(
        "SELECT referentie, onderzoek, afgewezen, honoured FROM history_request ORDER BY 1"
    )
    assert [tuple(r) for r in rows] == [
        ("VOT-1", True, True, False),
        ("VOT-2", False, False, False),
        ("VOT-3", False, False, True),
    ]


async def test_the_317_rules_read_the_stored_toewijzingen(pool: store.Pool) -> None:
    other = toewijzing(T(nummer="300203"), bsn=OTHER_BSN)
    budget = T(nummer="300204", categorie="03", code=None, omvang=None, budget=10000)
    assert [list(f) for f in (await process(pool, toewijzing(*TWO, budget), other))[0]] == [[], []]
    failing = verzoek(
        "VOW-1",
        ongewijzigd=("300203",),
        te_wijzigen=(W(ingang="2025-05-01", omvang=None), W(nummer="300204", budget=5)),
        nieuw=(N(categorie="01", code="01A01", ingang="2025-07-01"),),
    )
    assert await one(pool, failing) == [
        ("TR304", "8187"),
        ("TR350", "9350"),
        ("TR357", "9357"),
        ("TR411", "9411"),
        ("TR373", "9373"),
        ("TR412", "9412"),
        ("TR349", "9349"),
    ]
    passing = verzoek(
        "VOW-1",
        ongewijzigd=("300202",),
        te_wijzigen=(W(), W(nummer="300204", ingang="2025-04-01", omvang=None, budget=5)),
    )
    assert await one(pool, passing) == []
    overlapping = verzoek(
        "VOW-2",
        ongewijzigd=("300202", "300204"),
        te_wijzigen=(W(),),
        nieuw=(N(categorie="02", code="02A04", omvang=Omvang()),),
        bsn=BSN,
    )
    # The first verzoek is open: TR374; the new product overlaps 300201: TR361.
    assert await one(pool, overlapping) == [("TR374", "9374"), ("TR361", "9361")]
    unknown = verzoek("VOW-3", te_wijzigen=(W(nummer="300299"),), bsn=OTHER_BSN)
    assert await one(pool, unknown) == [("TR351", "9351"), ("TR349", "9349")]


async def test_a_batch_sees_its_own_requests_and_the_loaded_state_is_the_in_memory_one(
    pool: store.Pool,
) -> None:
    roots = [
        aanvraag("VOT-1"),
        antwoord("VOT-1", "2"),
        toewijzing(T(ref="VOT-1")),
        aanvraag("VOT-2"),
    ]
    findings, effects = await process(pool, *roots, antwoord("VOT-1", "1"))
    assert [[f.rule for f in found] for found in findings] == [[], [], [], [], ["TR359"]]
    assert len(effects) == 4
    replay = Replay()
    replay.ok(*roots)
    probe = [_facts(aanvraag("VOT-1")), _facts(antwoord("VOT-2")), _facts(verzoek("VOW-1"))]
    async with pool.acquire() as conn:
        loaded = await store.load_history(conn, probe)
    assert dict(loaded.requests) == dict(replay.state.requests)
    scope = probe[2].scope
    assert scope is not None
    assert loaded.client(scope).toewijzingen == replay.state.client(scope).toewijzingen
    # Writing the same effects again changes nothing.
    before = [tuple(r) for r in await pool.fetch("SELECT * FROM history_request ORDER BY 1, 2, 3")]
    async with pool.acquire() as conn, conn.transaction():
        await store.apply_history(conn, effects)
    after = [tuple(r) for r in await pool.fetch("SELECT * FROM history_request ORDER BY 1, 2, 3")]
    assert after == before


async def test_no_request_row_holds_the_bsn(pool: store.Pool) -> None:
    await process(pool, aanvraag("VOT-1"), antwoord("VOT-1", "2"))
    rows = await pool.fetch("SELECT * FROM history_request")
    assert len(rows) == 1
    assert all(BSN not in str(v) for r in rows for v in r.values())
    assert rows[0]["person_key"] == person_key(BSN, SECRET)
