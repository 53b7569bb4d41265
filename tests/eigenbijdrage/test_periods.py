"""The per-person state machine, pure: periods from lines, reconcile, and (hypothesis) that any
arrival order of the same lines ends in the same CAK view without a duplicate notice."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from itertools import count, pairwise
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from hub.domain.eigenbijdrage.periods import (
    CHANGE,
    DELETE,
    NEW,
    Entry,
    Facts,
    Line,
    Period,
    apply_entries,
    periods,
    reconcile,
)
from hub.domain.history.facts import StartKey, StopKey

D0 = date(2025, 1, 1)


def d(n: int) -> date:
    return D0 + timedelta(days=n)


def start(nr: str, begin: int, *, aanbieder: str = "A", deleted: bool = False) -> Line:
    return Line(aanbieder, StartKey(nr, "02", "", d(begin)), None, deleted)


def stop(nr: str, begin: int, end: int, reden: str = "19", *, aanbieder: str = "A",
         deleted: bool = False) -> Line:  # fmt: skip
    key = StartKey(nr, "02", "", d(begin))
    return Line(aanbieder, key, StopKey(key, reden, d(end)), deleted)


def mid(n: int) -> UUID:
    return UUID(f"00000000-0000-4000-8000-{n:012d}")


def ids() -> Callable[[], UUID]:
    c = count(1)
    return lambda: mid(next(c))


Run = tuple[dict[UUID, Period], list[list[Entry]]]


def run(lines: list[Line], *, temporary_ends: bool = False) -> Run:
    facts = Facts()
    told: dict[UUID, Period] = {}
    notices: list[list[Entry]] = []
    new_id = ids()
    for line in lines:
        facts = facts.with_lines([line])
        entries = reconcile(told, periods(facts, temporary_stop_ends=temporary_ends), new_id)
        if entries:
            notices.append(entries)
        told = apply_entries(told, entries)
    return told, notices


def test_first_start_opens_and_last_definitive_stop_closes() -> None:
    told, notices = run([start("1", 0), start("2", 10), stop("1", 0, 40), stop("2", 10, 60)])
    assert [[(e.status, e.period) for e in n] for n in notices] == [
        [(NEW, Period(d(0)))],
        [(CHANGE, Period(d(0), d(60)))],
    ]
    assert sorted(told.values()) == [Period(d(0), d(60))]


def test_gap_between_products_gives_two_periods_touching_ones_merge() -> None:
    assert periods(Facts().with_lines([start("1", 0), stop("1", 0, 9), start("2", 10)])) == (
        Period(d(0)),
    )
    assert periods(Facts().with_lines([start("1", 0), stop("1", 0, 9), start("2", 11)])) == (
        Period(d(0), d(9)),
        Period(d(11)),
    )


def test_temporary_stop_continues_by_default_and_can_end_by_policy() -> None:
    lines = [start("1", 0), stop("1", 0, 20, "20")]
    assert periods(Facts().with_lines(lines)) == (Period(d(0)),)
    assert periods(Facts().with_lines(lines), temporary_stop_ends=True) == (Period(d(0), d(20)),)
    restarted = [*lines, start("1", 50)]
    assert periods(Facts().with_lines(restarted)) == (Period(d(0)),)
    assert periods(Facts().with_lines(restarted), temporary_stop_ends=True) == (
        Period(d(0), d(20)),
        Period(d(50)),
    )
    # A definitive stop after a temporary one (same Einddatum, casus 2) ends it.
    final = [*lines, stop("1", 0, 20, "19")]
    assert periods(Facts().with_lines(final)) == (Period(d(0), d(20)),)


def test_deleting_the_only_start_retracts_and_deleting_the_stop_reopens() -> None:
    _, notices = run([start("1", 0), start("1", 0, deleted=True)])
    assert [[(e.status, e.melding_id) for e in n] for n in notices] == [
        [(NEW, mid(1))],
        [(DELETE, mid(1))],
    ]
    _, notices = run([start("1", 0), stop("1", 0, 30), stop("1", 0, 30, deleted=True)])
    assert [[(e.status, e.period) for e in n] for n in notices] == [
        [(NEW, Period(d(0)))],
        [(CHANGE, Period(d(0), d(30)))],
        [(CHANGE, Period(d(0)))],
    ]


def test_new_start_after_a_closed_period_gets_a_new_melding() -> None:
    told, notices = run([start("1", 0), stop("1", 0, 30), start("2", 60)])
    assert [e.status for n in notices for e in n] == [NEW, CHANGE, NEW]
    assert len(told) == 2


def test_a_line_applied_twice_changes_nothing() -> None:
    _, once = run([start("1", 0), stop("1", 0, 30)])
    _, twice = run([start("1", 0), start("1", 0), stop("1", 0, 30), stop("1", 0, 30)])
    assert once == twice


def test_a_split_period_changes_one_melding_and_opens_another() -> None:
    lines = [start("1", 0), stop("1", 0, 9), start("2", 10), start("3", 30)]
    _, notices = run([*lines, start("2", 10, deleted=True)])
    assert [(e.status, e.period) for e in notices[-1]] == [
        (CHANGE, Period(d(0), d(9))),
        (NEW, Period(d(30))),
    ]


# --- properties -----------------------------------------------------------------------------


@st.composite
def histories(draw: st.DrawFn) -> list[Line]:
    """Lines the history rules could accept for one person: per product a start, maybe a
    temporary stop, maybe a definitive stop, maybe a deleted start (only without stops) or a
    deleted stop; several products of two aanbieders with overlapping or separate periods."""
    lines: list[Line] = []
    for n in range(draw(st.integers(1, 4))):
        aanbieder = draw(st.sampled_from(["A", "B"]))
        nr = str(n + 1)
        begin = draw(st.integers(0, 120))
        lines.append(start(nr, begin, aanbieder=aanbieder))
        kind = draw(st.sampled_from(["open", "temp", "stop", "temp+stop", "deleted", "unstop"]))
        end = begin + draw(st.integers(0, 90))
        if kind == "deleted":
            lines.append(start(nr, begin, aanbieder=aanbieder, deleted=True))
        if kind in ("temp", "temp+stop"):
            lines.append(stop(nr, begin, end, "20", aanbieder=aanbieder))
        if kind in ("stop", "temp+stop", "unstop"):
            lines.append(stop(nr, begin, end + draw(st.integers(0, 5)), aanbieder=aanbieder))
        if kind == "unstop":
            lines.append(stop(nr, begin, lines[-1].stop.einddatum.toordinal() - D0.toordinal(),  # type: ignore[union-attr]
                              aanbieder=aanbieder, deleted=True))  # fmt: skip
    return lines


def _check_each_entry_changes_the_view(told: dict[UUID, Period], entries: list[Entry]) -> None:
    for e in entries:
        if e.status == NEW:
            assert e.melding_id not in told
        elif e.status == CHANGE:
            assert told[e.melding_id] != e.period
        else:
            assert e.melding_id in told
        told = apply_entries(told, [e])
    spans = sorted(told.values())
    for a, b in pairwise(spans):
        assert a.end is not None
        assert a.end + timedelta(days=1) < b.begin  # never two periods that overlap or touch


@settings(max_examples=200, deadline=None)
@given(histories(), st.randoms(use_true_random=False), st.booleans())
def test_any_order_converges_and_never_duplicates(
    lines: list[Line], rnd: object, temporary_ends: bool
) -> None:
    expected = sorted(periods(Facts().with_lines(lines), temporary_stop_ends=temporary_ends))
    shuffled = list(lines)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    for order in (lines, shuffled):
        facts = Facts()
        told: dict[UUID, Period] = {}
        new_id = ids()
        for line in order:
            facts = facts.with_lines([line])
            wanted = periods(facts, temporary_stop_ends=temporary_ends)
            entries = reconcile(told, wanted, new_id)
            _check_each_entry_changes_the_view(told, entries)
            told = apply_entries(told, entries)
            assert sorted(told.values()) == sorted(wanted)
            # Nothing new to say: the same line again gives no notice.
            again = facts.with_lines([line])
            assert reconcile(told, periods(again, temporary_stop_ends=temporary_ends), new_id) == []
        assert sorted(told.values()) == expected


@settings(max_examples=200, deadline=None)
@given(histories())
def test_causal_order_opens_at_most_one_melding_per_period_lifetime(lines: list[Line]) -> None:
    """In the order the history rules allow (a product's lines in order), a period that is
    never split or retracted is announced once with 1 and closed with at most one 2."""
    told, notices = run(lines)
    statuses = [e.status for n in notices for e in n]
    new_count = statuses.count(NEW)
    assert new_count >= len(told)
    assert all(len({e.melding_id for e in n}) == len(n) for n in notices)
