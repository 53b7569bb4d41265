"""Productperiode conflicts on a real PostgreSQL: a 301 shortening a toewijzing below a pending
323 is recorded once and announced once (signal.productperiode-conflict), never twice."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Final
from uuid import UUID

from handlers import productperiode
from hub.domain import events
from hub.domain.privacy import person_key
from hub.domain.sleutelmomenten.moments import Shortening
from hub.infra import store

BSN: Final = "174285917"
PERSON: Final = person_key(BSN, b"test-secret")
TOPIC: Final = "t.events"
NOW: Final = datetime(2025, 5, 20, 9, 30, tzinfo=UTC)
MSG: Final = UUID("0b8f3a52-6f0e-4c4e-9d0a-6a3c1f2b7e11")
SHORT: Final = Shortening(
    domain="iwmo",
    gemeente="0363",
    aanbieder="65656055",
    person_key=PERSON,
    toewijzing_nummer="300201",
    einddatum=date(2025, 5, 15),
    previous_einddatum=date(2025, 12, 31),
    message_id=MSG,
)


async def _prestatie(
    pool: store.Pool,
    ref: str,
    begin: date,
    end: date,
    *,
    status: str = "pending",
    credit: bool = False,
    declaratie: str = "D2025A",
    aanbieder: str = "65656055",
    toewijzing: str = "300201",
) -> None:
    """One accepted Prestatie as the declaratie history keeps it (migration 0013)."""
    await pool.execute(
        """
        INSERT INTO history_prestatie (domain, aanbieder, referentie_nummer, gemeente,
            declaratie, person_key, vorig_referentie_nummer, credit, toewijzing_nummer,
            product_categorie, product_code, begindatum, einddatum, geleverd_volume, eenheid,
            fingerprint, status)
        VALUES ('iwmo', $1, $2, '0363', $3, $4, $5, $6, $10, '02', '02A01', $7, $8, 10,
                '01', 'f', $9)
        """,
        aanbieder, ref, declaratie, PERSON, "R-OLD" if credit else "", credit, begin, end,
        status, toewijzing,
    )  # fmt: skip


async def _check(pool: store.Pool, *shortenings: Shortening) -> int:
    async with pool.acquire() as conn, conn.transaction():
        return await productperiode.check(conn, shortenings, TOPIC, NOW)


async def _events(pool: store.Pool) -> list[bytes]:
    rows = await pool.fetch("SELECT payload FROM outbox WHERE topic = $1 ORDER BY id", TOPIC)
    return [bytes(r["payload"]) for r in rows]


async def test_a_shortening_below_a_pending_prestatie_is_announced_once(
    pool: store.Pool,
) -> None:
    await _prestatie(pool, "R-MAY", date(2025, 5, 1), date(2025, 5, 31))
    await _prestatie(pool, "R-JUN", date(2025, 6, 1), date(2025, 6, 30))
    await _prestatie(pool, "R-APR", date(2025, 4, 1), date(2025, 4, 30))  # ends before: fine
    await _prestatie(pool, "R-CR", date(2025, 6, 1), date(2025, 6, 30), credit=True)
    await _prestatie(pool, "R-OK", date(2025, 6, 1), date(2025, 6, 30), status="approved")
    await _prestatie(pool, "R-X", date(2025, 6, 1), date(2025, 6, 30), aanbieder="12345678")

    assert await _check(pool, SHORT) == 1

    rows = await pool.fetch("SELECT * FROM productperiode_conflict")
    assert len(rows) == 1
    row = rows[0]
    assert row["referentie_nummers"] == ["R-MAY", "R-JUN"]
    assert (row["periode_begin"], row["periode_eind"]) == (date(2025, 5, 1), date(2025, 6, 30))
    assert (row["einddatum"], row["previous_einddatum"]) == (date(2025, 5, 15), date(2025, 12, 31))
    assert (row["relation"], row["declaratie"], row["message_id"]) == ("partly", "D2025A", MSG)
    assert row["person_key"] == PERSON
    assert row["raised_at"] == NOW

    (payload,) = await _events(pool)
    assert BSN not in payload.decode()
    event = events.parse_event(payload)  # validates against the event model
    assert isinstance(event, events.ProductperiodeConflict)
    assert (event.message_id, event.message_type, event.standard) == (MSG, "WMO301", "iwmo")
    assert (event.sender, event.receiver, event.person) == ("0363", "65656055", PERSON)
    data = json.loads(payload)["data"]
    assert data == {
        "toewijzing_nummer": "300201",
        "einddatum": "2025-05-15",
        "previous_einddatum": "2025-12-31",
        "declaratie": "D2025A",
        "relation": "partly",
        "prestaties": [
            {"referentie_nummer": "R-MAY", "begindatum": "2025-05-01",
             "einddatum": "2025-05-31", "categorie": "02", "code": "02A01",
             "relation": "partly"},
            {"referentie_nummer": "R-JUN", "begindatum": "2025-06-01",
             "einddatum": "2025-06-30", "categorie": "02", "code": "02A01",
             "relation": "wholly"},
        ],
        "deleted": False,
    }  # fmt: skip

    # The 301 redelivered (or measured again): nothing new, no second event.
    assert await _check(pool, SHORT) == 0
    assert await pool.fetchval("SELECT count(*) FROM productperiode_conflict") == 1
    assert len(await _events(pool)) == 1


async def test_answered_prestaties_and_no_shortenings_raise_nothing(pool: store.Pool) -> None:
    await _prestatie(pool, "R-OK", date(2025, 6, 1), date(2025, 6, 30), status="approved")
    await _prestatie(pool, "R-NO", date(2025, 6, 1), date(2025, 6, 30), status="rejected")
    await _prestatie(pool, "R-ON", date(2025, 5, 1), date(2025, 5, 15))  # ends on the new end
    assert await _check(pool, SHORT) == 0
    assert await _check(pool) == 0
    assert await pool.fetchval("SELECT count(*) FROM productperiode_conflict") == 0
    assert await _events(pool) == []


async def test_a_plain_reference_only_and_each_declaratie_its_own_event(pool: store.Pool) -> None:
    # A ReferentieNummer with nine digits in a row is never published (the shape of a BSN).
    await _prestatie(pool, "2025123456789", date(2025, 6, 1), date(2025, 6, 30))
    await _prestatie(pool, "R-2", date(2025, 6, 1), date(2025, 6, 30), declaratie="D2025B")
    assert await _check(pool, replace(SHORT, previous_einddatum=None)) == 2
    found = [events.parse_event(p) for p in await _events(pool)]
    by_declaratie = {
        e.data.declaratie: e for e in found if isinstance(e, events.ProductperiodeConflict)
    }
    assert set(by_declaratie) == {"D2025A", "D2025B"}
    first = by_declaratie["D2025A"].data
    assert first.relation == "wholly"
    assert first.previous_einddatum is None
    assert [p.referentie_nummer for p in first.prestaties] == [None]
    kept = await pool.fetchval(
        "SELECT referentie_nummers FROM productperiode_conflict WHERE declaratie = 'D2025A'"
    )
    assert kept == ["2025123456789"]  # the table keeps it for the report; the event does not


async def test_a_value_the_event_may_not_carry_is_recorded_but_not_published(
    pool: store.Pool,
) -> None:
    # Not a ToewijzingNummer the event schema allows: intake must go on, the row stays.
    await _prestatie(pool, "R-1", date(2025, 6, 1), date(2025, 6, 30), toewijzing="T-1")
    assert await _check(pool, replace(SHORT, toewijzing_nummer="T-1")) == 0
    assert await pool.fetchval("SELECT count(*) FROM productperiode_conflict") == 1
    assert await _events(pool) == []


async def test_a_deleted_toewijzing_conflicts_with_every_pending_prestatie(
    pool: store.Pool,
) -> None:
    # The 301 deletes toewijzing 300201 (Ingangsdatum 1 May = Einddatum, RedenWijziging 13).
    await _prestatie(pool, "R-DAY", date(2025, 5, 1), date(2025, 5, 1))  # its only day
    await _prestatie(pool, "R-MAY", date(2025, 4, 28), date(2025, 5, 31))
    await _prestatie(pool, "R-CR", date(2025, 5, 1), date(2025, 5, 31), credit=True)
    deleted = replace(SHORT, einddatum=date(2025, 5, 1), deleted=True)
    assert await _check(pool, deleted) == 1
    row = await pool.fetchrow("SELECT * FROM productperiode_conflict")
    assert row is not None
    assert (row["referentie_nummers"], row["relation"]) == (["R-MAY", "R-DAY"], "wholly")
    (payload,) = await _events(pool)
    event = events.parse_event(payload)
    assert isinstance(event, events.ProductperiodeConflict)
    assert event.data.deleted
    assert event.data.relation == "wholly"
    assert [(p.referentie_nummer, p.relation) for p in event.data.prestaties] == [
        ("R-MAY", "wholly"), ("R-DAY", "wholly"),
    ]  # fmt: skip
