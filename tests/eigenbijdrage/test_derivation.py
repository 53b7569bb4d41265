"""The derivation in the core on the real PostgreSQL: the notice in the ledger and outbox, its
events, the CAK's 406/408 linked back, late-start signals, the operator's view."""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from handlers import registry
from handlers.eigenbijdrage import build as build_derivation
from hub.domain import xmlcodec
from hub.domain.errors import ConfigError
from hub.domain.events import parse_event
from hub.domain.workdays import AMSTERDAM
from hub.infra.runtime import Runtime
from hub.infra.store import eigenbijdrage as eb_store
from hub.ops.cli import eb as cli_eb
from hub.settings import Settings
from tests.eigenbijdrage._messages import AANBIEDER, BSN, FIXTURES, T, build, start, stop
from tests.eigenbijdrage.conftest import Hub, melding


async def _events(hub: Hub) -> list[dict[str, object]]:
    rows = await hub.runtime.pool.fetch(
        "SELECT payload FROM outbox WHERE topic LIKE '%.events' ORDER BY id"
    )
    return [json.loads(bytes(r["payload"])) for r in rows]


async def _start_notice(hub: Hub, cat: str = "02") -> tuple[str, str]:
    await hub.send(hub.item(build("WMO301", [T(1, cat)]), "0363", "ggk"))
    source = hub.item(build("WMO305", [start(1, cat, "2025-07-17")]), AANBIEDER, "vecozo")
    assert await hub.send(source) == ["accepted"]
    (notice,) = await hub.new_notices()
    return notice.identificatie, str(source.id)


async def test_the_notice_is_a_routed_heenbericht_of_the_gemeente(hub: Hub) -> None:
    identificatie, source_id = await _start_notice(hub)
    row = await hub.runtime.pool.fetchrow(
        "SELECT * FROM message WHERE identificatie = $1", identificatie
    )
    assert row is not None
    cak = hub.runtime.settings.cak_party_code
    assert (row["message_type"], row["standard"], row["release"]) == ("WMO405", "ieb", "4.0")
    assert (row["sender"], row["receiver"], row["afzender"], row["ontvanger"]) == (
        "0363", cak, "0363", cak,
    )  # fmt: skip
    assert (row["direction"], row["status"], row["receiver_node"], row["source_node"]) == (
        "heen", "accepted", "ggk", "hub",
    )  # fmt: skip
    assert row["built_by_hub"] is True
    assert row["bericht_code"] == "492"
    assert row["retour_due"].astimezone(AMSTERDAM).date().isoformat() == "2025-07-24"
    assert row["person_key"] is not None
    assert BSN.encode() in bytes(row["payload"])  # the notice carries the BSN, as it must
    outbox = await hub.runtime.pool.fetch(
        "SELECT key, headers FROM outbox WHERE topic LIKE '%.egress.ggk' AND key = $1",
        cak.encode(),
    )
    assert [json.loads(r["headers"])["hub-message-type"] for r in outbox] == ["WMO405"]
    events = await _events(hub)
    notice = [e for e in events if e["type"] == "eigenbijdrage.notice"]
    assert len(notice) == 1
    parsed = parse_event(json.dumps(notice[0]))
    assert parsed.message_id == row["id"]
    assert notice[0]["data"] == {
        "source_id": source_id,
        "identificatie": identificatie,
        "entries": [
            {
                "melding_id": str(melding(1)),
                "status": "1",
                "begindatum": "2025-07-17",
                "einddatum": None,
            }
        ],
    }
    for e in events:  # no BSN and no birth date in any event
        assert BSN not in json.dumps(e)
        assert "1950-05-17" not in json.dumps(e)
    stored = await hub.runtime.pool.fetch("SELECT * FROM eb_start")
    assert BSN not in repr([dict(r) for r in stored])


async def test_one_read_gives_the_persons_state_and_the_sources_already_notified(
    hub: Hub,
) -> None:
    """What the derivation reads after locking a batch's persons (one round trip): their
    state and which sources already caused a notice, so a source is never told twice."""
    _, source_id = await _start_notice(hub)
    person = await hub.runtime.pool.fetchval(
        "SELECT person_key FROM message WHERE id = $1", UUID(source_id)
    )
    other = uuid4()
    async with hub.runtime.pool.acquire() as conn:
        states, notified = await eb_store.load_batch(
            conn, [("0363", person)], [UUID(source_id), other]
        )
        assert notified == {UUID(source_id)}
        assert await eb_store.notified_sources(conn, [UUID(source_id), other]) == notified
        alone = await eb_store.load_states(conn, [("0363", person)])
    [(key, state)] = states.items()
    assert key[:2] == ("0363", person)
    assert [p.begin.isoformat() for p in state.told.values()] == ["2025-07-17"]
    assert len(state.facts.starts) == 1
    assert not state.facts.stops
    assert alone == states


def _answer(name: str, identificatie: str, gemeente: str = "0363") -> bytes:
    root = xmlcodec.parse_message((FIXTURES / "ieb-4.0" / f"{name}.xml").read_bytes())
    for el in root.iter():
        tag = xmlcodec.local_name(el)
        if tag == "Afzender":
            el.text = gemeente
        elif tag == "Identificatie":
            el.text = identificatie
        elif tag == "IdentificatieRetour":
            el.text = f"R{identificatie[-10:]}"
    return xmlcodec.serialize(root)


