"""Declaratie history on the real PostgreSQL: extract → load → evaluate → apply, one
transaction per batch; what a batch writes the next batch reads."""

from __future__ import annotations

from lxml import etree

from hub.domain.history import evaluate
from hub.infra import store

from ._build import BSN, OTHER_BSN
from ._declaratie import P, T, antwoord, declaratie, facts_of, on_db, toewijzing

MAY = ("2025-05-01", "2025-05-31")
JUNE = ("2025-06-01", "2025-06-30")
TABLES = ("history_declaratie", "history_prestatie")


def in_may(ref: str, **kw: object) -> P:
    return P(ref, begin="2025-05-01", end="2025-05-31", **kw)  # type: ignore[arg-type]


async def one(pool: store.Pool, root: etree._Element) -> list[tuple[str, str]]:
    (found,) = await on_db(pool, root)
    return found


async def statuses(pool: store.Pool) -> dict[str, tuple[str, str]]:
    rows = await pool.fetch("SELECT referentie_nummer, status, declaratie FROM history_prestatie")
    return {r[0]: (r[1], r[2]) for r in rows}


def ident(root: etree._Element) -> str:
    return root.findtext("{*}Header/{*}BerichtIdentificatie/{*}Identificatie") or ""


async def test_the_323_rules_read_what_earlier_batches_wrote(pool: store.Pool) -> None:
    assert await one(pool, toewijzing(T(), T(nummer="300301"))) == []
    assert await one(pool, toewijzing(T(nummer="300401"), bsn=OTHER_BSN)) == []
    partly = declaratie(P("R1"), P("R2", nummer="300299"), P("R3", nummer="300401"), nummer="N1")
    assert await one(pool, partly) == [("TR338", "9338"), ("TR304", "8187")]
    # The hub answers it itself (its own 325): the accepted Prestatie is approved at once.
    assert await statuses(pool) == {"R1": ("approved", ident(partly))}
    assert await one(pool, declaratie(P("R1"), in_may("R2"), periode=MAY)) == [
        ("TR314", "8021"),
        ("TR389", "9389"),
    ]
    # R2 was accepted, so May is taken (TR318) and N1 stays taken (TR333).
    assert await one(pool, declaratie(in_may("R5"), nummer="N1", periode=JUNE)) == [
        ("TR333", "9333")
    ]
    assert await one(pool, declaratie(in_may("R4", nummer="300301"), periode=MAY)) == [
        ("TR318", "8214")
    ]
    assert await one(pool, declaratie(P("C1", credit=True, vorig="R1"), periode=JUNE)) == []
    july = ("2025-07-01", "2025-07-31")
    assert await one(pool, declaratie(P("C2", credit=True, vorig="R1"), periode=july)) == [
        ("TR390", "9390")
    ]
    assert await one(pool, declaratie(P("C3", credit=True, vorig="R9"), periode=july)) == [
        ("TR323", "8017")
    ]


async def test_a_325_rejects_prestaties_and_frees_their_references(pool: store.Pool) -> None:
    assert await one(pool, toewijzing(T(), T(nummer="300301"))) == []
    heen = declaratie(P("R1"), P("R2", nummer="300301"))
    assert await one(pool, heen) == []
    assert await statuses(pool) == {"R1": ("pending", ident(heen)), "R2": ("pending", ident(heen))}
    assert await one(pool, antwoord(heen, ["R2"])) == []
    assert await statuses(pool) == {
        "R1": ("approved", ident(heen)),
        "R2": ("rejected", ident(heen)),
    }
    again = declaratie(in_may("R2", nummer="300301"), periode=MAY)
    assert await one(pool, again) == []  # a rejected ReferentieNummer may come again
    assert (await statuses(pool))["R2"] == ("pending", ident(again))
    # TR385: 300201 has an approved, uncredited Prestatie; 300301 only a pending one.
    delete = T(eind="2025-04-01", reden="13", tijd="11:00:00")
    assert await one(pool, toewijzing(delete)) == [("TR385", "9385")]
    delete_other = T(nummer="300301", eind="2025-04-01", reden="13", tijd="11:00:00")
    assert await one(pool, toewijzing(delete_other)) == []


async def test_a_declaratie_and_its_325_in_one_batch(pool: store.Pool) -> None:
    heen = declaratie(P("R1"), P("R2", nummer="300301"))
    reuse = declaratie(in_may("R1"), periode=MAY)
    found = await on_db(
        pool, toewijzing(T(), T(nummer="300301")), heen, antwoord(heen, ["R1"]), reuse
    )
    assert found == [[], [], [], []]
    assert await statuses(pool) == {
        "R1": ("pending", ident(reuse)),
        "R2": ("approved", ident(heen)),
    }
    june = declaratie(P("R1", begin="2025-06-01", end="2025-06-30"), periode=JUNE)
    assert await one(pool, june) == [("TR314", "8021")]


async def test_a_declaratie_the_gemeente_refused_counts_as_never_sent(pool: store.Pool) -> None:
    assert await one(pool, toewijzing(T())) == []
    heen = declaratie(P("R1"), nummer="N1")
    assert await one(pool, heen) == []
    assert await one(pool, antwoord(heen, header_codes=["0001"])) == []
    assert await statuses(pool) == {"R1": ("rejected", ident(heen))}
    assert await one(pool, declaratie(P("R1"), nummer="N1")) == []  # no TR333, TR318, TR314


async def test_writes_are_idempotent_and_hold_no_bsn(pool: store.Pool) -> None:
    assert await one(pool, toewijzing(T())) == []
    heen = declaratie(P("R1"), P("R2", nummer="300299"))
    facts = [facts_of(heen)]
    async with pool.acquire() as conn, conn.transaction():
        state = await store.load_history(conn, facts)
        outcome = evaluate(facts[0], state)
        assert outcome.effects.declaratie is not None
        await store.apply_history(conn, [outcome.effects])
    before = {t: [tuple(r) for r in await pool.fetch(f"SELECT * FROM {t}")] for t in TABLES}
    async with pool.acquire() as conn, conn.transaction():
        await store.apply_history(conn, [outcome.effects, outcome.effects])
    after = {t: [tuple(r) for r in await pool.fetch(f"SELECT * FROM {t}")] for t in TABLES}
    assert before == after
    assert len(after["history_prestatie"]) == 1
    text = repr(after)
    assert BSN not in text
    assert OTHER_BSN not in text
