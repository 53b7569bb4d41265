"""The demo's dates spread like the chain's lateness and stay within the standard: drawn per
trajectory from a seed, bounded as TR134 / TR018 / CS003 require, and every message a trajectory
sends (its adjusting 301 too) valid and free of history findings, as intake would see it."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date

import pytest
from lxml import etree

from hub.domain import xmlcodec
from hub.domain.history import HistoryState, evaluate, extract
from hub.domain.messages import Standard
from hub.domain.sleutelmomenten import werkdagen_late
from hub.domain.validation import Outcome, Validator
from hub.ops.demo_dates import REDEN_WIJZIGING, Timeline, draw
from hub.ops.demo_messages import Person, demo_persons, personalise, template
from tests.packkit import default_packs

WEDNESDAY = date(2026, 12, 2)
SUNDAY = date(2026, 12, 6)
NEW_YEAR = date(2027, 1, 4)  # the first werkdag after Christmas and New Year
SECRET = b"demo-dates-test-secret"


def _timelines(today: date, n: int = 2000) -> list[Timeline]:
    return [draw(seed, today, (Standard.IWMO, Standard.IJW)[seed % 2]) for seed in range(n)]


@pytest.mark.parametrize("today", [WEDNESDAY, SUNDAY, NEW_YEAR])
def test_every_date_is_within_its_bounds(today: date) -> None:
    for t in _timelines(today):
        assert t.today == today
        assert 0 <= werkdagen_late(t.toewijzingsdatum, today) <= 15
        assert t.ingangsdatum < t.einddatum  # CS003, and never a deletion
        assert werkdagen_late(t.ingangsdatum, today) <= 60
        assert werkdagen_late(t.ingangsdatum, today) >= -20
        codes = t.codes()[1:] if t.verzoek else t.codes()
        assert t.codes()[0] == ("315", "316") or not t.verzoek
        if not t.starts:
            assert codes == (("301", "302"),)
            assert t.adjust_after is None
            continue
        for line in t.lines:
            assert t.ingangsdatum <= line.begindatum <= today  # TR134 on the 305
            assert werkdagen_late(line.begindatum, today) <= 40
            if t.stops:
                assert line.begindatum <= line.einddatum <= today  # TR018, TR134 on the 307
                assert line.einddatum < t.einddatum  # within the toewijzing
                assert werkdagen_late(line.einddatum, today) <= 30
        if t.stops:
            assert codes == (("301", "302"), ("305", "306"), ("307", "308"))
        else:  # the forgotten stop: the toewijzing ended before today, no 307 follows
            assert max(line.begindatum for line in t.lines) <= t.einddatum < today
            assert codes == (("301", "302"), ("305", "306"))
            assert t.adjust_after is None
        assert t.adjusted_tijd > t.toewijzingstijd  # the adjusting version is the later one


def test_the_spread_looks_like_the_chain() -> None:
    timelines = _timelines(WEDNESDAY)
    n = len(timelines)
    retroactive = sum(t.ingangsdatum < t.today for t in timelines) / n
    assert 0.75 <= retroactive <= 0.85  # "80% of toewijzingen arrive late"
    assert any(t.ingangsdatum == t.today for t in timelines)
    assert any(t.ingangsdatum > t.today for t in timelines)
    assert len({werkdagen_late(t.toewijzingsdatum, t.today) for t in timelines}) == 16
    started = [t for t in timelines if t.starts]
    begins = [werkdagen_late(line.begindatum, t.today) for t in started for line in t.lines]
    on_time = sum(b <= 5 for b in begins) / len(begins)
    assert 0.6 <= on_time <= 0.95  # mostly on time, with a fat tail
    assert sum(b > 20 for b in begins) >= len(begins) // 100
    stopped = [t for t in started if t.stops]
    ends = [werkdagen_late(line.einddatum, t.today) for t in stopped for line in t.lines]
    assert 0.6 <= sum(e <= 5 for e in ends) / len(ends) <= 0.95  # some stops come late
    assert max(ends) > 15
    forgotten = (len(started) - len(stopped)) / len(started)
    assert 0.03 <= forgotten <= 0.15
    adjusted = sum(t.adjust_after is not None for t in stopped) / len(stopped)
    assert 0.6 <= adjusted <= 0.8  # most gemeenten adjust, some never do
    assert {t.adjust_after for t in stopped} == {None, 0, 1, 2, 3, 4}
    assert 0.1 <= sum(t.verzoek for t in timelines) / n <= 0.2  # a few open with a 315


def test_a_seed_draws_the_same_dates_again() -> None:
    assert draw(42, WEDNESDAY, Standard.IJW) == draw(42, WEDNESDAY, Standard.IJW)
    assert len({draw(seed, WEDNESDAY, Standard.IWMO) for seed in range(50)}) > 40


def _trajectory(standard: Standard, person: Person, t: Timeline) -> Iterator[tuple[str, bytes]]:
    """The messages the demo sends for one trajectory, in order (as hub.ops.demo does)."""
    counter = itertools.count(1)
    steps = [(heen, retour, False) for heen, retour in t.codes()]
    if t.adjust_after is not None:
        steps.append(("301", "302", True))
    for heen, retour, adjusted in steps:
        ident = f"DEMO{next(counter):08d}"
        yield heen, personalise(template(standard, heen), ident, None, person, t, adjusted=adjusted)
        yield retour, personalise(template(standard, retour), ident, f"DEMR{ident[4:]}", person, t)


@pytest.mark.parametrize("today", [WEDNESDAY, SUNDAY])
@pytest.mark.parametrize("standard", [Standard.IWMO, Standard.IJW])
def test_every_message_is_valid_and_the_history_accepts_it(standard: Standard, today: date) -> None:
    validator = Validator(default_packs(), clock=lambda: today)
    persons = demo_persons(7_000)
    kinds: set[tuple[str, ...]] = set()
    adjusted = honoured = 0
    for _ in range(60):
        person = next(persons)
        t = draw(person.n, today, standard)
        kinds.add(tuple(heen for heen, _ in t.codes()))
        state = HistoryState()
        versions = 0
        for code, payload in _trajectory(standard, person, t):
            verdict = validator.validate(payload)
            assert verdict.outcome is Outcome.VALID, (code, t, verdict.findings)
            assert verdict.message_type is not None
            assert verdict.root is not None
            root = verdict.root
            dagtekening = xmlcodec.child_text(root, "Header", "BerichtIdentificatie", "Dagtekening")
            assert dagtekening == today.isoformat(), code
            if not verdict.message_type.is_heen:
                continue
            outcome = evaluate(extract(root, verdict.message_type.name, SECRET), state)
            assert outcome.findings == (), (code, t, outcome.findings)
            state = state.with_effects(outcome.effects)
            if code == "301":
                versions += 1
                references = _texts(root, "ReferentieAanbieder")
                if versions == 2:
                    adjusted += 1
                    _assert_adjusts(root, t, standard)
                    assert references == []  # only the first version honours (TR379)
                elif t.verzoek:
                    honoured += 1
                    assert references == [person.referentie(1)]
                else:
                    assert references == []
            if code == "315":
                assert _texts(root, "ReferentieAanbieder") == [person.referentie(1)]
    assert adjusted > 0
    assert honoured > 0
    assert ("301", "305", "307") in kinds


def _texts(root: etree._Element, name: str) -> list[str]:
    return [e.text or "" for e in root.iter(f"{{*}}{name}")]


def _assert_adjusts(root: etree._Element, t: Timeline, standard: Standard) -> None:
    """The adjusting 301 ends each line at its stop, later than the first version, with the
    reason the standard maps the stop's to."""
    products = list(root.iter("{*}ToegewezenProduct"))
    assert len(products) == len(t.lines)
    for product, line in zip(products, t.lines, strict=True):
        assert xmlcodec.child_text(product, "Einddatum") == line.einddatum.isoformat()
        assert xmlcodec.child_text(product, "Toewijzingsdatum") == t.today.isoformat()
        assert xmlcodec.child_text(product, "RedenWijziging") == REDEN_WIJZIGING[standard]
