"""The answer clock of verzoeken (315/317) on a real PostgreSQL: recorded at intake, answered
by the gemeente's 301 or 319, raised once by the deadline watch, listed by the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

from handlers import intake, requestclock
from handlers.deadlines import DeadlineWatch
from handlers.derive import Accepted
from hub.domain import records, workdays, xmlcodec
from hub.domain.decide import Context
from hub.domain.messages import by_name
from hub.infra import metrics
from hub.infra.runtime import Runtime
from hub.infra.store import Pool, ledger
from hub.infra.store import requests as table
from tests.core.test_intake import _fixture, _item

BSN = "174285917"
FIXTURES = Path(__file__).parents[1] / "fixtures"
AMS = workdays.AMSTERDAM
RECEIVED = datetime(2025, 7, 21, 9, 30, tzinfo=UTC)  # _item's moment: Monday 21 July 2025


# --- the arithmetic -------------------------------------------------------------------------


def test_answer_is_due_at_the_end_of_the_fifth_werkdag() -> None:
    # Monday 21 July: day 0; Tuesday to Friday and Monday 28 are werkdagen 1 to 5.
    assert requestclock.answer_deadline(RECEIVED) == datetime.combine(
        date(2025, 7, 28), datetime.max.time(), tzinfo=AMS
    )


def test_answer_deadline_skips_feestdagen() -> None:
    # Monday 26 May 2025; Hemelvaartsdag is Thursday 29 May: Tue, Wed, Fri, Mon, Tue 3 June.
    monday = datetime(2025, 5, 26, 8, 0, tzinfo=UTC)
    assert requestclock.answer_deadline(monday).date() == date(2025, 6, 3)
    # Received on a Saturday: counting starts on Monday, five full werkdagen.
    saturday = datetime(2025, 7, 26, 10, 0, tzinfo=UTC)
    assert requestclock.answer_deadline(saturday).date() == date(2025, 8, 1)


def test_final_answer_is_due_eight_weeks_after_the_dagtekening() -> None:
    due = requestclock.final_deadline(date(2025, 5, 12))
    assert due == datetime(2025, 7, 7, 23, 59, 59, 999999, tzinfo=AMS)


# --- what a message starts or answers ------------------------------------------------------


def _accepted_row(path: str) -> Accepted:
    payload = (FIXTURES / path).read_bytes()
    root = xmlcodec.parse_message(payload)
    env = xmlcodec.read_envelope(root)
    mt = by_name(env.message_name or "")
    row = records.MessageRow(
        uuid4(), RECEIVED, "vecozo", env.afzender or "", "accepted", payload,
        bericht_code=env.bericht_code, sender=env.afzender, receiver=env.ontvanger,
        release=env.release, message_type=mt.name, standard=mt.standard.value,
    )  # fmt: skip
    return Accepted(row, root, mt)


def test_ijw_verzoek_and_in_onderzoek_are_read_like_iwmo() -> None:
    [request] = requestclock.requests_of(_accepted_row("ijw-3.2/JW315.xml"))
    assert (request.standard, request.message_type, request.bericht_code) == ("ijw", "JW315", "446")
    assert (request.aanbieder, request.gemeente) == ("41125003", "0344")
    assert (request.referentie, request.dagtekening) == ("VOT-2025-0042", date(2025, 2, 10))
    assert request.final_due == requestclock.final_deadline(date(2025, 2, 10))
    [answer] = requestclock.answers_of(_accepted_row("ijw-3.2/JW319.xml"))
    assert (answer.aanbieder, answer.gemeente, answer.referentie) == (
        "41125003", "0344", "VOW-2025-0007",
    )  # fmt: skip
    assert answer.interim is (
        xmlcodec.child_text(_accepted_row("ijw-3.2/JW319.xml").root, "Antwoord", "VerzoekAntwoord")
        == "2"
    )
    # A 305 neither starts nor answers a verzoek.
    assert requestclock.requests_of(_accepted_row("ijw-3.2/JW305.xml")) == []
    assert requestclock.answers_of(_accepted_row("ijw-3.2/JW305.xml")) == []


# --- recorded at intake, answered by 301 / 319 ----------------------------------------------


def _with(payload: bytes, **values: str) -> bytes:
    root = xmlcodec.parse_message(payload)
    for tag, value in values.items():
        next(e for e in root.iter() if xmlcodec.local_name(e) == tag).text = value
    return xmlcodec.serialize(root)


def _301_honouring(referentie: str) -> bytes:
    """The fixture 301 with ReferentieAanbieder in each ToegewezenProduct (after its number)."""
    root = xmlcodec.parse_message(_fixture("WMO301", Identificatie="301HONOUR1"))
    for product in root.iter("{*}ToegewezenProduct"):
        nummer = next(e for e in product if xmlcodec.local_name(e) == "ToewijzingNummer")
        ref = product.makeelement(nummer.tag.replace("ToewijzingNummer", "ReferentieAanbieder"))
        ref.text = referentie
        nummer.addnext(ref)
    return xmlcodec.serialize(root)


async def _clocks(pool: Pool) -> list[dict[str, object]]:
    rows = await pool.fetch("SELECT * FROM request_deadline ORDER BY received_at, referentie")
    return [dict(r) for r in rows]


async def _accepted(runtime: Runtime, ctx: Context, payload: bytes, party: str) -> UUID:
    node = "ggk" if len(party) == 4 else "vecozo"
    item = _item(payload, party, node)
    await intake.process(runtime, ctx, [item])
    status = await runtime.pool.fetchval("SELECT status FROM message WHERE id = $1", item.id)
    found = await runtime.pool.fetch(
        "SELECT rule, sentence FROM finding WHERE message_id = $1", item.id
    )
    assert status == "accepted", [dict(f) for f in found]
    return item.id


def _319(antwoord: str) -> bytes:
    """The fixture 319 answering VOW-2025-0007: 1 afgewezen (with a reason), 2 in onderzoek."""
    root = xmlcodec.parse_message(_fixture("WMO319"))
    body = next(e for e in root.iter() if xmlcodec.local_name(e) == "Antwoord")
    for el in list(body):
        if xmlcodec.local_name(el) in {"VerzoekAntwoord", "RedenAfwijzingVerzoek"}:
            body.remove(el)
    ns = body.tag[: body.tag.index("}") + 1]
    verzoek = body.makeelement(f"{ns}VerzoekAntwoord")
    verzoek.text = antwoord
    body.append(verzoek)
    if antwoord == "1":
        reden = body.makeelement(f"{ns}RedenAfwijzingVerzoek")
        reden.text = "2"
        body.append(reden)
    return xmlcodec.serialize(root)


async def _verzoek(runtime: Runtime, ctx: Context) -> UUID:
    """The gemeente's 301 (the toewijzingen the 317 changes), then the provider's 317."""
    await _accepted(runtime, ctx, _fixture("WMO301"), "0363")
    return await _accepted(runtime, ctx, _fixture("WMO317"), "65656055")


async def test_317_starts_a_clock_a_319_afgewezen_stops_it(runtime: Runtime) -> None:
    ctx = intake.build_context(runtime)
    request = await _verzoek(runtime, ctx)
    [clock] = await _clocks(runtime.pool)
    assert (clock["message_id"], clock["referentie"], clock["message_type"]) == (
        request, "VOW-2025-0007", "WMO317",
    )  # fmt: skip
    assert (clock["aanbieder"], clock["gemeente"], clock["bericht_code"]) == (
        "65656055", "0363", "480",
    )  # fmt: skip
    assert clock["due"] == requestclock.answer_deadline(RECEIVED)
    assert clock["dagtekening"] == date(2025, 5, 12)
    assert (clock["clock"], clock["answered_at"]) == ("answer", None)
    assert BSN not in json.dumps({k: str(v) for k, v in clock.items()})

    answer = await _accepted(runtime, ctx, _319("1"), "0363")
    [clock] = await _clocks(runtime.pool)
    assert (clock["answer_id"], clock["answered_at"]) == (answer, RECEIVED)


async def test_319_in_onderzoek_starts_the_final_clock_a_301_stops_it(runtime: Runtime) -> None:
    ctx = intake.build_context(runtime)
    await _verzoek(runtime, ctx)
    interim = await _accepted(runtime, ctx, _319("2"), "0363")
    [clock] = await _clocks(runtime.pool)
    assert (clock["clock"], clock["interim_id"], clock["answered_at"]) == ("final", interim, None)
    assert clock["due"] == requestclock.final_deadline(date(2025, 5, 12))

    answer = await _accepted(runtime, ctx, _301_honouring("VOW-2025-0007"), "0363")
    [clock] = await _clocks(runtime.pool)
    assert (clock["answer_id"], clock["answered_at"]) == (answer, RECEIVED)


async def test_an_answer_to_another_aanbieder_or_reference_answers_nothing(
    runtime: Runtime,
) -> None:
    ctx = intake.build_context(runtime)
    await _verzoek(runtime, ctx)
    # Whether the hub routes them (TR355 may refuse the unknown reference) does not matter:
    # neither carries this aanbieder's reference from this gemeente.
    other_reference = _with(_319("1"), ReferentieAanbieder="VOW-OTHER", Identificatie="A1")
    other_aanbieder = _with(_319("1"), Ontvanger="12345678", Identificatie="A2")
    for payload in (other_reference, other_aanbieder):
        await intake.process(runtime, ctx, [_item(payload, "0363", "ggk")])
    [clock] = await _clocks(runtime.pool)
    assert clock["answered_at"] is None


# --- the store, straight -------------------------------------------------------------------


async def _request_row(pool: Pool, referenties: tuple[str, ...] = ("R-1",)) -> UUID:
    """A recorded 315 with a clock per reference, received at RECEIVED."""
    message_id = uuid4()
    await ledger.insert_messages(
        pool,  # type: ignore[arg-type]
        [records.MessageRow(message_id, RECEIVED, "vecozo", "65656055", "accepted", b"<B/>")],
    )
    await table.record(
        pool,  # type: ignore[arg-type]
        [
            table.Request(
                message_id, ref, "iwmo", "WMO315", "444", "3.2", "65656055", "0363", None,
                RECEIVED, date(2025, 7, 18), requestclock.answer_deadline(RECEIVED),
                requestclock.final_deadline(date(2025, 7, 18)),
            )
            for ref in referenties
        ],
    )  # fmt: skip
    return message_id


def _answer(ref: str, *, interim: bool = False, aanbieder: str = "65656055") -> table.Answer:
    return table.Answer("iwmo", aanbieder, "0363", ref, uuid4(), RECEIVED, interim)


async def _claim(pool: Pool, now: datetime) -> list[table.OverdueRequest]:
    async with pool.acquire() as conn, conn.transaction():
        return await table.claim_overdue(conn, now)


async def test_store_claims_each_overdue_clock_once(pool: Pool) -> None:
    request = await _request_row(pool, ("R-1", "R-2", "R-3"))
    await table.answer(pool, [_answer("R-1")])  # type: ignore[arg-type]
    await table.answer(pool, [_answer("R-2", aanbieder="12345678")])  # type: ignore[arg-type]
    before = requestclock.answer_deadline(RECEIVED) - timedelta(seconds=1)
    after = requestclock.answer_deadline(RECEIVED) + timedelta(seconds=1)
    assert await _claim(pool, before) == []
    late = await _claim(pool, after)
    assert sorted(o.referentie for o in late) == ["R-2", "R-3"]
    assert all(o.message_id == request and o.clock == "answer" for o in late)
    assert await _claim(pool, after) == []  # reported once
    assert await table.count_overdue(pool, after) == 2
    assert sorted(o.referentie for o in await table.overdue(pool)) == ["R-2", "R-3"]


async def test_store_in_onderzoek_restarts_the_clock_once_and_a_final_answer_ends_it(
    pool: Pool,
) -> None:
    await _request_row(pool)
    after = requestclock.answer_deadline(RECEIVED) + timedelta(seconds=1)
    assert [o.clock for o in await _claim(pool, after)] == ["answer"]
    await table.answer(pool, [_answer("R-1", interim=True)])  # type: ignore[arg-type]
    final = requestclock.final_deadline(date(2025, 7, 18))
    assert await _claim(pool, final - timedelta(seconds=1)) == []
    # A second "in onderzoek" (TR360 refuses it) does not move the final clock.
    await table.answer(pool, [_answer("R-1", interim=True)])  # type: ignore[arg-type]
    [late] = await _claim(pool, final + timedelta(seconds=1))
    assert (late.clock, late.due) == ("final", final)
    await table.answer(pool, [_answer("R-1")])  # type: ignore[arg-type]
    assert await table.count_overdue(pool, final + timedelta(days=1)) == 0


# --- the watch and the CLI -----------------------------------------------------------------


async def _events(pool: Pool) -> list[dict[str, object]]:
    rows = await pool.fetch("SELECT payload FROM outbox_resolved ORDER BY id")
    found = [json.loads(bytes(r["payload"])) for r in rows if bytes(r["payload"])[:1] == b"{"]
    return [e for e in found if e.get("type") == "request.overdue"]


async def test_watch_raises_request_overdue_once(runtime: Runtime) -> None:
    ctx = intake.build_context(runtime)
    request = await _verzoek(runtime, ctx)
    watch = DeadlineWatch(runtime)
    due = requestclock.answer_deadline(RECEIVED)
    assert await watch.scan_requests(due - timedelta(seconds=1)) == 0
    raised_before = metrics.REQUESTS_OVERDUE_RAISED._value.get()  # type: ignore[attr-defined]
    assert await watch.scan_requests(due + timedelta(seconds=1)) == 1
    assert await watch.scan_requests(due + timedelta(days=3)) == 0
    assert watch.raised_requests == 1
    assert metrics.REQUESTS_OVERDUE_RAISED._value.get() == raised_before + 1  # type: ignore[attr-defined]
    assert metrics.REQUESTS_OVERDUE._value.get() == 1  # type: ignore[attr-defined]

    [event] = await _events(runtime.pool)
    assert event["message_id"] == str(request)
    assert (event["message_type"], event["standard"], event["node"]) == ("WMO317", "iwmo", "vecozo")
    assert (event["sender"], event["receiver"]) == ("65656055", "0363")
    assert event["data"] == {
        "bericht_code": "480",
        "referentie": "VOW-2025-0007",
        "clock": "answer",
        "deadline": "2025-07-28T21:59:59.999999Z",
        "received_at": "2025-07-21T09:30:00Z",
    }
    assert BSN not in json.dumps(event)


def test_a_reference_shaped_like_a_bsn_is_not_published() -> None:
    from hub.domain import events

    overdue = table.OverdueRequest(
        uuid4(), f"VOT{BSN}", "iwmo", "WMO315", "444", "3.2", "65656055", "0363", None,
        RECEIVED, "answer", RECEIVED,
    )  # fmt: skip
    event = events.request_overdue_event(overdue, RECEIVED)
    assert event.data.referentie is None
    assert BSN not in event.to_json().decode()
    plain = events.request_overdue_event(
        table.OverdueRequest(**{**_fields(overdue), "referentie": "VOT-42"}), RECEIVED
    )
    assert plain.data.referentie == "VOT-42"


def _fields(o: table.OverdueRequest) -> dict[str, object]:
    return {name: getattr(o, name) for name in o.__slots__}


async def test_cli_lists_overdue_requests(pool: Pool, database_url: str) -> None:
    env = {**os.environ, "HUB_DATABASE_URL": database_url}

    def hub(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "hub", *args],
            capture_output=True, text=True, timeout=120, env=env, check=False,
        )  # fmt: skip

    empty = hub("requests", "overdue")
    assert (empty.returncode, empty.stdout.strip()) == (0, "no verzoek is overdue")
    request = await _request_row(pool, ("VOT-7",))  # due in July 2025: long past
    listed = hub("requests", "overdue")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.strip() == (
        f"{request}  WMO315  ReferentieAanbieder VOT-7  65656055 -> 0363  "
        "answer due 2025-07-28 21:59:59Z"
    )
