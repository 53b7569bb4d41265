"""The rulebook: complete, in step with the registries, its generated doc current, --explain."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import uuid4

import pytest

from hub.domain import decide, history, rulebook, rules
from hub.domain.findings import Level
from hub.domain.messages import CATALOGUE, Standard
from hub.domain.ruleentry import RuleLevel, Status
from hub.domain.ruletable import BY_ID, ENTRIES
from hub.domain.validation import Validator
from hub.domain.xmlcodec import child_text, parse_message
from hub.ops.cli.main import main
from hub.ops.packgen import sampledata
from hub.ops.rulebook_doc import COMMAND, render
from tests.packkit import default_packs

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
ISTANDAARD_MESSAGES = frozenset(
    n for n, mt in CATALOGUE.items() if mt.standard in (Standard.IWMO, Standard.IJW)
)


def test_every_rule_of_the_reference_is_listed_once() -> None:
    levels = Counter(e.level for e in ENTRIES)
    assert len(ENTRIES) == len(BY_ID) == 121
    assert levels[RuleLevel.IN_MESSAGE] + levels[RuleLevel.XSD] == 63
    assert (levels[RuleLevel.HISTORY], levels[RuleLevel.EXTERNAL]) == (54, 4)
    assert {e.id for e in ENTRIES if e.level is RuleLevel.XSD} == {"CS015", "CS025", "CS319"}
    in_message = [e.id for e in ENTRIES if e.level in (RuleLevel.IN_MESSAGE, RuleLevel.XSD)]
    assert Counter(rule_id[:2] for rule_id in in_message) == {"TR": 22, "CD": 22, "CS": 19}


def test_retourcodes_and_markings() -> None:
    no_code = {e.id for e in ENTRIES if e.retourcode is None}
    assert no_code == {"CS015", "CS025", "CS319", "TR337", "TR371", "TR376"}
    assert all(e.retourcode == "0001" for e in ENTRIES if e.level is RuleLevel.IN_MESSAGE)
    assert {e.id for e in ENTRIES if e.ijw_only} == {"TR377", "TR409"}
    assert rulebook.catalogue_names(BY_ID["TR377"]) == {"JW319"}
    assert rulebook.catalogue_names(BY_ID["TR018"]) == {"WMO307", "JW307"}
    assert BY_ID["TR382"].retourcode == "9069"  # WJ001 prints the rule as TR069
    assert BY_ID["TR304"].messages == (317, 323, 325)


def test_outside_sources_are_named() -> None:
    needing = {e.id for e in ENTRIES if e.reason and e.reason.status is Status.NEEDS_SOURCE}
    assert needing >= {"TR378", "TR381", "TR346", "TR418"}
    for rule_id in needing:
        assert rulebook.status_text(BY_ID[rule_id], frozenset()).startswith(
            "needs an outside source: "
        )


def test_status_is_computed_from_the_registries() -> None:
    entry = BY_ID["TR332"]
    assert rulebook.status(entry, frozenset({"TR332"})) is Status.IMPLEMENTED
    assert rulebook.status(entry, frozenset()) is Status.NOT_YET
    assert rulebook.status_text(entry, frozenset()) == "not yet implemented"
    assert rulebook.status(BY_ID["CS319"], frozenset({"CS319"})) is Status.XSD
    assert "also runs a rule object" in rulebook.status_text(BY_ID["CS015"], frozenset({"CS015"}))
    assert "also" not in rulebook.status_text(BY_ID["CS319"], frozenset())
    running = rulebook.registered()
    assert {r.id for r in rules.RULES} | {r.id for r in history.RULES} == running


def test_every_registered_rule_is_in_the_rulebook_with_its_level_and_code() -> None:
    for r in rules.RULES:
        entry = BY_ID.get(r.id)
        assert entry is not None, f"{r.id} is registered but not in hub/domain/rulebook.py"
        assert r.level is entry.level.finding_level, r.id
        # An XSD-enforced rule has no retourcode; a rule object for it answers like its peers.
        assert r.retourcode == (entry.retourcode or "0001"), r.id
    messages: dict[str, set[str]] = {}
    for h in history.RULES:
        entry = BY_ID.get(h.id)
        assert entry is not None, f"{h.id} is registered but not in hub/domain/rulebook.py"
        assert entry.level is RuleLevel.HISTORY, h.id
        assert (h.retourcode or None) == entry.retourcode, h.id  # "" = none, as in findings
        # One id may be split over rule objects per flow (TR304 on 317 and on 323/325).
        messages.setdefault(h.id, set()).update(h.messages & ISTANDAARD_MESSAGES)
    for rule_id, names in messages.items():
        assert names == rulebook.catalogue_names(BY_ID[rule_id]), rule_id


def test_no_registered_rule_is_marked_as_not_run() -> None:
    running = rulebook.registered()
    marked = {
        e.id
        for e in ENTRIES
        if e.reason and e.reason.status in (Status.NEEDS_SOURCE, Status.NOT_HUBS)
    }
    assert running & marked == set(), "a registered rule is marked as not run in REASONS"


def test_docs_rules_md_is_current() -> None:
    path = ROOT / "docs" / "rules.md"
    assert path.read_text(encoding="utf-8") == render(), f"docs/rules.md is stale: run `{COMMAND}`"


def test_doc_counts_and_says_what_is_not_done() -> None:
    text = render(frozenset({"CS002"}))
    assert "| implemented | 1 | 0 | 0 | 0 | 1 |" in text
    assert "| not yet implemented | 59 | 0 | 53 | 1 | 113 |" in text
    assert "**Not yet implemented**" in text
    assert "TR101" in text
    assert f"XSLT set version **{rulebook.XSLT_VERSIE}**" in text
    for entry in ENTRIES:
        assert f"| {entry.id} |" in text


# --- hub validate --explain ---------------------------------------------------------------


def test_explain_prints_the_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--explain", "tr378"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("TR378: ")
    for part in ("external (controleniveau 4)", "S300", "all heen + 325", "CBS gemeentelijke"):
        assert part in out


def test_explain_of_an_xsd_rule_and_a_rule_without_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--explain", "CS319"]) == 0
    out = capsys.readouterr().out
    assert "controleniveau 1" in out
    assert "run by" not in out
    assert main(["validate", "--explain", "TR018"]) == 0
    assert "run by      hub.domain.rules." in capsys.readouterr().out
    assert main(["validate", "--explain", "TR376"]) == 0
    assert "none (the rule has no retourcode" in capsys.readouterr().out


def test_explain_of_an_unknown_id_names_the_nearest(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--explain", "TR10"]) == 2
    err = capsys.readouterr().err
    assert "not a rule id" in err
    assert "TR101" in err
    assert main(["validate", "--explain", "hello"]) == 2
    assert "docs/rules.md" in capsys.readouterr().err


def test_explain_takes_no_files_and_files_are_still_needed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["validate", "--explain", "TR101", "x.xml"]) == 2
    assert "takes no files" in capsys.readouterr().err
    assert main(["validate"]) == 2
    assert "at least one FILE" in capsys.readouterr().err


# --- XsltVersie ---------------------------------------------------------------------------


def test_a_hub_built_retour_names_the_published_xslt_version() -> None:
    packs = default_packs()
    today = date(2025, 6, 2)
    data = (FIXTURES / "iwmo-3.2" / "WMO305.xml").read_bytes()
    bsn = child_text(parse_message(data), "Client", "Bsn")
    assert bsn is not None
    data = data.replace(bsn.encode(), b"123456789")  # fails the 11-proef: an XSLT rejection
    verdict = Validator(packs, clock=lambda: today).validate(data)
    assert any(f.rule == "CS002" and f.level is Level.XSLT for f in verdict.findings)
    ctx = decide.Context(
        packs=packs,
        egress_topic=lambda node: f"egress.{node}",
        dlq_topic="dlq",
        today=lambda: today,
        deadline=lambda _at, _mt: None,
    )
    item = decide.Incoming(uuid4(), "vecozo", "sender", datetime.now(UTC), data, 0, 0, "ingress")
    decision = decide.heen(ctx, item, verdict, None, (), None, lambda: "H1")
    retour = parse_message(decision.outbox[0].payload)
    assert child_text(retour, "Header", "XsltVersie") == rulebook.XSLT_VERSIE == "2.10.5"
    assert decide.RULESET_VERSION == rulebook.XSLT_VERSIE


def test_sample_retours_carry_the_same_xslt_version() -> None:
    # The pack generator writes XsltVersie into its sample retours (tests/fixtures/*/WMO318.xml).
    assert sampledata.XSLT_VERSION == rulebook.XSLT_VERSIE
    retour = parse_message((FIXTURES / "iwmo-3.2" / "WMO318.xml").read_bytes())
    assert child_text(retour, "Header", "XsltVersie") == rulebook.XSLT_VERSIE
