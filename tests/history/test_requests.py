"""The toewijzing (301) and request (315/317/319) history rules, in memory: each rule with a
failing and a passing case, and where each finding sits."""

from __future__ import annotations

from lxml import etree

from hub.domain.findings import Finding, Level
from hub.domain.xmlcodec import child

from ._build import BSN, OTHER_BSN, Replay, codes
from ._requests import N, Omvang, T, W, aanvraag, antwoord, toewijzing, verzoek

TWO: tuple[T, ...] = (T(), T(nummer="300202", categorie="01", code="01A01"))


def given(*roots: etree._Element) -> Replay:
    replay = Replay()
    replay.ok(*roots)
    return replay


def send(replay: Replay, root: etree._Element) -> list[tuple[str, str]]:
    return codes(replay.send(root))


def one(root: etree._Element, *history: etree._Element) -> list[tuple[str, str]]:
    return send(given(*history), root)


def findings(root: etree._Element, *history: etree._Element) -> tuple[Finding, ...]:
    return given(*history).send(root)


# --- TR332 (301) -----------------------------------------------------------------------------


def test_tr332_flags_a_number_the_gemeente_used_for_another_client() -> None:
    replay = given(toewijzing(T()))
    (finding,) = replay.send(toewijzing(T(), bsn=OTHER_BSN))
    assert (finding.rule, finding.retourcode, finding.level) == ("TR332", "9332", Level.HISTORY)
    assert finding.location == (
        "/Bericht/Client/ToegewezenProducten/ToegewezenProduct/ToewijzingNummer"
    )
    assert BSN not in finding.sentence
    assert OTHER_BSN not in finding.sentence
    # "012" is 12: the same number.
    assert send(replay, toewijzing(T(nummer="0300201"), bsn=OTHER_BSN)) == [("TR332", "9332")]


def test_tr332_passes_a_new_version_for_the_same_client_and_a_new_number() -> None:
    replay = given(toewijzing(T()))
    replay.ok(toewijzing(T(eind="2025-09-30", reden="08", tijd="11:00:00")))
    replay.ok(toewijzing(T(nummer="300299"), bsn=OTHER_BSN))


def test_tr332_passes_the_number_of_a_deleted_toewijzing_and_another_domain() -> None:
    """Readings: a deleted toewijzing names no product any more; iJw is another domain."""
    deleted = T(ingang="2025-04-01", eind="2025-04-01", reden="13", tijd="11:00:00")
    replay = given(toewijzing(T()), toewijzing(deleted))
    replay.ok(toewijzing(T(), bsn=OTHER_BSN))
    jw = toewijzing(T(categorie="45", code=None, omvang=None, budget=100), std="JW")
    _set(jw, "Afzender", "0363")
    _set(jw, "Ontvanger", "65656055")
    given(toewijzing(T())).ok(jw)


def _set(root: etree._Element, name: str, value: str) -> None:
    el = next(e for e in root.iter() if isinstance(e.tag, str) and e.tag.endswith("}" + name))
    el.text = value


# --- TR379 (301) -----------------------------------------------------------------------------


def test_tr379_flags_a_reference_no_request_carried_or_of_another_client() -> None:
    (finding,) = findings(toewijzing(T(ref="VOT-9")))
    assert (finding.rule, finding.retourcode) == ("TR379", "9379")
    assert finding.location.endswith("/ToegewezenProduct/ReferentieAanbieder")
    other = aanvraag("VOT-1", bsn=OTHER_BSN)
    assert one(toewijzing(T(ref="VOT-1")), other) == [("TR379", "9379")]


def test_tr379_flags_a_reference_filled_again_after_honouring() -> None:
    replay = given(aanvraag("VOT-1"), toewijzing(T(ref="VOT-1")))
    later = T(eind="2025-09-30", ref="VOT-1", tijd="12:00:00")
    assert send(replay, toewijzing(later)) == [("TR379", "9379")]
    replay.ok(toewijzing(T(eind="2025-09-30", tijd="12:00:00")))  # without it: fine


def test_tr379_passes_the_honouring_301_on_every_line_of_a_317_answer() -> None:
    replay = given(toewijzing(*TWO))
    replay.ok(verzoek("VOW-1", ongewijzigd=("300202",), te_wijzigen=(W(),)))
    replay.ok(
        toewijzing(
            T(ref="VOW-1", tijd="12:00:00"),
            T(nummer="300202", categorie="01", code="01A01", ref="VOW-1", tijd="12:00:00"),
        )
    )


