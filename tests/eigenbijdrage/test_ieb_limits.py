"""Issue #18 point 6 end to end, every message through the real broker into the core on the real
PostgreSQL: a start beyond the iEb start limit is held (event + `hub eb held`), a priced
hulpmiddel carries Kostprijs, and a beschermd-wonen 407 goes out in the centrumgemeente's name."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hub.domain import xmlcodec
from hub.infra import store
from hub.ops.cli import eb as cli_eb
from hub.settings import Settings
from tests.eigenbijdrage._messages import AANBIEDER, BSN, T, build, start, stop
from tests.eigenbijdrage.conftest import (
    BrokerCore,
    BrokerHub,
    Notice,
    melding,
    on_database,
    running_core,
)

pytestmark = pytest.mark.e2e

CENTRUM = "0344"
POLICY = f"""
[defaults]
enabled = false

[gemeente."0363"]
enabled = true
centrumgemeente = "{CENTRUM}"
kostprijs = {{ "14/14A01" = 125000 }}
"""
# NOW is 2025-07-21: 12 months back is 2024-07-21 (still derived), 13 months back is held.
THIRTEEN_MONTHS_BACK = "2024-06-21"


@pytest.fixture(scope="module")
async def limits_core(kafka_bootstrap: str, workdir: Path) -> AsyncIterator[BrokerCore]:
    """A core with this module's policy, consuming from the real broker (as conftest's)."""
    async with running_core(kafka_bootstrap, workdir, POLICY) as core:
        yield core


@pytest.fixture
async def hub(limits_core: BrokerCore, pool: store.Pool) -> AsyncIterator[BrokerHub]:
    async with on_database(limits_core, pool) as hub:
        yield hub


async def _events(hub: BrokerHub, type_: str) -> list[dict[str, object]]:
    rows = await hub.runtime.pool.fetch(
        "SELECT payload FROM outbox WHERE topic LIKE '%.events' ORDER BY id"
    )
    found = [json.loads(bytes(r["payload"])) for r in rows]
    return [e for e in found if e["type"] == type_]


def _kostprijs(notice: Notice) -> list[str | None]:
    root = xmlcodec.parse_message(notice.payload)
    return [xmlcodec.child_text(e, "Kostprijs") for e in root.iter("{*}EigenBijdrage")]


async def test_a_start_13_months_back_is_held_not_sent(
    hub: BrokerHub, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # The toewijzing (and the 305's ToewijzingIngangsdatum) from 2024-01-01, so the late
    # start is valid on every other count.
    early = (b"2024-10-01", b"2024-01-01")
    toewijzing = build("WMO301", [T(1, "02")]).replace(*early)
    begun = build("WMO305", [start(1, "02", THIRTEEN_MONTHS_BACK)]).replace(*early)
    ended = build("WMO307", [stop(1, "02", THIRTEEN_MONTHS_BACK, "2025-06-30")]).replace(*early)
    assert await hub.send(hub.item(toewijzing, "0363", "ggk")) == ["accepted"]
    source = hub.item(begun, AANBIEDER, "vecozo")
    assert await hub.send(source) == ["accepted"]
    assert await hub.new_notices() == []  # no 405

    (event,) = await _events(hub, "eigenbijdrage.held")
    assert event["message_id"] == str(source.id)
    assert event["data"] == {
        "route": "405",
        "reason": "start",
        "melding_id": str(melding(1)),
        "status": "1",
        "begindatum": THIRTEEN_MONTHS_BACK,
        "einddatum": None,
        "limit_months": 12,
        "cutoff": "2024-07-21",
    }
    assert BSN not in json.dumps(event)

    # The stop of a period the gemeente handles by hand is held too: the CAK never heard of it.
    stop_item = hub.item(ended, AANBIEDER, "vecozo")
    assert await hub.send(stop_item) == ["accepted"]
    assert await hub.new_notices() == []
    reasons = [e["data"]["reason"] for e in await _events(hub, "eigenbijdrage.held")]  # type: ignore[index]
    assert reasons == ["start", "held-melding"]

    settings = Settings(database_url=database_url)
    args = argparse.Namespace(gemeente="0363", limit=200)
    assert await asyncio.to_thread(cli_eb.cmd_held, args, settings) == 0
    out = capsys.readouterr().out
    assert out.startswith("2 notice entries held (newest first):")
    assert (
        f"gemeente 0363  WMO405  new {melding(1)}  {THIRTEEN_MONTHS_BACK} .. open  "
        "start beyond the start limit (12 months: before 2024-07-21)"
    ) in out
    assert f"change {melding(1)}  {THIRTEEN_MONTHS_BACK} .. 2025-06-30  change of a period" in out
    assert f"from message {source.id}" in out
    assert BSN not in out
    args = argparse.Namespace(gemeente="0599", limit=200)
    assert await asyncio.to_thread(cli_eb.cmd_held, args, settings) == 0
    assert capsys.readouterr().out == "no notice entries held for gemeente 0599\n"


async def test_a_start_exactly_12_months_back_is_still_sent(hub: BrokerHub) -> None:
    early = (b"2024-10-01", b"2024-01-01")
    await hub.send(hub.item(build("WMO301", [T(1, "02")]).replace(*early), "0363", "ggk"))
    begun = build("WMO305", [start(1, "02", "2024-07-21")]).replace(*early)
    assert await hub.send(hub.item(begun, AANBIEDER, "vecozo")) == ["accepted"]
    assert [n.short() for n in await hub.new_notices()] == ["405 1:M1 2024-07-21.."]
    assert await _events(hub, "eigenbijdrage.held") == []


async def test_a_priced_hulpmiddel_carries_kostprijs(hub: BrokerHub) -> None:
    await hub.send(hub.item(build("WMO301", [T(1, "14"), T(2, "02")]), "0363", "ggk"))
    begun = build("WMO305", [start(1, "14", "2025-01-06")])
    assert await hub.send(hub.item(begun, AANBIEDER, "vecozo")) == ["accepted"]
    (notice,) = await hub.new_notices()
    assert (notice.route, notice.afzender) == ("405", "0363")
    assert _kostprijs(notice) == ["125000"]
    ended = build("WMO307", [stop(1, "14", "2025-01-06", "2025-03-31")])
    assert await hub.send(hub.item(ended, AANBIEDER, "vecozo")) == ["accepted"]
    (closed,) = await hub.new_notices()
    assert closed.short() == "405 2:M1 2025-01-06..2025-03-31"
    assert _kostprijs(closed) == ["125000"]
    # Other care joins the period: it is no longer a hulpmiddel's alone, so no Kostprijs.
    other = build("WMO305", [start(2, "02", "2025-02-03")])
    assert await hub.send(hub.item(other, AANBIEDER, "vecozo")) == ["accepted"]
    (mixed,) = await hub.new_notices()
    assert mixed.short() == "405 2:M1 2025-01-06.."
    assert _kostprijs(mixed) == [None]


async def test_a_beschermd_wonen_407_goes_out_in_the_centrumgemeente_s_name(
    hub: BrokerHub,
) -> None:
    await hub.send(hub.item(build("WMO301", [T(1, "15"), T(2, "02")]), "0363", "ggk"))
    begun = build("WMO305", [start(1, "15", "2025-01-06"), start(2, "02", "2025-02-03")])
    assert await hub.send(hub.item(begun, AANBIEDER, "vecozo")) == ["accepted"]
    notices = {n.route: n for n in await hub.new_notices()}
    assert notices["407"].afzender == CENTRUM
    assert notices["407"].short() == "407 1:M2 2025-01-06.."
    assert notices["405"].afzender == "0363"  # the abonnementstarief stays the gemeente's
    row = await hub.runtime.pool.fetchrow(
        "SELECT afzender, sender FROM message WHERE message_type = 'WMO407'"
    )
    assert row is not None
    assert tuple(row) == (CENTRUM, CENTRUM)
    gemeente = await hub.runtime.pool.fetchval("SELECT gemeente FROM eb_notice WHERE route = '407'")
    assert gemeente == "0363"  # the person's state stays with their own gemeente
