"""History rules (controleniveau 3) on an in-memory state: each rule fails and passes."""

from __future__ import annotations

import copy

import pytest

from hub.domain.findings import Level
from hub.domain.history import RULES, HistoryInputError, evaluate, extract
from hub.domain.history.facts import IDENTIFICATIE_LOCATION
from hub.domain.privacy import person_key
from hub.domain.rules.base import path_of

from ._build import (
    BSN,
    OTHER_BSN,
    SECRET,
    Line,
    Replay,
    codes,
    facts_of,
    fixture,
    message,
    start,
    stop,
)

TOEWIJZING = "WMO301"


def started() -> Replay:
    """A history with the fixture's toewijzingen and one start of 300201 on 2025-04-01."""
    replay = Replay()
    replay.ok(message(TOEWIJZING), message("WMO305", start()))
    return replay


# --- extract -----------------------------------------------------------------------------


def test_extract_keeps_keys_and_the_person_key_but_never_the_bsn() -> None:
    for name in ("WMO301", "WMO305", "WMO307", "JW301", "JW305", "JW307"):
        facts = facts_of(fixture(name))
        assert facts.scope is not None
        assert BSN not in repr(facts)
        assert "239157461" not in repr(facts)  # the iJw fixtures' Bsn
    facts = facts_of(fixture("WMO305"))
    assert facts.scope is not None
    assert facts.scope.person == person_key(BSN, SECRET)
    assert (facts.scope.gemeente, facts.scope.aanbieder) == ("0363", "65656055")
    assert (facts.sender, facts.berichtsoort) == ("65656055", "418")
    assert [line.location for line in facts.starts] == [
        "/Bericht/Client/StartProducten/StartProduct[1]",
        "/Bericht/Client/StartProducten/StartProduct[2]",
    ]


def test_extract_scopes_a_301_by_gemeente_and_aanbieder_like_a_305() -> None:
    assert facts_of(fixture("WMO301")).scope == facts_of(fixture("WMO305")).scope


def test_extract_normalises_the_toewijzingnummer_as_an_integer() -> None:
    facts = facts_of(message("WMO305", start(nummer="000300201")))
    assert facts.starts[0].key.toewijzing == "300201"


def test_extract_of_another_heenbericht_gives_only_the_identificatie() -> None:
    facts = facts_of(fixture("WMO323"))
    assert facts.scope is None
    assert (facts.starts, facts.stops, facts.toewijzingen) == ((), (), ())


def test_extract_of_a_request_gives_its_references() -> None:
    facts = facts_of(fixture("WMO315"))
    assert facts.scope is not None
    assert facts.parties is not None
    assert (facts.parties.domain, facts.parties.gemeente) == ("iwmo", "0363")
    assert [a.referentie for a in facts.aanvragen] == ["VOT-2025-0042"]
    verzoek = facts_of(fixture("JW317")).verzoek
    assert verzoek is not None
    assert facts_of(fixture("JW317")).domain == "ijw"
    antwoord = facts_of(fixture("WMO319")).request_answer
    assert antwoord is not None
    assert antwoord.referentie == "VOW-2025-0007"
    assert antwoord.verzoek_antwoord in ("1", "2")


def test_extract_refuses_a_retour_and_a_line_without_begindatum() -> None:
    with pytest.raises(ValueError, match="retour"):
        extract(fixture("WMO306"), "WMO306", SECRET)
    root = fixture("WMO305")
    begin = root.find(".//{*}Begindatum")
    assert begin is not None
    begin.getparent().remove(begin)  # type: ignore[union-attr]
    with pytest.raises(HistoryInputError, match=r"StartProduct\[1\]/Begindatum") as caught:
        extract(root, "WMO305", SECRET)
    assert BSN not in str(caught.value)


def test_extract_locates_the_identificatie_as_path_of_does() -> None:
    root = fixture("WMO305")
    assert extract(root, "WMO305", SECRET).identificatie_location == IDENTIFICATIE_LOCATION
    # Not what XSD lets through, but the location is still the element's own path.
    header = root.find("{*}Header")
    ident_parent = root.find("{*}Header/{*}BerichtIdentificatie")
    assert header is not None
    assert ident_parent is not None
    ident = ident_parent[0]
    ident_parent.append(copy.deepcopy(ident))
    assert extract(root, "WMO305", SECRET).identificatie_location == path_of(ident)
    assert path_of(ident).endswith("/BerichtIdentificatie/Identificatie[1]")
    ident_parent.remove(ident_parent[-1])
    root.append(copy.deepcopy(header))
    assert extract(root, "WMO305", SECRET).identificatie_location == path_of(ident)
    assert path_of(ident).startswith("/Bericht/Header[1]/")
    root.remove(root[-1])
    assert extract(root, "WMO305", SECRET).identificatie_location == IDENTIFICATIE_LOCATION
    root.tag = root.tag.replace("Bericht", "Message")
    assert extract(root, "WMO305", SECRET).identificatie_location == path_of(ident)
    assert path_of(ident).startswith("/Message/")


