"""The declaratie history rules through the real intake (PostgreSQL, schema and in-message
rules): a 323 with one bad Prestatie is answered by the hub's 325 listing that Prestatie with
its code; the gemeente's 325 passes, or is kept aside when it contradicts its 323."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest
from lxml import etree

from handlers import intake
from hub.domain import xmlcodec
from hub.domain.decide import Context, Incoming
from hub.domain.validation import Outcome
from hub.infra import store
from hub.infra.runtime import Runtime

from ._declaratie import P, T, antwoord, declaratie, toewijzing


@pytest.fixture
def ctx(runtime: Runtime) -> Context:
    return intake.build_context(runtime)


def _item(root: etree._Element, party: str, node: str) -> Incoming:
    return Incoming(
        id=uuid4(),
        node=node,
        party=party,
        received_at=datetime(2025, 7, 21, 9, 30, tzinfo=UTC),
        payload=xmlcodec.serialize(root),
        partition=0,
        offset=1,
        topic="t.ingress",
    )


async def _send(runtime: Runtime, ctx: Context, root: etree._Element, party: str) -> UUID:
    node = "ggk" if party == "0363" else "vecozo"
    item = _item(root, party, node)
    await intake.process(runtime, ctx, [item])
    return item.id


async def _row(pool: store.Pool, message_id: UUID) -> tuple[str, list[str]]:
    r = await pool.fetchrow("SELECT status, retourcodes FROM message WHERE id = $1", message_id)
    assert r is not None
    return str(r["status"]), list(r["retourcodes"])


async def _retour(runtime: Runtime, heen_id: UUID) -> etree._Element:
    payload = await runtime.pool.fetchval(
        "SELECT payload FROM message WHERE answers = $1 AND built_by_hub", heen_id
    )
    verdict = runtime.validator.validate(bytes(payload))
    assert verdict.outcome is Outcome.VALID, verdict.findings
    assert verdict.message_type is not None
    assert verdict.message_type.name == "WMO325"
    assert verdict.root is not None
    return verdict.root


def _text(el: etree._Element, path: str) -> list[str]:
    return [e.text or "" for e in el.iterfind(path)]


async def _statuses(pool: store.Pool) -> dict[str, str]:
    rows = await pool.fetch("SELECT referentie_nummer, status FROM history_prestatie")
    return {r[0]: r[1] for r in rows}


async def test_a_323_with_one_bad_prestatie_gets_a_325_listing_it(
    runtime: Runtime, ctx: Context
) -> None:
    first = await _send(runtime, ctx, toewijzing(T()), "0363")
    assert await _row(runtime.pool, first) == ("accepted", [])
    good = P("R1")  # 16 hours x 6250 = 100000 cents
    bad = P("R2", nummer="300299", volume=8)  # no such toewijzing: TR338
    heen_id = await _send(runtime, ctx, declaratie(good, bad), "65656055")
    assert await _row(runtime.pool, heen_id) == ("rejected", ["9338"])
    answer = await _retour(runtime, heen_id)
    assert _text(answer, "{*}Header/{*}RetourCodes/{*}RetourCode") == ["0200"]
    prestaties = list(answer.iterfind(".//{*}Prestatie"))
    assert len(prestaties) == 1
    assert _text(prestaties[0], "{*}ProductReferentie/{*}ReferentieNummer") == ["R2"]
    assert _text(prestaties[0], "{*}RetourCodes/{*}RetourCode") == ["9338"]
    toegekend = answer.find("{*}DeclaratieAntwoord/{*}TotaalToegekendBedrag")
    assert toegekend is not None
    assert [e.text for e in toegekend] == ["100000", "D"]
    # The accepted Prestatie counts from now on; the rejected one does not.
    assert await _statuses(runtime.pool) == {"R1": "approved"}
    may = ("2025-05-01", "2025-05-31")
    again = await _send(runtime, ctx, declaratie(P("R1", begin="2025-05-01", end="2025-05-31"),
                                                 periode=may, dagtekening="2025-06-02"),
                        "65656055")  # fmt: skip
    assert await _row(runtime.pool, again) == ("rejected", ["8021"])


async def test_the_gemeentes_325_marks_rejections_or_is_kept_aside(
    runtime: Runtime, ctx: Context
) -> None:
    await _send(runtime, ctx, toewijzing(T()), "0363")
    heen = declaratie(P("R1"))
    heen_id = await _send(runtime, ctx, heen, "65656055")
    assert await _row(runtime.pool, heen_id) == ("accepted", [])
    assert await _statuses(runtime.pool) == {"R1": "pending"}
    # A 325 that changed the Prestatie it returns (TR367): no retour exists for a 325, so
    # the hub keeps it aside (dead letter, stage "history") and the history is unchanged.
    wrong = await _send(
        runtime, ctx, antwoord(heen, ["R1"], change={"R1": ("GeleverdVolume", "15")}), "0363"
    )
    assert await _row(runtime.pool, wrong) == ("dead-lettered", [])
    letter = await runtime.pool.fetchrow(
        "SELECT stage, reason FROM dead_letter WHERE message_id = $1", wrong
    )
    assert letter is not None
    assert letter["stage"] == "history", letter["reason"]
    assert str(letter["reason"]).startswith("TR367 at ")
    assert await _statuses(runtime.pool) == {"R1": "pending"}
    rows = await runtime.pool.fetch("SELECT topic, payload FROM outbox_resolved")
    rejected = [
        json.loads(bytes(r["payload"]))
        for r in rows
        if str(r["topic"]).endswith("events") and str(wrong).encode() in bytes(r["payload"])
    ]
    assert [e["type"] for e in rejected] == ["message.rejected"]
    assert "TR367" in json.dumps(rejected[0])
    right = await _send(runtime, ctx, antwoord(heen, ["R1"]), "0363")
    assert (await _row(runtime.pool, right))[0] == "accepted"
    assert await _statuses(runtime.pool) == {"R1": "rejected"}
