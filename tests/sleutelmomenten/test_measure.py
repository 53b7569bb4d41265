"""The pure measuring of a batch (hub/domain/sleutelmomenten/measure.py): toewijzing, start,
stop and aanpassing, their edges in werkdagen (a Friday, a weekend, Kerstmis 2026), the
in-batch overlay and shortenings."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from hub.domain.history.facts import ToewijzingLine
from hub.domain.sleutelmomenten import Moment, Outcome
from hub.domain.sleutelmomenten.measure import Current, Lookups, OpenRow, measure

from ._facts import (
    FRI,
    KEY,
    MON_28,
    THU,
    XMAS,
    XMAS_EVE,
    A,
    G,
    P,
    arrive,
    m301,
    m305,
    m307,
    mid,
    of,
    only,
    start_key,
    toewijzing,
)  # fmt: skip

# --- toewijzing and toewijzingsdatum ----------------------------------------------------------


def test_a_new_toewijzing_is_measured_against_its_ingangsdatum_and_toewijzingsdatum() -> None:
    a = arrive(m301(toewijzing(ingang=XMAS_EVE, op=THU)), MON_28)
    r = measure([a], Lookups())
    t = only(r.measurements, Moment.TOEWIJZING)
    # Thursday 24 to Monday 28: Kerstmis and the weekend are no werkdag, Monday is 1.
    assert (t.outcome, t.werkdagen, t.deadline) == (Outcome.LATE, 1, 0)
    assert (t.reference_date, t.arrived, t.message_id) == (XMAS_EVE, MON_28, a.message_id)
    assert (t.domain, t.gemeente, t.aanbieder, t.person_key) == ("iwmo", G, A, P)
    assert (t.toewijzing_nummer, t.reference, t.about_id) == ("300201", "REF-1", None)
    assert t.line == "/Bericht/Client/ToegewezenProducten/ToegewezenProduct"
    d = only(r.measurements, Moment.TOEWIJZINGSDATUM)
    # Thursday 17 to Monday 28: 18, 21, 22, 23, 24, 28.
    assert (d.outcome, d.werkdagen, d.deadline, d.reference_date) == (
        Outcome.MEASURED,
        6,
        None,
        THU,
    )
    assert (r.resolved, r.shortenings, r.failed) == ((), (), ())


@pytest.mark.parametrize(
    ("ingang", "arrived", "outcome", "werkdagen"),
    [
        (XMAS_EVE, THU, Outcome.ON_TIME, -5),  # a week ahead
        (FRI, FRI, Outcome.ON_TIME, 0),  # on the day itself
        (FRI, date(2026, 12, 20), Outcome.ON_TIME, 0),  # the Sunday after: no werkdag past
        (FRI, date(2026, 12, 21), Outcome.LATE, 1),  # Monday: retroactive by one
        (XMAS_EVE, XMAS, Outcome.ON_TIME, 0),  # Kerstmis is no werkdag
    ],
)
def test_toewijzing_on_time_means_not_retroactive(
    ingang: date, arrived: date, outcome: Outcome, werkdagen: int
) -> None:
    r = measure([arrive(m301(toewijzing(ingang=ingang)), arrived)], Lookups())
    t = only(r.measurements, Moment.TOEWIJZING)
    assert (t.outcome, t.werkdagen) == (outcome, werkdagen)


def test_a_known_toewijzing_gets_only_its_toewijzingsdatum() -> None:
    known = Lookups(toewijzingen={KEY: Current(None, datetime(2026, 12, 1))})
    r = measure([arrive(m301(toewijzing()), FRI)], known)
    assert [m.moment for m in r.measurements] == [Moment.TOEWIJZINGSDATUM]


def test_a_version_sent_again_is_not_measured_again() -> None:
    # OP087: a 301 about a new toewijzing repeats the client's current ones unchanged.
    known = Lookups(toewijzingen={KEY: Current(None, datetime(2026, 1, 5))})
    repeated = toewijzing(ingang=date(2026, 1, 5), op=date(2026, 1, 5))
    new = toewijzing(nummer="300202", ingang=FRI, op=FRI)
    r = measure([arrive(m301(repeated, new), FRI)], known)
    assert [(m.moment, m.toewijzing_nummer) for m in r.measurements] == [
        (Moment.TOEWIJZING, "300202"), (Moment.TOEWIJZINGSDATUM, "300202"),
    ]  # fmt: skip
    # The same within one batch: the second message's copy of the version adds nothing.
    again = measure([arrive(m301(new), FRI), arrive(m301(new), MON_28)], Lookups())
    assert len(of(again.measurements, Moment.TOEWIJZINGSDATUM)) == 1


def test_a_number_earlier_in_the_batch_is_not_new_again() -> None:
    first = arrive(m301(toewijzing(op=THU)), THU)
    second = arrive(m301(toewijzing(op=FRI)), FRI)
    r = measure([first, second], Lookups())
    assert [m.message_id for m in of(r.measurements, Moment.TOEWIJZING)] == [first.message_id]
    assert len(of(r.measurements, Moment.TOEWIJZINGSDATUM)) == 2


def test_iwmo_and_ijw_numbers_are_separate_toewijzingen() -> None:
    known = Lookups(toewijzingen={("ijw", G, A, "300201"): Current(None, datetime(2026, 1, 1))})
    r = measure([arrive(m301(toewijzing()), THU)], known)
    assert len(of(r.measurements, Moment.TOEWIJZING)) == 1


def test_an_einddatum_before_the_ingangsdatum_is_implausible_not_an_error() -> None:
    r = measure([arrive(m301(toewijzing(ingang=FRI, eind=THU)), FRI)], Lookups())
    assert {m.outcome for m in r.measurements} == {Outcome.IMPLAUSIBLE}
    assert len(r.measurements) == 2
    assert r.failed == ()


def test_a_deleted_toewijzing_is_not_measured() -> None:
    r = measure([arrive(m301(toewijzing(ingang=THU, eind=THU, reden="13")), FRI)], Lookups())
    assert (r.measurements, r.shortenings) == ((), ())


# --- shortenings ------------------------------------------------------------------------------


def test_an_earlier_einddatum_or_a_first_one_is_a_shortening() -> None:
    previous = Current(date(2027, 6, 30), datetime(2026, 1, 1))
    a = arrive(m301(toewijzing(eind=date(2027, 1, 31), op=FRI)), FRI)
    r = measure([a], Lookups(toewijzingen={KEY: previous}))
    [s] = r.shortenings
    assert (s.toewijzing_nummer, s.einddatum, s.previous_einddatum) == (
        "300201", date(2027, 1, 31), date(2027, 6, 30),
    )  # fmt: skip
    assert (s.domain, s.gemeente, s.aanbieder, s.person_key, s.message_id) == (
        "iwmo", G, A, P, a.message_id,
    )  # fmt: skip
    open_ended = Lookups(toewijzingen={KEY: Current(None, datetime(2026, 1, 1))})
    [s] = measure([a], open_ended).shortenings
    assert s.previous_einddatum is None


@pytest.mark.parametrize(
    ("previous", "line"),
    [
        (None, toewijzing(eind=date(2027, 1, 31))),  # a new toewijzing shortens nothing
        (Current(date(2027, 1, 31), datetime(2026, 1, 1)), toewijzing(eind=date(2027, 1, 31))),
        (Current(date(2027, 1, 31), datetime(2026, 1, 1)), toewijzing(eind=date(2027, 6, 30))),
        (Current(date(2027, 1, 31), datetime(2026, 1, 1)), toewijzing(eind=None)),
        # An older version than the stored one does not become current (IV013).
        (Current(None, datetime(2026, 12, 31)), toewijzing(eind=date(2027, 1, 31))),
    ],
)
def test_no_shortening(previous: Current | None, line: ToewijzingLine) -> None:
    known = Lookups(toewijzingen={KEY: previous} if previous else {})
    assert measure([arrive(m301(line), FRI)], known).shortenings == ()


# --- start ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arrived", "outcome", "werkdagen"),
    [
        (THU, Outcome.ON_TIME, 0),
        (XMAS_EVE, Outcome.ON_TIME, 5),  # at the deadline: the fifth werkdag
        (XMAS, Outcome.ON_TIME, 5),  # Kerstmis (a Friday) and the weekend add none
        (date(2026, 12, 27), Outcome.ON_TIME, 5),
        (MON_28, Outcome.LATE, 6),
        (date(2026, 12, 10), Outcome.ON_TIME, -5),  # before the Begindatum
    ],
)
def test_start_against_its_begindatum(arrived: date, outcome: Outcome, werkdagen: int) -> None:
    r = measure([arrive(m305(start_key(begin=THU)), arrived)], Lookups())
    s = only(r.measurements, Moment.START)
    assert (s.outcome, s.werkdagen, s.deadline, s.reference_date) == (outcome, werkdagen, 5, THU)
    assert (s.toewijzing_nummer, s.line, s.person_key) == ("300201", "/S[0]", P)


def test_start_of_a_retroactive_toewijzing_runs_from_the_301s_receipt() -> None:
    lookups = Lookups(first_arrivals={KEY: FRI})
    s = only(measure([arrive(m305(start_key(begin=THU)), MON_28)], lookups).measurements,
             Moment.START)  # fmt: skip
    assert (s.reference_date, s.werkdagen, s.outcome) == (FRI, 5, Outcome.ON_TIME)
    # A 301 received before the Begindatum leaves the Begindatum as the reference.
    lookups = Lookups(first_arrivals={KEY: date(2026, 12, 1)})
    s = only(measure([arrive(m305(start_key(begin=THU)), MON_28)], lookups).measurements,
             Moment.START)  # fmt: skip
    assert s.reference_date == THU


def test_a_301_and_its_305_in_one_batch() -> None:
    batch = [arrive(m301(toewijzing(ingang=THU)), FRI), arrive(m305(start_key(begin=THU)), MON_28)]
    r = measure(batch, Lookups())
    assert only(r.measurements, Moment.START).reference_date == FRI
    assert only(r.measurements, Moment.TOEWIJZING).werkdagen == 1


def test_taakgericht_starts_and_stops_are_measured_without_a_number() -> None:
    key = start_key(nummer="")
    r = measure([arrive(m305(key), FRI), arrive(m307(FRI, key=key), FRI)], Lookups())
    assert [(m.moment, m.toewijzing_nummer) for m in r.measurements] == [
        (Moment.START, ""), (Moment.STOP, ""),
    ]  # fmt: skip


def test_deletions_are_not_measured() -> None:
    r = measure([arrive(m305(start_key(), status="3"), FRI), arrive(m307(FRI, status="3"), FRI)],
                Lookups())  # fmt: skip
    assert r.measurements == ()


# --- stop -------------------------------------------------------------------------------------


def test_stop_against_its_einddatum_and_it_replaces_the_signals_open_row() -> None:
    lookups = Lookups(open_stops={KEY: (7, 9)})
    r = measure([arrive(m307(THU), MON_28)], lookups)
    s = only(r.measurements, Moment.STOP)
    assert (s.outcome, s.werkdagen, s.deadline, s.reference_date) == (Outcome.LATE, 6, 5, THU)
    assert r.resolved == (7, 9)
    s = only(measure([arrive(m307(THU), XMAS)], Lookups()).measurements, Moment.STOP)
    assert (s.outcome, s.werkdagen) == (Outcome.ON_TIME, 5)


def test_a_definitive_stop_after_a_temporary_one_has_no_deadline() -> None:
    start = (G, A, P, start_key())
    r = measure([arrive(m307(THU), MON_28)], Lookups(temporary_stops=frozenset({start})))
    s = only(r.measurements, Moment.STOP)
    assert (s.outcome, s.werkdagen, s.deadline) == (Outcome.MEASURED, 6, None)
    # The same within one batch: the temporary one is held to its deadline, the second not.
    r = measure([arrive(m307(THU, reden="20"), FRI), arrive(m307(FRI), MON_28)], Lookups())
    assert [(m.outcome, m.deadline) for m in r.measurements] == [
        (Outcome.ON_TIME, 5), (Outcome.MEASURED, None),
    ]  # fmt: skip
    # Another start's temporary stop does not count.
    other = (G, A, P, start_key(begin=FRI))
    r = measure([arrive(m307(THU), MON_28)], Lookups(temporary_stops=frozenset({other})))
    assert only(r.measurements, Moment.STOP).outcome is Outcome.LATE


# --- aanpassing -------------------------------------------------------------------------------


def test_a_definitive_stop_on_a_toewijzing_that_runs_on_opens_an_aanpassing() -> None:
    stop = arrive(m307(THU), FRI)
    r = measure([stop], Lookups(toewijzingen={KEY: Current(None, datetime(2026, 1, 1))}))
    o = only(r.measurements, Moment.AANPASSING)
    assert (o.outcome, o.reference_date, o.about_id, o.line) == (
        Outcome.OPEN, FRI, stop.message_id, "/Stop",
    )  # fmt: skip
    assert (o.arrived, o.werkdagen, o.message_id, o.deadline) == (None, None, None, None)
    assert (o.toewijzing_nummer, o.person_key) == ("300201", P)
    later = Lookups(toewijzingen={KEY: Current(date(2027, 1, 1), datetime(2026, 1, 1))})
    assert of(measure([stop], later).measurements, Moment.AANPASSING) != []


@pytest.mark.parametrize(
    ("lookups", "reden"),
    [
        (Lookups(toewijzingen={KEY: Current(THU, datetime(2026, 1, 1))}), "31"),  # ends by then
        (Lookups(toewijzingen={KEY: Current(None, datetime(2026, 1, 1))}), "20"),  # temporary
        (Lookups(), "31"),  # a toewijzing the hub never saw
        (
            Lookups(
                toewijzingen={KEY: Current(None, datetime(2026, 1, 1))},
                open_aanpassingen={KEY: OpenRow(3, THU, None)},
            ),
            "31",
        ),  # one is open already
    ],
)
def test_no_aanpassing_opened(lookups: Lookups, reden: str) -> None:
    r = measure([arrive(m307(THU, reden=reden), FRI)], lookups)
    assert of(r.measurements, Moment.AANPASSING) == []


def test_the_shortening_301_replaces_the_open_aanpassing_with_a_measured_row() -> None:
    stop_id = mid()
    lookups = Lookups(
        toewijzingen={KEY: Current(None, datetime(2026, 1, 1))},
        open_aanpassingen={KEY: OpenRow(42, FRI, stop_id)},
    )
    a = arrive(m301(toewijzing(eind=THU, ingang=date(2026, 1, 5), op=MON_28)), MON_28)
    r = measure([a], lookups)
    m = only(r.measurements, Moment.AANPASSING)
    assert (m.outcome, m.reference_date, m.werkdagen, m.deadline) == (
        Outcome.MEASURED, FRI, 5, None,
    )  # fmt: skip
    assert (m.message_id, m.about_id, m.arrived) == (a.message_id, stop_id, MON_28)
    assert r.resolved == (42,)
    assert len(r.shortenings) == 1
    # A 301 that does not shorten leaves the row open.
    a = arrive(m301(toewijzing(eind=None, ingang=date(2026, 1, 5), op=MON_28)), MON_28)
    r = measure([a], lookups)
    assert (of(r.measurements, Moment.AANPASSING), r.resolved) == ([], ())


def test_301_305_307_and_the_adjusting_301_in_one_batch() -> None:
    jan = date(2026, 1, 5)
    first = arrive(m301(toewijzing(ingang=jan, op=jan)), jan)
    begin = arrive(m305(start_key(begin=jan)), date(2026, 1, 6))
    stop = arrive(m307(THU), FRI)
    adjust = arrive(m301(toewijzing(ingang=jan, eind=THU, op=MON_28)), MON_28)
    r = measure([first, begin, stop, adjust], Lookups())
    assert [(m.moment, m.outcome) for m in r.measurements] == [
        (Moment.TOEWIJZING, Outcome.ON_TIME),
        (Moment.TOEWIJZINGSDATUM, Outcome.MEASURED),
        (Moment.START, Outcome.ON_TIME),
        (Moment.STOP, Outcome.ON_TIME),
        (Moment.TOEWIJZINGSDATUM, Outcome.MEASURED),
        (Moment.AANPASSING, Outcome.MEASURED),
    ]
    aanpassing = only(r.measurements, Moment.AANPASSING)
    assert (aanpassing.about_id, aanpassing.werkdagen) == (stop.message_id, 5)
    assert r.resolved == ()
    [s] = r.shortenings
    assert s.previous_einddatum is None