def test_every_rule_is_level_3_with_its_own_retourcode() -> None:
    registered = {(r.id, r.retourcode) for r in RULES}
    assert len(registered) == len(RULES) - 1  # TR304 twice: on 317 and on 323/325
    assert {r.id: r.retourcode for r in RULES}.items() >= {
        "TR056": "9056",
        "TR019": "9019",
        "TR074": "9074",
        "TR063": "9063",
        "TR071": "9071",
        "TR326": "9326",
        "TR382": "9069",
        "TR413": "9413",
        "TR414": "9414",
        "TR415": "9415",
        "TR332": "9332",
        "TR379": "9379",
        "TR347": "9347",
        "TR374": "9374",
        "TR304": "8187",
        "TR349": "9349",
        "TR350": "9350",
        "TR351": "9351",
        "TR357": "9357",
        "TR361": "9361",
        "TR373": "9373",
        "TR375": "9375",
        "TR411": "9411",
        "TR412": "9412",
        "TR355": "9355",
        "TR359": "9359",
        "TR360": "9360",
        "TR365": "9365",
    }.items()
    finding = Replay().send(message("WMO305", start(), start("2025-04-02", status="3")))[0]
    assert finding.level is Level.HISTORY


# --- TR056 -------------------------------------------------------------------------------


def test_tr056_flags_an_identificatie_used_before_by_the_sender_for_the_berichtsoort() -> None:
    replay = Replay()
    replay.ok(message(TOEWIJZING), message("WMO305", start(), identificatie="77"))
    other_line = start(nummer="300202", categorie="01", code="01A01")
    (finding,) = replay.send(message("WMO305", other_line, identificatie="77"))
    assert (finding.rule, finding.retourcode, finding.level) == ("TR056", "9056", Level.HISTORY)
    assert finding.location == "/Bericht/Header/BerichtIdentificatie/Identificatie"


def test_tr056_passes_the_same_identificatie_for_another_berichtsoort_or_sender() -> None:
    replay = started()
    replay.ok(
        message("WMO307", stop(), identificatie="88"),
        message("WMO305", start("2025-09-01"), identificatie="88"),
        message("WMO305", start(nummer=None), identificatie="88", afzender="12345678"),
        message("WMO315", identificatie="88"),
    )


# --- TR074 -------------------------------------------------------------------------------


def test_tr074_flags_a_start_key_received_before_but_not_after_its_delete() -> None:
    """READING 7: IV008's correction is a delete and a re-send with the same key."""
    replay = started()
    assert codes(replay.send(message("WMO305", start()))) == [("TR074", "9074")]
    replay.ok(message("WMO305", start(status="3")))
    replay.ok(message("WMO305", start()))  # the re-send after the delete
    assert codes(replay.send(message("WMO305", start()))) == [("TR074", "9074")]


def test_tr074_a_delete_and_its_re_send_in_one_message_leave_the_key_live() -> None:
    replay = started()
    replay.ok(message("WMO305", start(status="3"), start()))
    assert codes(replay.send(message("WMO305", start()))) == [("TR074", "9074")]


def test_tr074_passes_a_stop_re_sent_after_its_delete() -> None:
    replay = started()
    replay.ok(message("WMO307", stop()), message("WMO307", stop(status="3")))
    replay.ok(message("WMO307", stop()))
    assert codes(replay.send(message("WMO307", stop()))) == [("TR074", "9074")]


def test_tr074_passes_a_start_whose_key_differs_in_begindatum_or_product() -> None:
    replay = started()
    replay.ok(message("WMO307", stop()))
    replay.ok(message("WMO305", start("2025-08-01")))
    replay.ok(message("WMO305", start(nummer="300202", categorie="01", code="01A01")))


