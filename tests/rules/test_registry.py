"""The rule registry: as the rulebook lists it, per message, quiet on valid input, never raising."""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Final

import pytest
from lxml import etree

from hub.domain.findings import Finding, Level
from hub.domain.messages import CATALOGUE, Direction, Standard
from hub.domain.rulebook import catalogue_names
from hub.domain.ruleentry import RuleLevel
from hub.domain.rules import RULES, check_message, header, rules_for
from hub.domain.ruletable import BY_ID
from hub.domain.xmlcodec import parse_message, read_envelope

FIXTURES = Path(__file__).parents[1] / "fixtures"
FAR_FUTURE = date(2100, 1, 1)
ISTANDAARD_MESSAGES: Final = frozenset(
    n for n, mt in CATALOGUE.items() if mt.standard in (Standard.IWMO, Standard.IJW)
)
RETOURS: Final = frozenset(n for n, mt in CATALOGUE.items() if mt.direction is Direction.RETOUR)


def _fixtures() -> list[Path]:
    return sorted(FIXTURES.rglob("*.xml"))


def _kind(root: etree._Element) -> str:
    name = read_envelope(root).message_name
    assert name is not None
    assert name in CATALOGUE
    return name


def test_registry_holds_each_rule_once_and_every_rule_is_in_the_rulebook() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    assert set(ids) <= BY_ID.keys(), "registered rules missing from hub/domain/rulebook.py"
    assert all(BY_ID[i].level is not RuleLevel.HISTORY for i in ids)


def test_in_message_rules_answer_0001_and_only_the_clock_rule_differs() -> None:
    for r in RULES:
        if r.id == "TR135":  # the system date is a source outside the message
            assert (r.level, r.retourcode) == (Level.EXTERNAL, "8848")
        else:
            assert (r.level, r.retourcode) == (Level.XSLT, "0001"), r.id
        assert r.description
        assert r.messages <= CATALOGUE.keys()


# Registered beyond the rulebook's messages on purpose: the retours. CS025/CS015 are the pack's
# header versions (XSD-enforced), and TR135 also reads a retour's DagtekeningRetour.
ALSO_ON_RETOURS: Final = frozenset({"CS025", "CS015", "TR135"})


def test_rules_are_chosen_per_message_as_the_rulebook_lists() -> None:
    wrong = {}
    for r in RULES:
        entry = BY_ID[r.id]
        expected = catalogue_names(entry)
        # rules.md covers iWmo and iJw; what the hub runs on its iEb model is its own choice.
        got = r.messages & ISTANDAARD_MESSAGES
        if r.id in ALSO_ON_RETOURS:
            got -= RETOURS
        if got != expected:
            wrong[r.id] = (sorted(got - expected), sorted(expected - got))
        for name in expected:
            assert r in rules_for(name), (r.id, name)
    assert wrong == {}, "registered messages differ from the rulebook: {id: (extra, missing)}"


def test_header_rules_come_first() -> None:
    assert RULES[: len(header.RULES)] == header.RULES
    first = [r.id for r in rules_for("WMO305")][: len(header.RULES)]
    assert first == [r.id for r in header.RULES]


def test_unknown_message_kind_raises_key_error() -> None:
    root = parse_message(b'<Bericht xmlns="urn:x"/>')
    with pytest.raises(KeyError, match="WMO399"):
        check_message(root, "WMO399", today=FAR_FUTURE)


def test_finding_is_frozen() -> None:
    finding = Finding("CS002", "0001", Level.XSLT, "/Bericht/Client/Bsn", "bad")
    with pytest.raises(AttributeError):
        finding.rule = "CS003"  # type: ignore[misc]
    assert Level.HISTORY.controleniveau == 3


def test_fixtures_exist() -> None:
    assert len(_fixtures()) >= 14


@pytest.mark.parametrize("path", _fixtures(), ids=lambda p: p.stem)
def test_valid_fixture_messages_have_no_findings(path: Path) -> None:
    root = parse_message(path.read_bytes())
    assert check_message(root, _kind(root), today=FAR_FUTURE) == ()


def _mutations(root: etree._Element) -> Iterator[etree._Element]:
    """Copies of `root` with one element emptied, garbled, commented, or removed."""
    count = sum(1 for _ in root.iter(etree.Element))
    for index in range(1, count):
        for how in ("empty", "garble", "comment", "remove"):
            twin = copy.deepcopy(root)
            el = list(twin.iter(etree.Element))[index]
            if how == "empty":
                el.text = ""
                del el[:]
            elif how == "garble":
                el.text = "x\u00e9 -1"
            elif how == "comment":
                el.insert(0, etree.Comment("c"))
            else:
                parent = el.getparent()
                assert parent is not None
                parent.remove(el)
            yield twin


@pytest.mark.parametrize("path", _fixtures(), ids=lambda p: p.stem)
def test_rules_never_raise_on_odd_content(path: Path) -> None:
    root = parse_message(path.read_bytes())
    kind = _kind(root)
    for twin in _mutations(root):
        for finding in check_message(twin, kind, today=date(2025, 1, 1)):
            assert finding.location.startswith("/Bericht")


def test_hot_path_stays_fast() -> None:
    # A loose guard against accidental quadratic work, not a benchmark (that target is
    # 15,000 msg/s for parse + XSD + rules on one core).
    data = (FIXTURES / "iwmo-3.2" / "WMO305.xml").read_bytes()
    started = time.perf_counter()
    for _ in range(1000):
        root = parse_message(data)
        check_message(root, "WMO305", today=FAR_FUTURE)
    assert time.perf_counter() - started < 1.0
