"""Builds 301/305/307 messages for the history tests by editing the valid fixtures, and replays
them through extract → evaluate → with_effects in memory."""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from lxml import etree

from hub.domain.findings import Finding
from hub.domain.history import HistoryEffects, HistoryFacts, HistoryState, evaluate, extract
from hub.domain.xmlcodec import child, parse_message, read_envelope, serialize

FIXTURES: Final = Path(__file__).parents[1] / "fixtures"
SECRET: Final = b"history-test-secret"
BSN: Final = "174285917"  # the Bsn of the iWmo fixtures
OTHER_BSN: Final = "999993653"
_IDS = itertools.count(1000)


@dataclass(frozen=True)
class Line:
    """One product line; None leaves the element out."""

    begin: str = "2025-04-01"
    nummer: str | None = "300201"
    categorie: str = "02"
    code: str | None = "02A04"
    status: str = "1"
    reden: str = "31"  # StopProduct only
    end: str = "2025-07-18"  # StopProduct only


def start(begin: str = "2025-04-01", **kw: str | None) -> Line:
    return Line(begin=begin, **kw)  # type: ignore[arg-type]


def stop(end: str = "2025-07-18", reden: str = "31", **kw: str | None) -> Line:
    return Line(end=end, reden=reden, **kw)  # type: ignore[arg-type]


def fixture(name: str) -> etree._Element:
    folder = "ijw-3.2" if name.startswith("JW") else "iwmo-3.2"
    return parse_message((FIXTURES / folder / f"{name}.xml").read_bytes())


def message(
    name: str,
    *lines: Line,
    identificatie: str | None = None,
    afzender: str | None = None,
    bsn: str | None = None,
) -> etree._Element:
    """The fixture `name` (e.g. "WMO305") with these lines (the fixture's own when none),
    a fresh Identificatie unless one is given, and optionally another sender or Bsn."""
    root = fixture(name)
    header = child(root, "Header")
    ident = child(child(header, "BerichtIdentificatie"), "Identificatie")
    assert ident is not None
    ident.text = identificatie or str(next(_IDS))
    if afzender is not None:
        _set(header, "Afzender", afzender)
    client = child(root, "Client")
    if bsn is not None:
        _set(client, "Bsn", bsn)
    if lines:
        container, line_name = _CONTAINERS[name[-3:]]
        parent = child(client, container)
        assert parent is not None
        template = child(parent, line_name)
        assert template is not None
        for old in list(parent):
            parent.remove(old)
        for spec in lines:
            parent.append(_line(template, spec))
    # Round-trip, so the tree is exactly what the hub would parse.
    return parse_message(serialize(root))


_CONTAINERS: Final = {
    "301": ("ToegewezenProducten", "ToegewezenProduct"),
    "305": ("StartProducten", "StartProduct"),
    "307": ("StopProducten", "StopProduct"),
}


def _set(parent: etree._Element | None, name: str, value: str | None) -> None:
    el = child(parent, name)
    assert el is not None, name
    if value is None:
        parent.remove(el)  # type: ignore[union-attr]
    else:
        el.text = value


def _line(template: etree._Element, spec: Line) -> etree._Element:
    line = copy.deepcopy(template)
    _set(line, "ToewijzingNummer", spec.nummer)
    product = child(line, "Product")
    _set(product, "Categorie", spec.categorie)
    _set(product, "Code", spec.code)
    if child(line, "Begindatum") is not None:  # 305 / 307
        _set(line, "Begindatum", spec.begin)
        _set(line, "StatusAanlevering", spec.status)
    if child(line, "RedenBeeindiging") is not None:  # 307
        _set(line, "RedenBeeindiging", spec.reden)
        _set(line, "Einddatum", spec.end)
    return line


def facts_of(root: etree._Element) -> HistoryFacts:
    name = read_envelope(root).message_name
    assert name is not None
    return extract(root, name, SECRET)


class Replay:
    """An in-memory history: a message is accepted (and its effects kept) when it raises no
    finding, as a caller that refuses whole messages would do."""

    def __init__(self, state: HistoryState | None = None) -> None:
        self.state = state or HistoryState()
        self.effects: list[HistoryEffects] = []

    def send(self, root: etree._Element) -> tuple[Finding, ...]:
        outcome = evaluate(facts_of(root), self.state)
        if not outcome.findings:
            self.state = self.state.with_effects(outcome.effects)
            self.effects.append(outcome.effects)
        return outcome.findings

    def ok(self, *roots: etree._Element) -> None:
        for root in roots:
            assert self.send(root) == ()


def codes(findings: tuple[Finding, ...]) -> list[tuple[str, str]]:
    return [(f.rule, f.retourcode) for f in findings]