def test_tr074_flags_a_stop_key_received_before_and_nothing_else() -> None:
    replay = started()
    replay.ok(message("WMO307", stop()))
    assert codes(replay.send(message("WMO307", stop()))) == [("TR074", "9074")]


def test_tr074_passes_a_stop_that_differs_in_reden_or_einddatum_after_a_delete() -> None:
    replay = started()
    replay.ok(message("WMO307", stop()), message("WMO307", stop(status="3")))
    replay.ok(message("WMO307", stop(reden="02")))


# --- TR326 -------------------------------------------------------------------------------


def test_tr326_flags_a_new_start_while_the_earlier_start_still_runs() -> None:
    replay = started()
    (finding,) = replay.send(message("WMO305", start("2025-05-01")))
    assert (finding.rule, finding.retourcode) == ("TR326", "9326")
    assert finding.location == "/Bericht/Client/StartProducten/StartProduct"


@pytest.mark.parametrize(
    "reden",
    [
        "31",  # definitive stop
        "20",  # temporary stop: the resumption is a new start
    ],
)
def test_tr326_passes_a_new_start_after_a_stop(reden: str) -> None:
    replay = started()
    replay.ok(message("WMO307", stop(reden=reden)))
    replay.ok(message("WMO305", start("2025-08-01")))


def test_tr326_passes_after_a_delete_and_for_another_toewijzing_or_taakgericht() -> None:
    replay = started()
    replay.ok(message("WMO305", start(nummer="300202", categorie="01", code="01A01")))
    replay.ok(message("WMO305", start("2025-04-05", nummer=None)))
    replay.ok(message("WMO305", start("2025-04-06", nummer=None)))  # no toewijzing: no TR326
    replay.ok(message("WMO305", start(status="3")))
    replay.ok(message("WMO305", start("2025-05-01")))


# --- TR019 -------------------------------------------------------------------------------


def test_tr019_flags_a_toewijzingnummer_without_a_toewijzing_for_this_client() -> None:
    replay = Replay()
    assert codes(replay.send(message("WMO305", start()))) == [("TR019", "9019")]
    replay.ok(message(TOEWIJZING))
    # The toewijzing belongs to another client, and to another aanbieder.
    assert codes(replay.send(message("WMO305", start(), bsn=OTHER_BSN))) == [("TR019", "9019")]
    other = message("WMO305", start(), afzender="12345678")
    assert codes(replay.send(other)) == [("TR019", "9019")]
    replay.ok(message("WMO305", start()))
    (tr019, tr382) = replay.send(message("WMO307", stop(nummer="399999")))
    assert (tr019.rule, tr382.rule, tr382.retourcode) == ("TR019", "TR382", "9069")


def test_tr019_passes_after_the_301_and_for_taakgericht_without_toewijzing() -> None:
    Replay().ok(message("WMO305", start(nummer=None, code=None)))
    replay = Replay()
    replay.ok(message(TOEWIJZING), message("WMO305", start(nummer="0300201")))


# --- TR063 -------------------------------------------------------------------------------


def test_tr063_flags_deleting_a_start_or_stop_never_delivered() -> None:
    replay = started()
    (finding,) = replay.send(message("WMO305", start("2025-04-02", status="3")))
    assert (finding.rule, finding.retourcode) == ("TR063", "9063")
    (finding,) = replay.send(message("WMO307", stop(status="3")))
    assert (finding.rule, finding.retourcode) == ("TR063", "9063")


def test_tr063_passes_deleting_what_was_delivered() -> None:
    replay = started()
    replay.ok(message("WMO307", stop()), message("WMO307", stop(status="3")))
    replay.ok(message("WMO305", start(status="3")))


# --- TR071 -------------------------------------------------------------------------------


def test_tr071_flags_deleting_a_start_that_has_a_stop() -> None:
    replay = started()
    replay.ok(message("WMO307", stop(reden="20")))
    assert codes(replay.send(message("WMO305", start(status="3")))) == [("TR071", "9071")]


def test_tr071_passes_once_the_stop_is_deleted() -> None:
    replay = started()
    replay.ok(message("WMO307", stop()), message("WMO307", stop(status="3")))
    replay.ok(message("WMO305", start(status="3")))


# --- TR382 (9069) --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        stop(begin="2025-04-02"),  # another Begindatum
        stop(code="02A05"),  # another product
        stop(nummer="300202", categorie="01", code="01A01"),  # toewijzing without a start
    ],
)
def test_tr382_flags_a_stop_without_an_actual_start_with_its_key(line: Line) -> None:
    replay = started()
    findings = replay.send(message("WMO307", line))
    assert codes(findings) == [("TR382", "9069")]


