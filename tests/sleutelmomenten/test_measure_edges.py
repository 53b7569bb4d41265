"""The pure measuring of a batch, continued: the declaratie and antwoord moments, the keys
it looks up, a message that fails alone, and odd dates that are implausible, never errors."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from hub.domain.history.facts import ToewijzingLine
from hub.domain.sleutelmomenten import Moment, Outcome
from hub.domain.sleutelmomenten.antwoord import Answered, antwoord
from hub.domain.sleutelmomenten.measure import Declared, Lookups, measure, wanted

from ._facts import (
    FRI,
    KEY,
    THU,
    XMAS_EVE,
    A,
    G,
    P,
    arrive,
    m301,
    m305,
    m307,
    m323,
    m325,
    mid,
    only,
    start_key,
    toewijzing,
)  # fmt: skip

# --- declaratie -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arrived", "outcome", "werkdagen"),
    [(date(2027, 1, 4), Outcome.ON_TIME, 10), (date(2027, 1, 5), Outcome.LATE, 11)],
)
def test_the_325_against_the_323s_receipt(arrived: date, outcome: Outcome, werkdagen: int) -> None:
    # Thursday 17 December: 18, 21, 22, 23, 24, 28, 29, 30, 31 (Nieuwjaarsdag not), 4 January.
    heen = mid()
    lookups = Lookups(declaraties={("iwmo", A, "D-1"): Declared(THU, heen)})
    a = arrive(m325(), arrived)
    d = only(measure([a], lookups).measurements, Moment.DECLARATIE)
    assert (d.outcome, d.werkdagen, d.deadline, d.reference_date) == (outcome, werkdagen, 10, THU)
    assert (d.reference, d.about_id, d.message_id, d.person_key) == (
        "D-1",
        heen,
        a.message_id,
        None,
    )
    assert (d.gemeente, d.aanbieder, d.toewijzing_nummer, d.line) == (G, A, "", "")


def test_a_323_and_its_325_in_one_batch_and_an_unknownm323() -> None:
    heen = arrive(m323(), THU)
    r = measure([heen, arrive(m325(), FRI), arrive(m325("D-2"), FRI)], Lookups())
    [d] = r.measurements
    assert (d.about_id, d.werkdagen) == (heen.message_id, 1)


# --- wanted, failures, odd dates, antwoord ----------------------------------------------------


def test_wanted_names_each_key_once() -> None:
    w = wanted([
        arrive(m301(toewijzing()), THU), arrive(m305(start_key()), THU),
        arrive(m307(THU), THU), arrive(m307(THU, reden="20"), THU), arrive(m325(), THU),
    ])  # fmt: skip
    assert w.toewijzingen == w.first_arrivals == w.open_stops == w.open_aanpassingen == {KEY}
    assert w.temporary_stops == {(G, A, P, start_key())}
    assert w.declaraties == {("iwmo", A, "D-1")}


def test_one_message_that_fails_is_left_out_and_the_others_are_measured() -> None:
    broken = ToewijzingLine("/T", "9", "02", "02A04", THU, None, None)  # type: ignore[arg-type]
    bad = arrive(m301(toewijzing(nummer="1"), broken), THU)
    good = arrive(m305(start_key()), THU)
    r = measure([bad, good], Lookups())
    assert r.failed == (bad.message_id,)
    assert [m.message_id for m in r.measurements] == [good.message_id]


@pytest.mark.parametrize("odd", [date.min, date.max, date(1900, 2, 28), date(2099, 12, 31)])
def test_odd_dates_are_implausible_and_never_raise(odd: date) -> None:
    batch = [
        arrive(m301(toewijzing(ingang=odd, op=odd)), THU),
        arrive(m305(start_key(nummer="9", begin=odd)), THU),
        arrive(m307(odd, key=start_key(nummer="9", begin=odd)), THU),
        arrive(m323(), odd),
        arrive(m325(), THU),
    ]
    r = measure(batch, Lookups())
    assert r.failed == ()
    assert len(r.measurements) == 5
    assert {m.outcome for m in r.measurements} == {Outcome.IMPLAUSIBLE}
    assert {m.werkdagen for m in r.measurements} == {None}


@pytest.mark.parametrize("odd", [date.min, date.max])
def test_an_odd_arrival_never_raises(odd: date) -> None:
    r = measure([arrive(m301(toewijzing()), odd), arrive(m307(THU), odd)], Lookups())
    assert r.failed == ()
    # The 307 on a toewijzing without Einddatum opens its aanpassing, as any would.
    assert [(m.moment, m.outcome) for m in r.measurements if m.arrived is not None] == [
        (Moment.TOEWIJZING, Outcome.IMPLAUSIBLE),
        (Moment.TOEWIJZINGSDATUM, Outcome.IMPLAUSIBLE),
        (Moment.STOP, Outcome.IMPLAUSIBLE),
    ]


def test_a_begindatum_years_ahead_is_implausible() -> None:
    s = only(measure([arrive(m305(start_key(begin=date(2030, 1, 1))), THU)], Lookups())
             .measurements, Moment.START)  # fmt: skip
    assert (s.outcome, s.werkdagen) == (Outcome.IMPLAUSIBLE, None)


def test_antwoord_only_for_the_answer_that_met_the_first_clock() -> None:
    verzoek, answer = mid(), mid()
    answered = Answered(
        "iwmo", G, A, P, "REF-1", verzoek, datetime(2026, 12, 17, 22, 30, tzinfo=UTC), answer,
        datetime(2026, 12, 24, 10, 0, tzinfo=UTC), first=True,
    )  # fmt: skip
    m = antwoord(answered, nummer="300201", line="/T")
    assert m is not None
    # 22:30 UTC on the 17th is the 17th in Amsterdam (23:30): to the 24th is 5 werkdagen.
    assert (m.moment, m.outcome, m.werkdagen, m.deadline) == (
        Moment.ANTWOORD,
        Outcome.ON_TIME,
        5,
        5,
    )
    assert (m.reference_date, m.arrived, m.reference) == (THU, XMAS_EVE, "REF-1")
    assert (m.message_id, m.about_id, m.toewijzing_nummer, m.line) == (
        answer,
        verzoek,
        "300201",
        "/T",
    )
    late = replace(answered, answered_at=datetime(2026, 12, 28, 9, tzinfo=UTC))
    assert (m := antwoord(late)) is not None
    assert (m.outcome, m.werkdagen) == (Outcome.LATE, 6)
    assert antwoord(replace(answered, first=False)) is None