# --- TR347, TR374 (315, 317) -----------------------------------------------------------------


def test_tr347_flags_a_reference_used_before_by_the_aanbieder() -> None:
    replay = given(aanvraag("VOT-1"), antwoord("VOT-1", "1"))
    (finding,) = replay.send(aanvraag("VOT-2", "VOT-1", bsn=OTHER_BSN))
    assert (finding.rule, finding.retourcode) == ("TR347", "9347")
    assert finding.location == (
        "/Bericht/Client/AangevraagdeProducten/AangevraagdProduct[2]/ReferentieAanbieder"
    )
    assert send(replay, verzoek("VOT-1", bsn=OTHER_BSN)) == [("TR347", "9347")]


def test_tr347_passes_a_new_reference_and_another_domain() -> None:
    replay = given(aanvraag("VOT-1"), antwoord("VOT-1", "1"))
    replay.ok(aanvraag("VOT-2"))
    jw = aanvraag("VOT-1", std="JW")
    _set(jw, "Afzender", "65656055")
    _set(jw, "Ontvanger", "0363")
    given(aanvraag("VOT-1"), antwoord("VOT-1", "1")).ok(jw)


def test_tr374_flags_a_request_while_one_is_open_and_in_onderzoek_keeps_it_open() -> None:
    replay = given(aanvraag("VOT-1"))
    (finding,) = replay.send(aanvraag("VOT-2"))
    assert (finding.rule, finding.retourcode, finding.location) == (
        "TR374",
        "9374",
        "/Bericht/Client",
    )
    replay.ok(antwoord("VOT-1", "2"))  # in onderzoek: still open
    assert send(replay, aanvraag("VOT-2")) == [("TR374", "9374")]
    replay.ok(toewijzing(*TWO))
    (finding,) = replay.send(verzoek("VOW-1", ongewijzigd=("300201", "300202")))
    assert (finding.rule, finding.location) == ("TR374", "/Bericht/Client/Verzoek")


def test_tr374_passes_after_a_refusal_or_a_301_and_for_another_client() -> None:
    replay = given(aanvraag("VOT-1"))
    replay.ok(aanvraag("VOT-2", bsn=OTHER_BSN))
    replay.ok(antwoord("VOT-1", "1"))
    replay.ok(aanvraag("VOT-3"))
    replay.ok(toewijzing(T(ref="VOT-3")))
    replay.ok(aanvraag("VOT-4"))


# --- 319: TR355, TR359, TR360, TR365 ---------------------------------------------------------


def test_tr355_flags_an_answer_to_a_reference_never_requested() -> None:
    (finding,) = findings(antwoord("VOW-9"))
    assert (finding.rule, finding.retourcode, finding.location) == (
        "TR355",
        "9355",
        "/Bericht/Antwoord/ReferentieAanbieder",
    )
    given(aanvraag("VOW-9")).ok(antwoord("VOW-9"))


def test_tr359_flags_an_answer_to_a_request_a_301_honoured() -> None:
    replay = given(aanvraag("VOT-1"), toewijzing(T(ref="VOT-1")))
    assert send(replay, antwoord("VOT-1", "2")) == [("TR359", "9359")]
    given(aanvraag("VOT-1"), toewijzing(T())).ok(antwoord("VOT-1", "2"))


def test_tr360_flags_in_onderzoek_after_an_earlier_answer() -> None:
    replay = given(aanvraag("VOT-1"), antwoord("VOT-1", "2"))
    (finding,) = replay.send(antwoord("VOT-1", "2"))
    assert (finding.rule, finding.location) == ("TR360", "/Bericht/Antwoord/VerzoekAntwoord")
    replay.ok(antwoord("VOT-1", "1"))  # in onderzoek, then the final answer


def test_tr365_flags_any_answer_after_a_final_one() -> None:
    replay = given(aanvraag("VOT-1"), antwoord("VOT-1", "1"))
    assert send(replay, antwoord("VOT-1", "1")) == [("TR365", "9365")]
    assert send(replay, antwoord("VOT-1", "2")) == [("TR360", "9360"), ("TR365", "9365")]


# --- 317: TR304, TR349, TR350, TR351 ---------------------------------------------------------


def test_317_passes_a_request_naming_every_actual_toewijzing() -> None:
    given(toewijzing(*TWO)).ok(verzoek(ongewijzigd=("300202",), te_wijzigen=(W(),)))


