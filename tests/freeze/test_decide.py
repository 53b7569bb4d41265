"""The pure freeze model: the planner reproduces the observed 2020 and 2022 timelines
(domain.md §7.1), and `decide` replays them kind by kind and moment by moment."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from types import MappingProxyType

import pytest

from hub.domain import freeze
from hub.domain.errors import ConfigError
from hub.domain.freeze import ZONE, Allow, Calendar, Park, Phase, Refuse
from hub.domain.messages import Standard


def _ams(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZONE)


# 2.3 → 2.4 (2020): live Monday 30 March 2020 13:00; 303 by Wed 18 Mar 23:00, heen by Wed
# 25 Mar 17:00, retours by Thu 26 Mar 13:00. (2.x's 303 is the 3.x 323 in the catalogue.)
Y2020 = freeze.plan(Standard.IWMO, _ams("2020-03-30T13:00"), "2.3", "2.4")
# 3.0 → 3.1 (2022): live Monday 4 April 2022 13:00; 323 stop Wed 23 Mar 23:00, heen by Wed
# 30 Mar 17:00, retours by Thu 31 Mar 13:00, transition to Mon 4 Apr 13:00.
Y2022 = freeze.plan(Standard.IJW, _ams("2022-04-04T13:00"), "3.0", "3.1")
CALENDAR = Calendar(MappingProxyType({Standard.IWMO: Y2020, Standard.IJW: Y2022}))


@pytest.mark.parametrize(
    ("planned", "moments"),
    [
        (Y2020, ("2020-03-18T23:00", "2020-03-25T17:00", "2020-03-26T13:00", "2020-03-30T13:00")),
        (Y2022, ("2022-03-23T23:00", "2022-03-30T17:00", "2022-03-31T13:00", "2022-04-04T13:00")),
    ],
)
def test_the_planner_reproduces_the_observed_timelines(
    planned: freeze.Freeze, moments: tuple[str, ...]
) -> None:
    assert tuple(getattr(planned, k) for k in freeze.MOMENTS) == tuple(map(_ams, moments))


A = Allow()
CUT20, CUT22 = Y2020.cutover, Y2022.cutover

# (standard, release, message, moment (Amsterdam), expected decision)
CASES: list[tuple[Standard, str, str, str, object]] = [
    # 2020, old release 2.3
    (Standard.IWMO, "2.3", "WMO323", "2020-03-18T22:59", A),
    (Standard.IWMO, "2.3", "WMO323", "2020-03-18T23:00",
     (Phase.DECLARATIE_FREEZE, "2020-03-18T23:00", CUT20)),
    (Standard.IWMO, "2.3", "WMO305", "2020-03-18T23:00", A),
    (Standard.IWMO, "2.3", "WMO325", "2020-03-20T09:00", A),  # answers still flow
    (Standard.IWMO, "2.3", "WMO301", "2020-03-25T16:59", A),
    (Standard.IWMO, "2.3", "WMO301", "2020-03-25T17:00",
     (Phase.HEEN_FREEZE, "2020-03-25T17:00", CUT20)),
    (Standard.IWMO, "2.3", "WMO305", "2020-03-25T17:00",
     (Phase.HEEN_FREEZE, "2020-03-25T17:00", CUT20)),
    (Standard.IWMO, "2.3", "WMO307", "2020-03-26T08:00",
     (Phase.HEEN_FREEZE, "2020-03-25T17:00", CUT20)),
    (Standard.IWMO, "2.3", "WMO315", "2020-03-26T08:00",
     (Phase.HEEN_FREEZE, "2020-03-25T17:00", CUT20)),
    (Standard.IWMO, "2.3", "WMO302", "2020-03-26T12:59", A),  # retours until the full stop
    (Standard.IWMO, "2.3", "WMO325", "2020-03-26T12:59", A),
    (Standard.IWMO, "2.3", "WMO302", "2020-03-26T13:00",
     (Phase.TRANSITION, "2020-03-26T13:00", CUT20)),
    (Standard.IWMO, "2.3", "WMO323", "2020-03-28T10:00",
     (Phase.TRANSITION, "2020-03-26T13:00", CUT20)),
    (Standard.IWMO, "2.3", "WMO302", "2020-03-30T13:00", (Phase.LIVE, "2020-03-30T13:00", None)),
    (Standard.IWMO, "2.3", "WMO301", "2020-04-02T09:00", (Phase.LIVE, "2020-03-30T13:00", None)),
    # 2020, new release 2.4: held until the cutover, then it flows
    (Standard.IWMO, "2.4", "WMO301", "2020-03-10T09:00", CUT20),
    (Standard.IWMO, "2.4", "WMO302", "2020-03-30T12:59", CUT20),
    (Standard.IWMO, "2.4", "WMO301", "2020-03-30T13:00", A),
    (Standard.IWMO, "2.4", "WMO323", "2020-03-30T13:00", A),
    # a release the calendar does not name, a standard without a freeze
    (Standard.IWMO, "2.2", "WMO301", "2020-03-28T10:00", A),
    (Standard.IEB, "4.0", "WMO405", "2020-03-28T10:00", A),
    # 2022, old release 3.0 (iJw)
    (Standard.IJW, "3.0", "JW323", "2022-03-23T22:59", A),
    (Standard.IJW, "3.0", "JW323", "2022-03-23T23:00",
     (Phase.DECLARATIE_FREEZE, "2022-03-23T23:00", CUT22)),
    (Standard.IJW, "3.0", "JW317", "2022-03-30T16:59", A),
    (Standard.IJW, "3.0", "JW317", "2022-03-30T17:00",
     (Phase.HEEN_FREEZE, "2022-03-30T17:00", CUT22)),
    (Standard.IJW, "3.0", "JW319", "2022-03-31T12:00",
     (Phase.HEEN_FREEZE, "2022-03-30T17:00", CUT22)),
    (Standard.IJW, "3.0", "JW320", "2022-03-31T12:59", A),
    (Standard.IJW, "3.0", "JW320", "2022-03-31T13:00",
     (Phase.TRANSITION, "2022-03-31T13:00", CUT22)),
    (Standard.IJW, "3.0", "JW305", "2022-04-04T13:00", (Phase.LIVE, "2022-04-04T13:00", None)),
    (Standard.IJW, "3.1", "JW305", "2022-04-02T10:00", CUT22),
    (Standard.IJW, "3.1", "JW305", "2022-04-04T13:00", A),
]  # fmt: skip


@pytest.mark.parametrize(("standard", "release", "message", "moment", "expected"), CASES)
def test_decide_replays_the_timelines(
    standard: Standard, release: str, message: str, moment: str, expected: object
) -> None:
    got = freeze.decide(CALENDAR, standard, release, message, _ams(moment))
    if isinstance(expected, Allow):
        assert got == expected
    elif isinstance(expected, datetime):
        assert isinstance(got, Park)
        assert got.until == expected
        assert release in got.reason
    else:
        assert isinstance(got, Refuse)
        assert isinstance(expected, tuple)
        phase, since, until = expected
        assert (got.phase, got.since, got.until) == (phase, _ams(since), until)
        assert got.permanent is (until is None)
        assert release in got.reason


def test_a_refusal_after_cutover_names_the_release_and_the_cutover() -> None:
    got = freeze.decide(CALENDAR, "iwmo", "2.3", "WMO305", _ams("2020-03-31T09:00"))
    assert isinstance(got, Refuse)
    assert "iwmo 2.3" in got.reason
    assert "2020-03-30 13:00" in got.reason
    assert "2.4" in got.reason


def test_no_calendar_freezes_nothing() -> None:
    assert freeze.decide(None, "iwmo", "3.2", "WMO323", _ams("2027-04-01T13:00")) == A
    assert freeze.load_calendar(None) == freeze.EMPTY


def test_phase_per_moment() -> None:
    assert Y2022.phase(_ams("2022-03-01T00:00")) is Phase.OPEN
    assert Y2022.phase(_ams("2022-03-31T13:00")) is Phase.TRANSITION
    assert Y2022.phase(_ams("2022-04-04T13:00")) is Phase.LIVE


def test_plan_toml_loads_back(tmp_path: Path) -> None:
    planned = freeze.plan("iwmo", _ams("2027-04-05T13:00"), "3.2", "3.3")
    path = tmp_path / "freeze.toml"
    path.write_text(planned.to_toml(), encoding="utf-8")
    calendar = freeze.load_calendar(path)
    assert calendar.get("iwmo") == planned
    assert calendar.get("ijw") is None


GOOD = """
[iwmo]
from_release = "3.2"
to_release = "3.3"
declaratie_freeze = 2027-03-24T23:00:00
heen_freeze = 2027-03-31T17:00:00
retour_deadline = 2027-04-01T13:00:00
cutover = 2027-04-05T13:00:00
"""


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (("heen_freeze = 2027-03-31T17:00:00", "heen_freeze = 2027-03-20T17:00:00"), "heen_freeze"),
        (("retour_deadline = 2027-04-01T13:00:00", "retour_deadline = 2027-03-31T16:00:00"),
         "retour_deadline"),
        (("cutover = 2027-04-05T13:00:00", "cutover = 2027-04-01T13:00:00"), "cutover"),
        (("cutover = 2027-04-05T13:00:00", ""), "cutover is missing"),
        (('to_release = "3.3"', 'to_release = "3.2"'), "both 3.2"),
        (("[iwmo]", "[iwlz]"), "unknown standard"),
        (("cutover = 2027-04-05T13:00:00", 'cutover = "next monday"'), "cutover"),
    ],
)  # fmt: skip
def test_a_bad_calendar_is_refused_in_one_line_naming_the_phase(
    tmp_path: Path, change: tuple[str, str], named: str
) -> None:
    path = tmp_path / "freeze.toml"
    path.write_text(GOOD.replace(*change), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        freeze.load_calendar(path)
    message = str(err.value)
    assert named in message
    assert "\n" not in message
    assert "HUB_FREEZE_FILE" in message


def test_local_times_in_the_file_are_amsterdam_time(tmp_path: Path) -> None:
    path = tmp_path / "freeze.toml"
    path.write_text(GOOD, encoding="utf-8")
    f = freeze.load_calendar(path).get(Standard.IWMO)
    assert f is not None
    assert f.cutover == _ams("2027-04-05T13:00")
    assert f.cutover.utcoffset() is not None
