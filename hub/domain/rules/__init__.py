"""In-message technical rules (controleniveau 2 and the clock check): registry and runner."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import cache
from typing import Final

from lxml import etree

from hub.domain.findings import Finding
from hub.domain.messages import CATALOGUE, by_name
from hub.domain.rules import (
    antwoord,
    client,
    contact,
    dates,
    declaratie,
    duplicates,
    header,
    identity,
    naam,
    omvang,
    periods,
    prestatie,
    startstop,
    toewijzing,
    verzoek,
)
from hub.domain.rules.base import Rule, RuleContext

__all__ = ["RULES", "Rule", "RuleContext", "check_message", "rules_for"]

# One module per rule family, each with its own RULES tuple. Explicit, and in the order findings
# are reported: header first, then the client, then the lines. A new family adds one entry here.
FAMILIES: Final = (
    header,
    identity,
    client,
    naam,
    contact,
    toewijzing,
    dates,
    startstop,
    duplicates,
    periods,
    omvang,
    verzoek,
    antwoord,
    declaratie,
    prestatie,
)
RULES: Final[tuple[Rule, ...]] = tuple(r for family in FAMILIES for r in family.RULES)


def _check_registry(rules: tuple[Rule, ...]) -> None:
    ids = [r.id for r in rules]
    if len(ids) != len(set(ids)):
        raise RuntimeError(f"duplicate rule ids in RULES: {sorted(ids)}")
    for r in rules:
        unknown = r.messages - CATALOGUE.keys()
        if unknown or not r.messages:
            raise RuntimeError(f"rule {r.id} names unknown or no messages: {sorted(unknown)}")


_check_registry(RULES)


@cache
def rules_for(message_name: str, skip: frozenset[str] = frozenset()) -> tuple[Rule, ...]:
    """The rules that apply to one message kind, in registry order, less those in `skip`."""
    name = by_name(message_name).name
    return tuple(r for r in RULES if name in r.messages and r.id not in skip)


def check_message(
    root: etree._Element,
    message_name: str,
    *,
    today: date,
    skip: frozenset[str] = frozenset(),
    header: Mapping[str, etree._Element] | None = None,
) -> tuple[Finding, ...]:
    """Run every in-message rule for `message_name` (e.g. "WMO305") over a parsed message.

    Expects a message that passed XSD validation, but never raises on odd content: a rule
    that cannot read what it needs says nothing. Unknown message names raise KeyError.
    `skip` names rules the caller has already enforced another way; `header` is
    `children_by_name` of the root's Header when the caller has read it already.
    """
    ctx = RuleContext(root, by_name(message_name), today, header)
    found: list[Finding] = []
    for r in rules_for(message_name, skip):
        # Rule.check, inlined: one generator less per rule on the hot path.
        for location, sentence in r.body(root, ctx):
            found.append(Finding(r.id, r.retourcode, r.level, location, sentence))
    return tuple(found)