def test_tr349_flags_an_actual_toewijzing_missing_from_the_request() -> None:
    (finding,) = findings(verzoek(te_wijzigen=(W(),)), toewijzing(*TWO))
    assert (finding.rule, finding.retourcode, finding.location) == (
        "TR349",
        "9349",
        "/Bericht/Client/Verzoek",
    )
    assert "300202" in finding.sentence


def test_tr349_passes_when_the_missing_toewijzing_ended_before_dag_or_was_deleted() -> None:
    """READING 9: actual = valid on or after the 317's Dagtekening (2025-05-12)."""
    ended = T(nummer="300202", categorie="01", code="01A01", eind="2025-05-11")
    given(toewijzing(T(), ended)).ok(verzoek(te_wijzigen=(W(),)))
    deleted = T(nummer="300202", categorie="01", code="01A01", eind="2025-04-01", reden="13")
    given(toewijzing(T(), deleted)).ok(verzoek(te_wijzigen=(W(),)))
    # On the Dagtekening itself it is still actual.
    last_day = T(nummer="300202", categorie="01", code="01A01", eind="2025-05-12")
    assert one(verzoek(te_wijzigen=(W(),)), toewijzing(T(), last_day)) == [("TR349", "9349")]


def test_tr350_and_tr304_flag_an_ongewijzigd_number_that_is_not_the_clients() -> None:
    history = (toewijzing(*TWO), toewijzing(T(nummer="300203"), bsn=OTHER_BSN))
    request = verzoek(ongewijzigd=("300202", "300203"), te_wijzigen=(W(),))
    found = findings(request, *history)
    assert codes(found) == [("TR304", "8187"), ("TR350", "9350")]
    assert {f.location for f in found} == {
        "/Bericht/Client/Verzoek/OngewijzigdeProducten/OngewijzigdProduct[2]/ToewijzingNummer"
    }
    unknown = verzoek(ongewijzigd=("300202", "300299"), te_wijzigen=(W(),))
    assert one(unknown, *history) == [("TR350", "9350")]


def test_tr351_flags_a_te_wijzigen_number_that_is_not_actual() -> None:
    ended = T(nummer="300202", categorie="01", code="01A01", eind="2025-05-01")
    request = verzoek(ongewijzigd=("300201",), te_wijzigen=(W(nummer="300202"),))
    (finding,) = findings(request, toewijzing(T(), ended))
    assert (finding.rule, finding.retourcode) == ("TR351", "9351")
    assert finding.location.endswith("/TeWijzigenProducten/TeWijzigenProduct/ToewijzingNummer")
    other = toewijzing(T(nummer="300203"), bsn=OTHER_BSN)
    request = verzoek(ongewijzigd=("300201", "300202"), te_wijzigen=(W(nummer="300203"),))
    assert one(request, toewijzing(*TWO), other) == [("TR304", "8187"), ("TR351", "9351")]


# --- 317: TR357, TR373, TR375, TR411, TR412 --------------------------------------------------


def test_tr357_flags_a_past_gewenste_ingangsdatum_other_than_the_ingangsdatum() -> None:
    request = verzoek(ongewijzigd=("300202",), te_wijzigen=(W(ingang="2025-05-01"),))
    (finding,) = findings(request, toewijzing(*TWO))
    assert (finding.rule, finding.retourcode) == ("TR357", "9357")
    assert finding.location.endswith("/TeWijzigenProduct/GewensteIngangsdatum")
    whole = verzoek(ongewijzigd=("300202",), te_wijzigen=(W(ingang="2025-04-01"),))
    given(toewijzing(*TWO)).ok(whole)
    on_dag = verzoek(ongewijzigd=("300202",), te_wijzigen=(W(ingang="2025-05-12"),))
    assert one(on_dag, toewijzing(*TWO)) == [("TR357", "9357")]


def test_tr373_flags_a_budget_or_total_change_that_does_not_cover_the_whole_term() -> None:
    budget = T(nummer="300203", code=None, omvang=None, budget=10000)
    total = T(nummer="300204", categorie="03", code="03A01", omvang=Omvang(10, "04", "6"))
    history = toewijzing(budget, total)
    change = W(nummer="300203", omvang=None, budget=20000)
    assert (
        one(verzoek(te_wijzigen=(change, W(nummer="300204"))), history) == [("TR373", "9373")] * 2
    )
    same_budget = W(nummer="300203", omvang=None, budget=10000)
    total_kept = W(nummer="300204", omvang=Omvang(10, "04", "6"))
    given(history).ok(verzoek(te_wijzigen=(same_budget, total_kept)))
    whole = W(nummer="300203", ingang="2025-04-01", omvang=None, budget=20000)
    whole_total = W(nummer="300204", ingang="2025-04-01", omvang=Omvang(12, "04", "6"))
    given(history).ok(verzoek(te_wijzigen=(whole, whole_total)))


