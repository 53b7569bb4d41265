"""Reviewer R2: wrong refusals found in the history rules, each pinned by a test."""

from __future__ import annotations

from datetime import date

from hub.domain.history.declaratie_volume import period_allowance, term_maximum
from hub.domain.history.request_facts import Omvang
from hub.infra import store

from ._build import BSN, OTHER_BSN
from ._declaratie import Memory, P, T, antwoord, declaratie, on_db, toewijzing
from ._requests import N, verzoek


def test_a_number_reused_after_a_delete_names_the_live_toewijzing() -> None:
    # TR332 frees the number of a deleted toewijzing (history_requests.py reading); the
    # declaratie rules must then read the live toewijzing, not the deleted one of the
    # other client (that refused a valid Prestatie with TR304 / TR384).
    m = Memory()
    assert m.send(toewijzing(T())) == []
    deleted = T(ingang="2025-04-01", eind="2025-04-01", reden="13", tijd="11:00:00")
    assert m.send(toewijzing(deleted)) == []
    assert m.send(toewijzing(T(datum="2025-03-25"), bsn=OTHER_BSN)) == []
    assert m.send(declaratie(P("R1", bsn=OTHER_BSN))) == []


def test_far_dates_give_findings_not_an_overflow() -> None:
    # The XSD admits 9999-12-31 as a ProductPeriode end; TR319 refuses it, and no month or
    # week arithmetic may raise on it (rules never raise on odd input).
    m = Memory()
    assert m.send(toewijzing(T(eind=None))) == []
    found = m.send(declaratie(P("R1", end="9999-12-31")))
    assert ("TR319", "9319") in found


def test_volume_arithmetic_at_the_calendar_edges_does_not_raise() -> None:
    edge = Omvang(4, "04", "2")
    # One week of 4 hours, in minutes, on the first and the last days an xs:date can hold.
    assert term_maximum(edge, (date(1, 1, 1), date(1, 1, 3))) == 240
    last_week = (date(9999, 12, 27), date(9999, 12, 31))
    assert period_allowance(edge, *last_week, (last_week[0], None)) == 240


def test_a_reused_number_is_read_as_the_toewijzing_of_the_prestaties_own_client() -> None:
    # Client A's debet is pending (no 325), so the gemeente may delete A's toewijzing
    # (TR385, READING 6.9) and give its number to client B. A's credit of that debet names
    # A's toewijzing, not B's: no TR304. A new debet of A meets A's deleted toewijzing.
    m = Memory()
    assert m.send(toewijzing(T())) == []
    assert m.send(declaratie(P("R1"))) == []
    deleted = T(ingang="2025-04-01", eind="2025-04-01", reden="13", tijd="11:00:00")
    assert m.send(toewijzing(deleted)) == []
    assert m.send(toewijzing(T(datum="2025-03-25"), bsn=OTHER_BSN)) == []
    # B's debet for April while A's debet for April is uncredited: that debet was declared
    # on another toewijzing (A's), so no TR389 for B.
    assert m.send(declaratie(P("B1", bsn=OTHER_BSN), periode=("2025-05-01", "2025-05-31"))) == []
    credit = P("C1", credit=True, vorig="R1")
    assert m.send(declaratie(credit, periode=("2025-06-01", "2025-06-30"))) == []
    assert m.send(declaratie(P("R2"), periode=("2025-07-01", "2025-07-31"))) == [("TR384", "9384")]


def test_iwmo_and_ijw_toewijzingen_with_one_number_are_two_toewijzingen() -> None:
    # iWmo and iJw are separate domains (rules.md §0): the iJw toewijzing 300201 of the same
    # client, gemeente and aanbieder does not replace the iWmo one (that refused the iWmo
    # Prestatie with TR338), and an older one is not dropped either.
    m = Memory()
    assert m.send(toewijzing(T())) == []
    assert m.send(toewijzing(T(categorie="45", code="45A48", tijd="11:00:00"), kind="JW")) == []
    assert m.send(toewijzing(T(categorie="54", code="54001", nummer="300202"))) == []
    assert (
        m.send(
            toewijzing(T(categorie="54", code="54001", nummer="300202", tijd="09:00:00"), kind="JW")
        )
        == []
    )
    assert m.send(declaratie(P("R1"), P("R2", nummer="300202", categorie="54", code="54001"))) == []
    jw = (
        P("R1", categorie="45", code="45A48"),
        P("R2", nummer="300202", categorie="54", code="54001"),
    )
    assert m.send(declaratie(*jw, kind="JW")) == []