async def test_the_cak_answer_is_linked_and_a_rejection_raises_an_event(hub: Hub) -> None:
    identificatie, _ = await _start_notice(hub)
    cak = hub.runtime.settings.cak_party_code
    ok = hub.item(_answer("WMO406", identificatie), cak, "ggk")
    assert await hub.send(ok) == ["accepted"], await hub.runtime.pool.fetch(
        "SELECT stage, error, reason FROM dead_letter"
    )
    row = await hub.runtime.pool.fetchrow(
        "SELECT outcome, retour_id FROM eb_notice WHERE identificatie = $1", identificatie
    )
    assert row is not None
    assert (row["outcome"], row["retour_id"]) == ("accepted", ok.id)
    # The 406 goes on to the gemeente the notice was sent for.
    routed = await hub.runtime.pool.fetchrow(
        "SELECT receiver, receiver_node FROM message WHERE id = $1", ok.id
    )
    assert routed is not None
    assert (routed["receiver"], routed["receiver_node"]) == ("0363", "ggk")

    # A beschermd-wonen notice for another client, refused by the CAK with 9074.
    await hub.send(hub.item(build("WMO301", [T(2, "15")], client_bsn="100000009"), "0363", "ggk"))
    source = build("WMO305", [start(2, "15", "2025-07-17")], client_bsn="100000009")
    await hub.send(hub.item(source, AANBIEDER, "vecozo"))
    (bw,) = await hub.new_notices()
    assert bw.route == "407"
    refused = hub.item(_answer("WMO408", bw.identificatie), cak, "ggk")
    assert await hub.send(refused) == ["accepted"]
    outcome = await hub.runtime.pool.fetchrow(
        "SELECT outcome, retourcodes FROM eb_notice WHERE identificatie = $1", bw.identificatie
    )
    assert outcome is not None
    assert (outcome["outcome"], list(outcome["retourcodes"])) == ("rejected", ["0200", "9074"])
    rejected = [e for e in await _events(hub) if e["type"] == "eigenbijdrage.notice-rejected"]
    assert len(rejected) == 1
    assert rejected[0]["message_id"] == str(refused.id)
    assert rejected[0]["data"]["retourcodes"] == ["9074"]  # type: ignore[index]
    assert rejected[0]["data"]["melding_ids"] == [str(melding(2))]  # type: ignore[index]


async def test_a_late_start_is_signalled(hub: Hub) -> None:
    await hub.send(hub.item(build("WMO301", [T(1, "02"), T(2, "01")]), "0363", "ggk"))
    at = datetime(2025, 7, 21, 9, 0, tzinfo=UTC)  # a Monday
    in_time = build("WMO305", [start(1, "02", "2025-07-14")])  # 5 werkdagen before
    late = build("WMO305", [start(2, "01", "2025-07-11")])  # 6 werkdagen before
    await hub.send(hub.item(in_time, AANBIEDER, "vecozo", received_at=at))
    late_item = hub.item(late, AANBIEDER, "vecozo", received_at=at)
    await hub.send(late_item)
    signals = [e for e in await _events(hub) if e["type"] == "eigenbijdrage.late-start"]
    assert len(signals) == 1
    assert signals[0]["message_id"] == str(late_item.id)
    assert signals[0]["data"] == {
        "begindatum": "2025-07-11",
        "werkdagen": 6,
        "allowed": 5,
        "route": "405",
        "categorie": "01",
        "location": "/Bericht/Client/StartProducten/StartProduct",
    }


async def test_hub_eb_show_prints_periods_and_notices(
    hub: Hub, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await hub.send(hub.item(build("WMO301", [T(1, "02")]), "0363", "ggk"))
    source = hub.item(build("WMO305", [start(1, "02", "2025-01-06")]), AANBIEDER, "vecozo")
    await hub.send(source)
    await hub.send(hub.item(build("WMO307", [stop(1, "02", "2025-01-06", "2025-03-31")]),
                            AANBIEDER, "vecozo"))  # fmt: skip
    settings = Settings(database_url=database_url)
    args = argparse.Namespace(message=str(source.id), gemeente=None, bsn_hash=None)
    assert await asyncio.to_thread(cli_eb.cmd_show, args, settings) == 0
    out = capsys.readouterr().out
    assert f"WMO405  {melding(1)}  2025-01-06 .. 2025-03-31  current" in out
    assert "new " + str(melding(1)) in out
    assert "change " + str(melding(1)) in out
    assert BSN not in out
    person = out.split("person ", 1)[1].split()[0]
    args = argparse.Namespace(message=None, gemeente="0363", bsn_hash=person)
    assert await asyncio.to_thread(cli_eb.cmd_show, args, settings) == 0
    assert capsys.readouterr().out == out
    with pytest.raises(ConfigError, match="never a BSN"):
        cli_eb.cmd_show(argparse.Namespace(message=None, gemeente="0363", bsn_hash=BSN), settings)


def test_the_core_runs_the_derivation_and_refuses_a_bad_policy(
    runtime: Runtime, tmp_path: Path
) -> None:
    assert build_derivation in registry.DERIVATIONS
    bad = tmp_path / "bad.toml"
    bad.write_text('[gemeente."0363"]\nexempt_categories = ["99"]\n', encoding="utf-8")
    broken = Runtime(
        settings=Settings(eb_policy_file=bad),
        bootstrap=runtime.bootstrap,
        database_url=runtime.database_url,
        broker=runtime.broker,
        packs=runtime.packs,
        validator=runtime.validator,
    )
    with pytest.raises(ConfigError) as caught:
        build_derivation(broken)
    assert str(caught.value) == (
        f'eigen-bijdrage policy file {bad}, [gemeente."0363"]: exempt_categories: '
        "'99' is not a Wmo product category (01-18)"
    )
