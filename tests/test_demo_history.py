"""The demo's seeded history (hub.ops.demo_history): every message valid and accepted by the
history rules in the order the import applies them, its lateness spread like the chain's over
about three months, and its persons, numbers and references never the live demo's."""

from __future__ import annotations

import re
from datetime import date

import pytest

from hub.domain import xmlcodec
from hub.domain.history import HistoryState, evaluate
from hub.domain.sleutelmomenten import werkdagen_late
from hub.domain.validation import Validator
from hub.domain.workdays import shift_workdays
from hub.ops.demo_history import WINDOW, messages, trajectories
from hub.ops.demo_messages import demo_persons
from hub.ops.historyimport import prepare
from tests.packkit import default_packs

WEDNESDAY = date(2026, 12, 2)
SUNDAY = date(2026, 12, 6)
NEW_YEAR = date(2027, 1, 4)
SECRET = b"demo-history-test-secret"


@pytest.mark.parametrize("today", [WEDNESDAY, SUNDAY, NEW_YEAR])
def test_every_message_is_valid_and_the_history_accepts_it_in_the_import_order(
    today: date,
) -> None:
    validator = Validator(default_packs(), clock=lambda: today)
    ready: list[prepare.Prepared] = []
    for seq, (name, payload) in enumerate(messages(today)):
        got = prepare.message(validator, name, payload, SECRET, seq)
        assert isinstance(got, prepare.Prepared), got
        ready.append(got)
    kinds = {p.facts.message_name for p in ready}
    assert kinds == {"WMO301", "WMO305", "WMO307", "WMO315", "JW301", "JW305", "JW307", "JW315"}
    state = HistoryState()
    for item in sorted(ready, key=lambda p: p.order):
        outcome = evaluate(item.facts, state)
        assert outcome.findings == (), (item.name, outcome.findings)
        state = state.with_effects(outcome.effects)
    yesterday = shift_workdays(today, -1)
    days = [p.facts.dagtekening for p in ready]
    assert all(d is not None and d <= yesterday for d in days)
    assert len({(d.year, d.month) for d in days if d is not None}) >= 3


def test_the_lateness_spreads_like_the_chain() -> None:
    today = WEDNESDAY
    drawn = trajectories(today)
    assert len(drawn) >= 150
    first = [t.toewijzing for t in drawn]
    assert min(werkdagen_late(d, today) for d in first) >= 2
    assert WINDOW - 5 <= max(werkdagen_late(d, today) for d in first) <= WINDOW
    started = [t for t in drawn if t.start is not None]
    starts = [
        werkdagen_late(max(line.begindatum, t.toewijzing), t.start)
        for t in started
        for line in t.timeline.lines
        if t.start is not None
    ]
    assert min(starts) >= 0
    assert 0.5 <= sum(s <= 5 for s in starts) / len(starts) <= 0.95  # mostly on time
    assert max(starts) > 15  # and a fat tail
    stopped = [t for t in started if t.stop is not None]
    assert len(stopped) >= 80
    for t in stopped:
        assert t.stop is not None
        assert t.start is not None
        assert t.start <= t.stop
        for line in t.timeline.lines:
            assert line.begindatum <= line.einddatum <= t.stop  # TR018, TR134
            assert line.einddatum < t.timeline.einddatum  # the stop shortens the toewijzing
    stops = [werkdagen_late(line.einddatum, t.stop) for t in stopped for line in t.timeline.lines
             if t.stop is not None]  # fmt: skip
    assert 0.5 <= sum(s <= 5 for s in stops) / len(stops) <= 0.95
    adjusted = [t for t in stopped if t.adjustment is not None]
    assert 0.4 <= len(adjusted) / len(stopped) <= 0.9  # most, not all
    later = [werkdagen_late(t.stop, t.adjustment) for t in adjusted
             if t.stop is not None and t.adjustment is not None]  # fmt: skip
    assert min(later) >= 1
    assert len(set(later)) >= 5
    verzoeken = [t for t in drawn if t.verzoek is not None]
    assert verzoeken
    assert all(t.verzoek is not None and t.verzoek <= t.toewijzing for t in verzoeken)


def test_the_same_day_seeds_the_same_history() -> None:
    assert messages(WEDNESDAY, 20) == messages(WEDNESDAY, 20)
    assert messages(WEDNESDAY, 20) != messages(SUNDAY, 20)


def _values(payload: bytes, name: str) -> list[str]:
    return [e.text or "" for e in xmlcodec.parse_message(payload).iter(f"{{*}}{name}")]


def test_the_persons_and_numbers_are_never_the_live_demos() -> None:
    seeded = messages(WEDNESDAY)
    bsns = {b for _, p in seeded for b in _values(p, "Bsn")}
    clients = {t.person.bsn for t in trajectories(WEDNESDAY)}
    assert clients <= bsns
    assert all(b.startswith("8") for b in clients)
    nummers = {n for _, p in seeded for n in _values(p, "ToewijzingNummer")}
    assert nummers
    assert all(n[-1] in "67" for n in nummers)
    assert all(
        re.fullmatch(r"HIST\d{8}", i) for _, p in seeded for i in _values(p, "Identificatie")
    )
    references = {r for _, p in seeded for r in _values(p, "ReferentieAanbieder")}
    assert references
    assert all(r.startswith("HIST-") for r in references)
    # The live demo's: BSNs 9xxxxxxxx, numbers ending in the samples' line digits 1 and 2.
    for start in (0, 12_345_600, 99_999_900):
        for person in (next(demo_persons(start)) for _ in range(1)):
            assert person.bsn.startswith("9")
            assert {person.toewijzing_nummer(300201)[-1], person.toewijzing_nummer(300202)[-1]} == {
                "1",
                "2",
            }
            assert person.referentie(1).startswith("DEMO-")