async def test_iwmo_and_ijw_toewijzingen_with_one_number_are_two_rows(pool: store.Pool) -> None:
    wmo, jw = T(), T(categorie="45", code="45A48", tijd="11:00:00")
    assert await on_db(pool, toewijzing(wmo)) == [[]]
    assert await on_db(pool, toewijzing(jw, kind="JW")) == [[]]
    # In one batch too: the older iJw row of 300202 beside the iWmo one.
    older = T(categorie="54", code="54001", nummer="300202", tijd="09:00:00")
    batch = (
        toewijzing(T(categorie="54", code="54001", nummer="300202")),
        toewijzing(older, kind="JW"),
    )
    assert await on_db(pool, *batch) == [[], []]
    rows = await pool.fetch("SELECT domain, toewijzing_nummer FROM history_toewijzing")
    assert sorted((r[0], r[1]) for r in rows) == [
        ("ijw", "300201"),
        ("ijw", "300202"),
        ("iwmo", "300201"),
        ("iwmo", "300202"),
    ]
    assert await on_db(pool, declaratie(P("R1"))) == [[]]
    assert await on_db(pool, declaratie(P("R1", categorie="45", code="45A48"), kind="JW")) == [[]]


def test_tr385_counts_only_the_prestaties_of_the_deleted_toewijzings_client() -> None:
    m = Memory()
    assert m.send(toewijzing(T())) == []
    heen = declaratie(P("R1"))
    assert m.send(heen) == []
    deleted = T(ingang="2025-04-01", eind="2025-04-01", reden="13", tijd="11:00:00")
    assert m.send(toewijzing(deleted)) == []  # R1 pending: not known to be approved
    assert m.send(antwoord(heen)) == []  # now approved, uncredited, on A's deleted toewijzing
    assert m.send(toewijzing(T(datum="2025-03-25"), bsn=OTHER_BSN)) == []
    b_deleted = T(
        ingang="2025-04-01", eind="2025-04-01", reden="13", datum="2025-03-25", tijd="12:00:00"
    )
    assert m.send(toewijzing(b_deleted, bsn=OTHER_BSN)) == []


def test_tr349_reads_the_toewijzing_of_the_317s_domain() -> None:
    # The client's iWmo 300201 ended in April; the iJw 300201 (same number, newer) runs on.
    # An iWmo 317 need not list 300201: it is no actual iWmo toewijzing (TR350 would refuse
    # it if listed), so TR349 must not ask for it either.
    m = Memory()
    assert m.send(toewijzing(T(eind="2025-04-30"))) == []
    ijw = T(categorie="45", code="45A48", tijd="11:00:00")
    assert m.send(toewijzing(ijw, kind="JW")) == []
    assert m.send(verzoek("VOW-R2", nieuw=(N(),), bsn=BSN)) == []


async def test_a_credit_on_another_number_credits_its_debet_on_the_db_too(
    pool: store.Pool,
) -> None:
    # TR323 asks only that VorigReferentieNummer names the debet; a credit that carries
    # another (valid) ToewijzingNummer still credits it. The store must load that credit
    # with the debets of the toewijzing, as the memory state sees it, or TR389 refuses the
    # corrected debet.
    assert await on_db(pool, toewijzing(T(), T(nummer="300301"))) == [[]]
    assert await on_db(pool, declaratie(P("R1"))) == [[]]
    credit = P("C1", nummer="300301", credit=True, vorig="R1")
    assert await on_db(pool, declaratie(credit, periode=("2025-05-01", "2025-05-31"))) == [[]]
    again = declaratie(P("R2"), periode=("2025-06-01", "2025-06-30"))
    assert await on_db(pool, again) == [[]]
