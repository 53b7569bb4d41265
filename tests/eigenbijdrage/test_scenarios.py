"""Table-driven sequences of 301/305/307 through the core (handlers.intake.process with the
eigen-bijdrage derivation) on the real PostgreSQL, with the exact notices each step queues.

Notation of an expected notice: "<route> <status>:M<n> <begin>..<end>" per EigenBijdrage, where
M<n> is the n-th MeldingID the hub made (1 new period, 2 changed content, 3 retracted).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from tests.eigenbijdrage._messages import AANBIEDER, T, bsn, build, start, stop
from tests.eigenbijdrage.conftest import BrokerHub, Hub

OTHER = "41125003"  # a second aanbieder


@dataclass
class Step:
    name: str
    lines: list[T] | list[object]
    expect: list[str] = field(default_factory=list)
    kw: dict[str, str] = field(default_factory=dict)
    again: str = ""  # "redeliver": same record again; "reupload": same bytes, new upload
    status: str = "accepted"


def toew(*lines: T, **kw: str) -> Step:
    return Step("WMO301", list(lines), kw=kw)


def s305(*lines: object, expect: list[str] | None = None, **kw: str) -> Step:
    return Step("WMO305", list(lines), expect or [], kw)


def s307(*lines: object, expect: list[str] | None = None, **kw: str) -> Step:
    return Step("WMO307", list(lines), expect or [], kw)


J6, F3, M31, A1 = "2025-01-06", "2025-02-03", "2025-03-31", "2025-04-01"
M30, J30 = "2025-05-30", "2025-06-30"

SCENARIOS: dict[str, list[Step]] = {
    "first start opens a period": [
        toew(T(1, "02")),
        s305(start(1, "02", J6), expect=[f"405 1:M1 {J6}.."]),
    ],
    "definitive stop of the only product closes it": [
        toew(T(1, "02")),
        s305(start(1, "02", J6), expect=[f"405 1:M1 {J6}.."]),
        s307(stop(1, "02", J6, M31), expect=[f"405 2:M1 {J6}..{M31}"]),
    ],
    "overlapping products: nothing in between, latest Einddatum closes": [
        toew(T(1, "02"), T(2, "01")),
        s305(start(1, "02", J6), expect=[f"405 1:M1 {J6}.."]),
        s305(start(2, "01", F3)),
        s307(stop(1, "02", J6, M31)),
        s307(stop(2, "01", F3, M30), expect=[f"405 2:M1 {J6}..{M30}"]),
    ],
    "two products in one 305 give one notice with the earliest Begindatum": [
        toew(T(1, "02"), T(2, "01")),
        s305(start(2, "01", F3), start(1, "02", J6), expect=[f"405 1:M1 {J6}.."]),
    ],
    "deleting the only start retracts the notice": [
        toew(T(1, "02")),
        s305(start(1, "02", J6), expect=[f"405 1:M1 {J6}.."]),
        s305(start(1, "02", J6, status="3"), expect=[f"405 3:M1 {J6}.."]),
    ],
    "deleting the earliest start moves the Begindatum": [
        toew(T(1, "02"), T(2, "01")),
        s305(start(1, "02", J6), start(2, "01", F3), expect=[f"405 1:M1 {J6}.."]),
        s305(start(1, "02", J6, status="3"), expect=[f"405 2:M1 {F3}.."]),
    ],
    "deleting the stop reopens the period": [
        toew(T(1, "02")),
        s305(start(1, "02", J6), expect=[f"405 1:M1 {J6}.."]),
        s307(stop(1, "02", J6, M31), expect=[f"405 2:M1 {J6}..{M31}"]),
        s307(stop(1, "02", J6, M31, status="3"), expect=[f"405 2:M1 {J6}.."]),
    ],
    "a new start after a definitive stop opens a new period": [
        toew(T(1, "02")),
        s305(start(1, "02", J6), expect=[f"405 1:M1 {J6}.."]),
        s307(stop(1, "02", J6, M31), expect=[f"405 2:M1 {J6}..{M31}"]),
        s305(start(1, "02", M30), expect=[f"405 1:M2 {M30}.."]),
    ],
    "a new start the day after the stop continues the period": [
        toew(T(1, "02"), T(2, "01")),
        s305(start(1, "02", J6), expect=[f"405 1:M1 {J6}.."]),
        s307(stop(1, "02", J6, M31), expect=[f"405 2:M1 {J6}..{M31}"]),
        s305(start(2, "01", A1), expect=[f"405 2:M1 {J6}.."]),
    ],
    "temporary stop does not end the bijdrage by default": [
        toew(T(1, "02")),
        s305(start(1, "02", J6), expect=[f"405 1:M1 {J6}.."]),
        s307(stop(1, "02", J6, M31, "20")),
        s307(stop(1, "02", J6, M31, "19"), expect=[f"405 2:M1 {J6}..{M31}"]),
    ],
    "temporary stop and restart leave the period running": [
        toew(T(1, "02")),
        s305(start(1, "02", J6), expect=[f"405 1:M1 {J6}.."]),
        s307(stop(1, "02", J6, M31, "20")),
        s305(start(1, "02", M30)),
        s307(stop(1, "02", M30, J30), expect=[f"405 2:M1 {J6}..{J30}"]),
    ],
    "temporary stop ends the bijdrage where the gemeente says so": [
        toew(T(1, "02"), gemeente="0599"),
        s305(start(1, "02", J6), expect=[f"405 1:M1 {J6}.."], gemeente="0599"),
        s307(stop(1, "02", J6, M31, "20"), expect=[f"405 2:M1 {J6}..{M31}"], gemeente="0599"),
        s307(stop(1, "02", J6, M31, "19"), gemeente="0599"),
        s305(start(1, "02", M30), expect=[f"405 1:M2 {M30}.."], gemeente="0599"),
    ],
    "under 18 on the start date gives nothing": [
        toew(T(1, "02"), born="2010-03-01"),
        s305(start(1, "02", J6), born="2010-03-01"),
        s307(stop(1, "02", J6, M31), born="2010-03-01"),
    ],
    "18 on the start date counts": [
        toew(T(1, "02"), born="2007-01-06"),
        s305(start(1, "02", J6), born="2007-01-06", expect=[f"405 1:M1 {J6}.."]),
    ],
    "turning 18 the day after the start does not count": [
        toew(T(1, "02"), born="2007-01-07"),
        s305(start(1, "02", J6), born="2007-01-07"),
    ],
    "beschermd wonen goes to WMO407": [
        toew(T(1, "15")),
        s305(start(1, "15", J6), expect=[f"407 1:M1 {J6}.."]),
        s307(stop(1, "15", J6, M31), expect=[f"407 2:M1 {J6}..{M31}"]),
    ],
    "beschermd wonen and other support: two routes, two notices": [
        toew(T(1, "15"), T(2, "02")),
        s305(
            start(1, "15", J6), start(2, "02", F3), expect=[f"405 1:M1 {F3}..", f"407 1:M2 {J6}.."]
        ),
        s307(stop(2, "02", F3, M31), expect=[f"405 2:M1 {F3}..{M31}"]),
    ],
    "an exempt category gives nothing, another one counts": [
        toew(T(1, "11"), T(2, "02"), gemeente="0344"),
        s305(start(1, "11", J6), gemeente="0344"),
        s305(start(2, "02", F3), gemeente="0344", expect=[f"405 1:M1 {F3}.."]),
        s307(stop(2, "02", F3, M31), gemeente="0344", expect=[f"405 2:M1 {F3}..{M31}"]),
    ],
    "exempt vervoer and opvang never count": [
        toew(T(1, "08"), T(2, "16"), gemeente="0344"),
        s305(start(1, "08", J6), start(2, "16", J6), gemeente="0344"),
    ],
    "a gemeente without an enabled policy gets nothing": [
        toew(T(1, "02"), gemeente="0518"),
        s305(start(1, "02", J6), gemeente="0518"),
    ],
    "iJw never gives a 405": [  # 45: an iJw (JZ020) category; iWmo's 02 is not in that list
        Step("JW301", [T(1, "45")], kw={"gemeente": "0363", "aanbieder": OTHER}),
        Step("JW305", [start(1, "45", J6)], kw={"gemeente": "0363", "aanbieder": OTHER}),
    ],
    "a redelivered record gives no second notice": [
        toew(T(1, "02")),
        s305(start(1, "02", J6), expect=[f"405 1:M1 {J6}.."]),
        Step("WMO305", [], again="redeliver"),
    ],
    "a re-uploaded duplicate is refused (9056) and gives no notice": [
        toew(T(1, "02")),
        s305(start(1, "02", J6), expect=[f"405 1:M1 {J6}.."]),
        Step("WMO305", [], again="reupload", status="rejected"),
    ],
    "a stop without a seen start is refused by the history rules (9069)": [
        toew(T(1, "02")),
        Step("WMO307", [stop(1, "02", J6, M31)], status="rejected"),
    ],
    "a later product's start before the earlier product's stop: two periods": [
        toew(T(1, "02"), T(2, "01")),
        s305(start(1, "02", J6), expect=[f"405 1:M1 {J6}.."]),
        s305(start(2, "01", M30)),
        s307(stop(1, "02", J6, M31), expect=[f"405 2:M1 {J6}..{M31}, 1:M2 {M30}.."]),
    ],
    "a retroactive earlier start of another aanbieder moves the Begindatum": [
        toew(T(1, "02")),
        toew(T(2, "01"), aanbieder=OTHER),
        s305(start(1, "02", F3), expect=[f"405 1:M1 {F3}.."]),
        s305(start(2, "01", J6), aanbieder=OTHER, expect=[f"405 2:M1 {J6}.."]),
    ],
    "two aanbieders: the last one's stop closes with the latest Einddatum": [
        toew(T(1, "02")),
        toew(T(2, "01"), aanbieder=OTHER),
        s305(start(1, "02", J6), expect=[f"405 1:M1 {J6}.."]),
        s305(start(2, "01", F3), aanbieder=OTHER),
        s307(stop(2, "01", F3, J30), aanbieder=OTHER),
        s307(stop(1, "02", J6, M31), expect=[f"405 2:M1 {J6}..{J30}"]),
    ],
    "a line without Product takes the toewijzing's category": [
        toew(T(1, "02"), T(2, "15")),
        s305(
            start(1, None, J6), start(2, None, F3), expect=[f"405 1:M1 {J6}..", f"407 1:M2 {F3}.."]
        ),
    ],
    "a retraction and a later start give a new MeldingID": [
        toew(T(1, "02")),
        s305(start(1, "02", J6), expect=[f"405 1:M1 {J6}.."]),
        s305(start(1, "02", J6, status="3"), expect=[f"405 3:M1 {J6}.."]),
        s305(start(1, "02", F3), expect=[f"405 1:M2 {F3}.."]),
    ],
    "a correction in one 305 (delete old line, new Begindatum) changes the period": [
        toew(T(1, "02")),
        s305(start(1, "02", J6), expect=[f"405 1:M1 {J6}.."]),
        s305(start(1, "02", J6, status="3"), start(1, "02", F3), expect=[f"405 2:M1 {F3}.."]),
    ],
    "a deleted stop of one of two products changes nothing": [
        toew(T(1, "02"), T(2, "01")),
        s305(start(1, "02", J6), start(2, "01", F3), expect=[f"405 1:M1 {J6}.."]),
        s307(stop(1, "02", J6, M31)),
        s307(stop(1, "02", J6, M31, status="3")),
    ],
    "another person's lines never touch this person's period": [
        toew(T(1, "02")),
        s305(start(1, "02", J6), expect=[f"405 1:M1 {J6}.."]),
        toew(T(1, "02"), client_bsn=bsn(7)),
        s305(start(1, "02", F3), client_bsn=bsn(7), expect=[f"405 1:M2 {F3}.."]),
        s307(stop(1, "02", J6, M31), expect=[f"405 2:M1 {J6}..{M31}"]),
    ],
}


@pytest.mark.parametrize("steps", SCENARIOS.values(), ids=SCENARIOS.keys())
async def test_scenario(hub: Hub, steps: list[Step]) -> None:
    await run_scenario(hub, steps)


@pytest.mark.e2e
@pytest.mark.parametrize("steps", SCENARIOS.values(), ids=SCENARIOS.keys())
async def test_scenario_through_the_broker(broker_hub: BrokerHub, steps: list[Step]) -> None:
    """The same sequences, each message through the real broker and the core's router."""
    await run_scenario(broker_hub, steps)


async def run_scenario(hub: Hub, steps: list[Step]) -> None:
    last = None
    identificaties: set[str] = set()
    for number, step in enumerate(steps, start=1):
        if step.again == "redeliver":
            assert last is not None
            item = last
        elif step.again == "reupload":
            assert last is not None
            item = hub.item(last.payload, last.party, last.node)
        else:
            kw = dict(step.kw)
            gemeente_sends = step.name.endswith("301")
            payload = build(step.name, step.lines, **kw)  # type: ignore[arg-type]
            party = kw.get("gemeente", "0363") if gemeente_sends else kw.get("aanbieder", AANBIEDER)
            item = hub.item(payload, party, "ggk" if gemeente_sends else "vecozo")
        (status,) = await hub.send(item)
        assert status == step.status, f"step {number} ({step.name}) was {status}"
        notices = await hub.new_notices()
        assert [n.short() for n in notices] == step.expect, f"step {number} ({step.name})"
        for n in notices:
            assert n.afzender == (step.kw.get("gemeente") or "0363")
            assert n.ontvanger == hub.runtime.settings.cak_party_code
            assert n.dagtekening == "2025-07-21"
            assert n.identificatie not in identificaties
            identificaties.add(n.identificatie)
        last = item