def test_tr382_flags_a_stop_of_a_deleted_start() -> None:
    replay = started()
    replay.ok(message("WMO305", start(status="3")))
    assert codes(replay.send(message("WMO307", stop()))) == [("TR382", "9069")]


def test_tr382_passes_a_stop_that_copies_the_start_key() -> None:
    started().ok(message("WMO307", stop()))


# --- TR413 / TR414 / TR415 -------------------------------------------------------------------


def test_tr413_flags_a_second_temporary_stop_on_the_same_start() -> None:
    replay = started()
    replay.ok(message("WMO307", stop("2025-06-01", reden="20")))
    findings = replay.send(message("WMO307", stop("2025-06-15", reden="20")))
    assert codes(findings) == [("TR413", "9413")]


def test_tr413_passes_a_temporary_stop_on_the_resumed_start() -> None:
    replay = started()
    replay.ok(message("WMO307", stop("2025-06-01", reden="20")))
    replay.ok(message("WMO305", start("2025-06-10")))
    replay.ok(message("WMO307", stop("2025-06-20", reden="20", begin="2025-06-10")))


def test_tr414_flags_an_einddatum_before_the_temporary_stop() -> None:
    replay = started()
    replay.ok(message("WMO307", stop("2025-06-01", reden="20")))
    findings = replay.send(message("WMO307", stop("2025-05-20", reden="31")))
    assert codes(findings) == [("TR414", "9414")]


def test_tr414_passes_a_definitive_stop_on_or_after_the_temporary_stop() -> None:
    replay = started()
    replay.ok(message("WMO307", stop("2025-06-01", reden="20")))
    replay.ok(message("WMO307", stop("2025-06-01", reden="31")))


def test_tr415_flags_a_second_definitive_stop() -> None:
    replay = started()
    replay.ok(message("WMO307", stop("2025-06-01", reden="31")))
    findings = replay.send(message("WMO307", stop("2025-06-02", reden="02")))
    assert codes(findings) == [("TR415", "9415")]
    findings = replay.send(message("WMO307", stop("2025-06-02", reden="20")))
    assert codes(findings) == [("TR415", "9415")]


def test_tr415_passes_a_new_definitive_stop_after_deleting_the_first() -> None:
    replay = started()
    replay.ok(message("WMO307", stop("2025-06-01", reden="31")))
    replay.ok(message("WMO307", stop("2025-06-01", reden="31", status="3")))
    replay.ok(message("WMO307", stop("2025-06-02", reden="02")))


# --- lines within one message, effects -------------------------------------------------------


def test_a_later_line_sees_an_earlier_line_of_the_same_message() -> None:
    replay = Replay()
    replay.ok(message(TOEWIJZING))
    findings = replay.send(message("WMO305", start("2025-04-01"), start("2025-04-02")))
    (finding,) = findings
    assert (finding.rule, finding.location) == (
        "TR326",
        "/Bericht/Client/StartProducten/StartProduct[2]",
    )
    # Start and delete in one message: the delete sees the start.
    replay.ok(message("WMO305", start("2025-04-03"), start("2025-04-03", status="3")))
    # Two temporary stops in one 307.
    replay.ok(message("WMO305", start("2025-05-01")))
    two = message(
        "WMO307",
        stop("2025-05-10", "20", begin="2025-05-01"),
        stop("2025-05-11", "20", begin="2025-05-01"),
    )
    assert codes(replay.send(two)) == [("TR413", "9413")]


def test_effects_hold_the_clean_lines_only_and_apply_idempotently() -> None:
    replay = started()
    facts = facts_of(
        message(
            "WMO305", start(), start("2025-04-20", nummer="300202", categorie="01", code="01A01")
        )
    )
    outcome = evaluate(facts, replay.state)
    assert codes(outcome.findings) == [("TR074", "9074")]
    assert [k.toewijzing for k in outcome.effects.new_starts] == ["300202"]
    once = replay.state.with_effects(outcome.effects)
    assert once.with_effects(outcome.effects) == once
    assert once != replay.state


def test_the_ijw_messages_follow_the_same_rules() -> None:
    replay = Replay()
    replay.ok(message("JW301"), message("JW305"), message("JW307"))
    assert codes(replay.send(message("JW307"))) == [("TR074", "9074")] * 2
