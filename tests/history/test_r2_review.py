"""Reviewer R2: wrong refusals found in the history rules, each pinned by a test."""

from __future__ import annotations

from ._build import OTHER_BSN
from ._declaratie import Memory, P, T, declaratie, toewijzing


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
