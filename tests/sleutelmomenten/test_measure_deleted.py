"""A deleted toewijzing (a 301 line with Einddatum = Ingangsdatum and RedenWijziging 13 / 01)
is not measured itself, but it ends the toewijzing: it is a shortening for the
productperiode-conflict check, and it resolves an open aanpassing row of that toewijzing."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest

from hub.domain.sleutelmomenten import Moment, Outcome
from hub.domain.sleutelmomenten.conflict import PendingPrestatie, conflicts, crosses
from hub.domain.sleutelmomenten.measure import Current, Lookups, OpenRow, measure

from ._facts import (
    FRI,
    KEY,
    MON_28,
    THU,
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

JAN = date(2026, 1, 5)
RUNNING = Current(None, datetime(2026, 1, 1))


@pytest.mark.parametrize("reden", ["13", "01"])
def test_a_deletion_of_a_known_toewijzing_is_a_shortening(reden: str) -> None:
    a = arrive(m301(toewijzing(ingang=JAN, eind=JAN, op=MON_28, reden=reden)), MON_28)
    r = measure([a], Lookups(toewijzingen={KEY: RUNNING}))
    [s] = r.shortenings
    assert s.deleted
    assert (s.toewijzing_nummer, s.einddatum, s.previous_einddatum) == ("300201", JAN, None)
    assert (s.domain, s.gemeente, s.aanbieder, s.person_key, s.message_id) == (
        "iwmo", G, A, P, a.message_id,
    )  # fmt: skip
    assert r.measurements == ()  # not measured itself


def test_a_deletion_shortens_even_a_toewijzing_that_ended_on_its_first_day() -> None:
    # Already ending on the Ingangsdatum: the deletion still takes that one day away.
    known = Lookups(toewijzingen={KEY: Current(JAN, datetime(2026, 1, 1))})
    r = measure([arrive(m301(toewijzing(ingang=JAN, eind=JAN, op=MON_28, reden="13")), MON_28)],
                known)  # fmt: skip
    [s] = r.shortenings
    assert (s.deleted, s.previous_einddatum) == (True, JAN)


@pytest.mark.parametrize(
    ("lookups", "op"),
    [
        (Lookups(), MON_28),  # a toewijzing the hub never saw: no previous version to end
        (Lookups(toewijzingen={KEY: Current(None, datetime(2026, 12, 31))}), MON_28),  # older
    ],
)
def test_no_shortening_from_a_deletion(lookups: Lookups, op: date) -> None:
    a = arrive(m301(toewijzing(ingang=JAN, eind=JAN, op=op, reden="13")), MON_28)
    assert measure([a], lookups).shortenings == ()


def test_an_ordinary_shortening_is_not_marked_deleted() -> None:
    # Einddatum = Ingangsdatum without reden 13 / 01 is a one-day toewijzing, not a deletion.
    a = arrive(m301(toewijzing(ingang=JAN, eind=JAN, op=MON_28, reden="02")), MON_28)
    [s] = measure([a], Lookups(toewijzingen={KEY: RUNNING})).shortenings
    assert not s.deleted


def test_a_deletion_resolves_the_open_aanpassing_from_the_307s_receipt() -> None:
    stop_id = mid()
    lookups = Lookups(
        toewijzingen={KEY: RUNNING}, open_aanpassingen={KEY: OpenRow(42, FRI, stop_id)}
    )
    a = arrive(m301(toewijzing(ingang=JAN, eind=JAN, op=MON_28, reden="13")), MON_28)
    r = measure([a], lookups)
    m = only(r.measurements, Moment.AANPASSING)
    # Friday 18 to Monday 28 December 2026: 21, 22, 23, 24, 28 (Kerstmis and weekends not).
    assert (m.outcome, m.reference_date, m.werkdagen, m.deadline) == (
        Outcome.MEASURED, FRI, 5, None,
    )  # fmt: skip
    assert (m.message_id, m.about_id, m.toewijzing_nummer) == (a.message_id, stop_id, "300201")
    assert r.resolved == (42,)
    assert [x.moment for x in r.measurements] == [Moment.AANPASSING]  # nothing else measured


def test_a_deletion_in_the_same_batch_as_the_307_resolves_its_open_row() -> None:
    first = arrive(m301(toewijzing(ingang=JAN, op=JAN)), JAN)
    begin = arrive(m305(start_key(begin=JAN)), date(2026, 1, 6))
    stop = arrive(m307(THU), FRI)
    delete = arrive(m301(toewijzing(ingang=JAN, eind=JAN, op=MON_28, reden="01")), MON_28)
    r = measure([first, begin, stop, delete], Lookups())
    aanpassing = only(r.measurements, Moment.AANPASSING)
    assert (aanpassing.outcome, aanpassing.about_id) == (Outcome.MEASURED, stop.message_id)
    assert not [m for m in r.measurements if m.outcome is Outcome.OPEN]
    assert [s.deleted for s in r.shortenings] == [True]
    # Without the deletion the aanpassing stays open.
    left = measure([first, begin, stop], Lookups())
    assert [m.outcome for m in of(left.measurements, Moment.AANPASSING)] == [Outcome.OPEN]


def test_a_deletion_conflicts_with_every_pending_debet_of_the_toewijzing() -> None:
    a = arrive(m301(toewijzing(ingang=JAN, eind=JAN, op=MON_28, reden="13")), MON_28)
    [s] = measure([a], Lookups(toewijzingen={KEY: RUNNING})).shortenings
    first_day = PendingPrestatie("iwmo", G, A, "300201", "D1", "R-1", "02", "02A04", JAN, JAN)
    later = replace(first_day, referentie_nummer="R-2", begindatum=date(2026, 2, 1),
                    einddatum=date(2026, 2, 28))  # fmt: skip
    credit = replace(later, referentie_nummer="R-3", credit=True)
    # A prestatie on the Ingangsdatum alone ends on the new Einddatum: no conflict for a
    # shortening, but the deletion leaves no day to declare.
    assert not crosses(replace(s, deleted=False), first_day)
    assert crosses(s, first_day)
    assert not crosses(s, credit)
    [found] = conflicts([s], [first_day, later, credit])
    assert found.referentie_nummers == ("R-1", "R-2")
    assert found.relation == "wholly"
    assert [found.relation_of(p) for p in found.prestaties] == ["wholly", "wholly"]