def test_tr375_and_tr412_flag_an_omvang_for_a_toewijzing_without_product() -> None:
    generic = T(nummer="300203", categorie=None, code=None, omvang=None, budget=5000)
    found = findings(verzoek(te_wijzigen=(W(nummer="300203"),)), toewijzing(generic))
    assert codes(found) == [("TR375", "9375"), ("TR412", "9412")]
    assert found[0].location.endswith("/TeWijzigenProduct/Omvang")
    given(toewijzing(generic)).ok(
        verzoek(te_wijzigen=(W(nummer="300203", omvang=None, budget=5000),))
    )


def test_tr412_flags_an_omvang_for_a_toewijzing_without_product_code() -> None:
    aspecific = T(nummer="300203", code=None, omvang=None, budget=5000)
    request = verzoek(te_wijzigen=(W(nummer="300203"),))
    assert one(request, toewijzing(aspecific)) == [("TR412", "9412")]
    # Before 2021 an aspecific toewijzing could carry a volume: not refused.
    old = T(nummer="300203", code=None, ingang="2020-01-01", eind="2020-12-31")
    old_request = verzoek(te_wijzigen=(W(nummer="300203", ingang="2020-01-01"),), dag="2020-06-01")
    given(toewijzing(old)).ok(old_request)


def test_tr411_flags_a_change_without_omvang_for_a_toewijzing_with_a_code() -> None:
    request = verzoek(ongewijzigd=("300202",), te_wijzigen=(W(omvang=None),))
    (finding,) = findings(request, toewijzing(*TWO))
    assert (finding.rule, finding.retourcode) == ("TR411", "9411")
    assert finding.location == "/Bericht/Client/Verzoek/TeWijzigenProducten/TeWijzigenProduct"
    given(toewijzing(*TWO)).ok(verzoek(ongewijzigd=("300202",), te_wijzigen=(W(),)))


# --- 317: TR361 ------------------------------------------------------------------------------


def test_tr361_flags_a_new_product_overlapping_a_named_toewijzing() -> None:
    clash = N(categorie="02", code="02A04", ingang="2025-09-01", eind="2025-12-31")
    request = verzoek(ongewijzigd=("300202",), te_wijzigen=(W(),), nieuw=(clash,))
    (finding,) = findings(request, toewijzing(*TWO))
    assert (finding.rule, finding.retourcode) == ("TR361", "9361")
    assert finding.location == "/Bericht/Client/Verzoek/NieuweProducten/NieuwProduct"


def test_tr361_passes_other_products_later_periods_and_iwmo_hulpmiddelen() -> None:
    history = toewijzing(*TWO)
    after = N(categorie="02", code="02A04", ingang="2026-01-01", eind="2026-06-30")
    other = N(categorie="03", code="03A01")
    for new in (after, other):
        given(history).ok(verzoek(ongewijzigd=("300202",), te_wijzigen=(W(),), nieuw=(new,)))
    aid = T(nummer="300203", categorie="12", code="12A01", omvang=Omvang(1, "84", "6"))
    aid_too = N(categorie="12", code="12A01", omvang=Omvang(1, "84", "6"))
    request = verzoek(ongewijzigd=("300202", "300203"), te_wijzigen=(W(),), nieuw=(aid_too,))
    given(toewijzing(*TWO, aid)).ok(request)


def test_tr361_passes_two_unchanged_toewijzingen_that_overlap_each_other() -> None:
    """Reading: the gemeente's own overlapping toewijzingen (two 301s) are not the request's
    doing; a change or a new product that overlaps them is."""
    twin = T(nummer="300203", ingang="2025-06-01")
    history = toewijzing(*TWO, twin)
    given(history).ok(verzoek(ongewijzigd=("300201", "300202", "300203"), nieuw=(N(),)))
    changed = verzoek(ongewijzigd=("300201", "300202"), te_wijzigen=(W(nummer="300203"),))
    assert one(changed, history) == [("TR361", "9361")]


def test_retour_classes_of_the_request_findings() -> None:
    """Each finding sits inside the class the retour marks (302/316/318/320)."""
    root = verzoek(ongewijzigd=("300299",), te_wijzigen=(W(),))
    assert child(root, "Client") is not None
    locations = {f.location for f in findings(root, toewijzing(*TWO))}
    assert all(loc.startswith("/Bericht/Client/Verzoek") for loc in locations)
