"""Sleutelmomenten measured by the real intake on PostgreSQL: a toewijzing's chain (301, 305,
307, the adjusting 301, 323 and 325) and a verzoek's answer, each with its werkdagen and
outcome; nothing twice on redelivery; a failing measurement never holds a message up.

One database for the module (each test its own toewijzing numbers and clients), no broker:
intake.process is called directly, as the benchmark calls it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import pytest
from lxml import etree

from handlers import intake
from handlers import sleutelmomenten as handler
from hub.app import make_runtime
from hub.domain import xmlcodec
from hub.domain.decide import Incoming
from hub.domain.history import extract
from hub.domain.parties import load_parties
from hub.domain.sleutelmomenten import Measurement, Moment, Outcome, Source
from hub.domain.sleutelmomenten import measure as pure
from hub.domain.sleutelmomenten.measure import Arrival
from hub.infra import metrics, store
from hub.infra.runtime import Runtime
from hub.infra.store import sleutelmomenten as table
from hub.settings import Settings
from tests.conftest import _migrated_template, _url
from tests.history import _build, _declaratie, _requests
from tests.history._requests import Omvang, T

GEMEENTE, AANBIEDER = "0363", "65656055"
MONTHLY = Omvang(frequentie="4")  # per week needs an Einddatum (CD076); per month does not
BSNS = (_build.BSN, _build.OTHER_BSN, "111222333", "123456782", "999990019", "999991929")


@pytest.fixture(scope="module")
async def hub(postgres_admin: str, workdir: Path) -> AsyncIterator[Runtime]:
    """A core runtime on one database for the whole module (its broker never started)."""
    name = f"t_{uuid4().hex[:12]}"
    template = await _migrated_template(postgres_admin)
    admin = await asyncpg.connect(postgres_admin)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await admin.close()
    url = _url(postgres_admin, name)
    pool = await store.create_pool(url)
    settings = Settings(database_url=url, data_dir=workdir / name, kafka_bootstrap="127.0.0.1:1")
    await store.upsert_parties(pool, list(load_parties(settings.parties_file)))
    runtime = make_runtime(settings, "127.0.0.1:1", url, "test-core")
    runtime.attach_pool(pool)
    yield runtime
    runtime.attach_pool(None)
    await pool.close()
    admin = await asyncpg.connect(postgres_admin)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def _item(root: etree._Element, party: str, on: str) -> Incoming:
    """The message as received at 09:30 UTC on `on`, dated that day (TR134 holds its dates
    to its Dagtekening)."""
    ident = xmlcodec.child(xmlcodec.child(root, "Header"), "BerichtIdentificatie")
    dagtekening = xmlcodec.child(ident, "Dagtekening")
    assert dagtekening is not None
    dagtekening.text = on
    return Incoming(
        id=uuid4(),
        node="ggk" if len(party) == 4 else "vecozo",
        party=party,
        received_at=datetime.fromisoformat(f"{on}T09:30:00+00:00"),
        payload=xmlcodec.serialize(root),
        partition=0,
        offset=1,
        topic="t.ingress",
    )


async def _send(hub: Runtime, *items: Incoming) -> None:
    await intake.process(hub, intake.build_context(hub), list(items))
    for item in items:
        status = await hub.pool.fetchval("SELECT status FROM message WHERE id = $1", item.id)
        found = await hub.pool.fetch("SELECT rule FROM finding WHERE message_id = $1", item.id)
        assert status == "accepted", [r[0] for r in found]


async def _moments(hub: Runtime, **where: object) -> list[dict[str, Any]]:
    clause = " AND ".join(f"{k} = ${i}" for i, k in enumerate(where, 1)) or "true"
    rows = await hub.pool.fetch(
        f"SELECT * FROM sleutelmoment WHERE {clause} ORDER BY id",
        *where.values(),
    )
    return [dict(r) for r in rows]


def _summary(rows: list[dict[str, Any]]) -> list[tuple[object, ...]]:
    return [(r["moment"], r["outcome"], r["werkdagen"], r["deadline"]) for r in rows]


def _failures() -> float:
    return float(metrics.FAILURES.labels("sleutelmomenten")._value.get())


async def test_a_toewijzings_chain_is_measured_moment_by_moment(hub: Runtime) -> None:
    nummer = "300201"
    # The 301 arrives on Thursday 3 April for an Ingangsdatum of Tuesday 1 April: 2 werkdagen
    # retroactive; decided on Monday 24 March: 8 werkdagen before it was sent.
    first = _item(
        _requests.toewijzing(T(nummer, eind=None, omvang=MONTHLY)), GEMEENTE, "2025-04-03"
    )
    await _send(hub, first)
    rows = await _moments(hub, toewijzing_nummer=nummer)
    assert _summary(rows) == [
        ("toewijzing", "late", 2, 0),
        ("toewijzingsdatum", "measured", 8, None),
    ]
    assert {(r["reference_date"], r["arrived_on"]) for r in rows} == {
        (date(2025, 4, 1), date(2025, 4, 3)), (date(2025, 3, 24), date(2025, 4, 3)),
    }  # fmt: skip
    assert {(r["domain"], r["gemeente"], r["aanbieder"], r["source"]) for r in rows} == {
        ("iwmo", GEMEENTE, AANBIEDER, "live")
    }
    assert rows[0]["message_id"] == first.id
    assert rows[0]["person_key"]

    # The 305 (Begindatum 1 April) on Thursday 10 April: 5 werkdagen after the retroactive
    # 301's receipt, on time (7 after the Begindatum would be late).
    begin = _item(_build.message("WMO305", _build.start("2025-04-01")), AANBIEDER, "2025-04-10")
    await _send(hub, begin)
    [start] = await _moments(hub, moment="start", toewijzing_nummer=nummer)
    assert (start["outcome"], start["werkdagen"], start["reference_date"]) == (
        "on_time", 5, date(2025, 4, 3),
    )  # fmt: skip

    # The 307 (Einddatum Monday 30 June) on Tuesday 8 July: 6 werkdagen, late; the toewijzing
    # has no Einddatum, so the adjustment is now awaited.
    end = _item(_build.message("WMO307", _build.stop("2025-06-30", begin="2025-04-01")),
                AANBIEDER, "2025-07-08")  # fmt: skip
    await _send(hub, end)
    [stop] = await _moments(hub, moment="stop", toewijzing_nummer=nummer)
    assert (stop["outcome"], stop["werkdagen"], stop["deadline"]) == ("late", 6, 5)
    [waiting] = await _moments(hub, moment="aanpassing", toewijzing_nummer=nummer)
    assert (waiting["outcome"], waiting["reference_date"], waiting["about_id"]) == (
        "open", date(2025, 7, 8), end.id,
    )  # fmt: skip

    # The gemeente ends the toewijzing on 30 June on Tuesday 15 July: 5 werkdagen after the
    # 307; the open row is replaced by the measured one.
    adjust = _item(
        _requests.toewijzing(T(nummer, eind="2025-06-30", datum="2025-07-14", tijd="11:00:00")),
        GEMEENTE, "2025-07-15",
    )  # fmt: skip
    await _send(hub, adjust)
    [adjusted] = await _moments(hub, moment="aanpassing", toewijzing_nummer=nummer)
    assert (adjusted["outcome"], adjusted["werkdagen"], adjusted["deadline"]) == (
        "measured", 5, None,
    )  # fmt: skip
    assert (adjusted["message_id"], adjusted["about_id"]) == (adjust.id, end.id)
    assert len(await _moments(hub, moment="toewijzing", toewijzing_nummer=nummer)) == 1

    # The 323 on Wednesday 16 July, its 325 on Thursday 31 July: 11 werkdagen, late.
    heen_root = _declaratie.declaratie(_declaratie.P("R1"))
    heen = _item(heen_root, AANBIEDER, "2025-07-16")
    await _send(hub, heen)
    answer = _item(_declaratie.antwoord(heen_root, []), GEMEENTE, "2025-07-31")
    await _send(hub, answer)
    [d] = await _moments(hub, moment="declaratie")
    assert (d["outcome"], d["werkdagen"], d["deadline"], d["reference_date"]) == (
        "late", 11, 10, date(2025, 7, 16),
    )  # fmt: skip
    assert (d["message_id"], d["about_id"], d["person_key"]) == (answer.id, heen.id, None)

    # Redelivered, the whole chain measures nothing twice.
    before = len(await _moments(hub))
    await intake.process(hub, intake.build_context(hub), [first, begin, end, adjust, heen, answer])
    assert len(await _moments(hub)) == before


async def test_a_stop_replaces_the_signals_open_row_and_after_a_temporary_one_has_no_deadline(
    hub: Runtime,
) -> None:
    bsn, nummer = BSNS[1], "300301"
    await _send(hub, _item(_requests.toewijzing(T(nummer, eind=None, omvang=MONTHLY), bsn=bsn),
                           GEMEENTE, "2025-04-01"))  # fmt: skip
    line = _build.start("2025-04-01", nummer=nummer)
    await _send(hub, _item(_build.message("WMO305", line, bsn=bsn), AANBIEDER, "2025-04-02"))
    # The no-stop signal's OPEN row (handlers/signals.py writes it so).
    [toewijzing] = await _moments(hub, moment="toewijzing", toewijzing_nummer=nummer)
    signal = Measurement(
        Moment.STOP, Outcome.OPEN, Source.LIVE, "iwmo", GEMEENTE, AANBIEDER,
        toewijzing["person_key"], nummer, "", date(2025, 5, 31), None, None, 5, None, None, "",
    )  # fmt: skip
    async with hub.pool.acquire() as conn:
        await table.insert(conn, [signal])
    temporary = _build.stop("2025-05-31", reden="20", begin="2025-04-01", nummer=nummer)
    await _send(hub, _item(_build.message("WMO307", temporary, bsn=bsn), AANBIEDER, "2025-06-02"))
    definitive = _build.stop("2025-06-30", begin="2025-04-01", nummer=nummer)
    await _send(hub, _item(_build.message("WMO307", definitive, bsn=bsn), AANBIEDER, "2025-07-15"))
    stops = await _moments(hub, moment="stop", toewijzing_nummer=nummer)
    assert _summary(stops) == [("stop", "on_time", 1, 5), ("stop", "measured", 11, None)]


async def test_the_answer_that_meets_a_verzoeks_first_clock_is_measured_once(hub: Runtime) -> None:
    bsn = BSNS[2]
    ref = "VOT-H1-1"
    verzoek = _item(_requests.aanvraag(ref, bsn=bsn), AANBIEDER, "2025-05-05")  # a Monday
    await _send(hub, verzoek)
    # In onderzoek on Tuesday 13 May: 6 werkdagen, late; the final 301 later is not measured
    # against the 5 werkdagen again.
    interim = _item(_requests.antwoord(ref, answer="2"), GEMEENTE, "2025-05-13")
    await _send(hub, interim)
    final = _item(
        _requests.toewijzing(T("300777", ref=ref, ingang="2025-06-01", datum="2025-05-20"),
                             bsn=bsn),
        GEMEENTE, "2025-05-20",
    )  # fmt: skip
    await _send(hub, final)
    [a] = await _moments(hub, moment="antwoord")
    assert (a["outcome"], a["werkdagen"], a["deadline"], a["reference"]) == ("late", 6, 5, ref)
    assert (a["message_id"], a["about_id"]) == (interim.id, verzoek.id)
    assert (a["reference_date"], a["arrived_on"]) == (date(2025, 5, 5), date(2025, 5, 13))


async def test_a_failing_measurement_never_holds_a_message_up(
    hub: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_: object) -> object:
        raise RuntimeError("a bug in the pure code")

    async def refused(conn: store.DbConnection, measurements: object) -> None:
        # What PostgreSQL refuses for what it says: a moment the CHECK does not know.
        await conn.execute(
            "INSERT INTO sleutelmoment (moment, outcome, source, domain, gemeente, aanbieder,"
            " toewijzing_nummer, reference, reference_date, line)"
            " VALUES ('nonsense', 'late', 'live', '', '', '', '', '', now(), '')"
        )

    failures = _failures()
    for n, (target, replacement) in enumerate(((pure, "measure"), (table, "insert"))):
        with monkeypatch.context() as patch:
            patch.setattr(target, replacement, boom if replacement == "measure" else refused)
            item = _item(_requests.toewijzing(T(f"30090{n}"), bsn=BSNS[3 + n]), GEMEENTE,
                         "2025-04-03")  # fmt: skip
            await _send(hub, item)
        assert await _moments(hub, message_id=item.id) == []
        assert _failures() == failures + n + 1
        egress = await hub.pool.fetchval(
            "SELECT count(*) FROM outbox_resolved WHERE topic LIKE '%egress%' AND key = $1"
            " AND payload = $2",
            AANBIEDER.encode(), item.payload,
        )  # fmt: skip
        assert egress == 1


async def test_a_transient_database_error_fails_the_batch_as_before(
    hub: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def lost(*_: object) -> None:
        raise asyncpg.exceptions.ConnectionDoesNotExistError("connection lost")

    monkeypatch.setattr(table, "insert", lost)
    item = _item(_requests.toewijzing(T("300950"), bsn=BSNS[5]), GEMEENTE, "2025-04-03")
    with pytest.raises(asyncpg.exceptions.ConnectionDoesNotExistError):
        await intake.process(hub, intake.build_context(hub), [item])
    assert await hub.pool.fetchval("SELECT count(*) FROM message WHERE id = $1", item.id) == 0


@pytest.mark.parametrize("copy_from", [64, 0], ids=["insert", "copy"])
async def test_measuring_the_same_messages_again_adds_nothing(
    hub: Runtime, monkeypatch: pytest.MonkeyPatch, copy_from: int
) -> None:
    """As `hub history import` run twice: the measured rows are there already, whether
    written as one INSERT (a small batch) or by COPY (a large one, falling back to the
    INSERT that skips them)."""
    monkeypatch.setattr(table, "_COPY_FROM", copy_from)
    line = _build.start("2025-03-03", nummer=f"3004{copy_from:02d}")
    root = _build.message("WMO305", line, bsn=BSNS[4])
    facts = extract(root, "WMO305", _build.SECRET, message_id=uuid4())
    assert facts.message_id is not None
    arrival = Arrival(facts.message_id, facts, date(2025, 3, 4), Source.IMPORT)
    async with hub.pool.acquire() as conn, conn.transaction():
        first = await handler.measure(conn, [arrival])
        again = await handler.measure(conn, [arrival])
    assert [m.moment for m in first.measurements] == [Moment.START]
    assert again.measurements == first.measurements
    [row] = await _moments(hub, message_id=facts.message_id)
    assert (row["source"], row["werkdagen"], row["outcome"]) == ("import", 1, "on_time")


async def test_no_bsn_in_any_sleutelmoment_column(hub: Runtime) -> None:
    rows = await hub.pool.fetch("SELECT * FROM sleutelmoment")
    assert rows, "the tests above measured something"
    text = "\n".join(str(v) for r in rows for v in r.values())
    for bsn in BSNS:
        assert bsn not in text
