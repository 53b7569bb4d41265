"""The rulebook: what the hub does with each rule of the table (status, texts, `--explain`).

The rules themselves are data in hub.domain.ruletable (one hub.domain.ruleentry.Entry each).
Whether the hub runs a rule is not written there: it is computed here from the registries
(`hub.domain.rules.RULES`, `hub.domain.history.RULES`), so the generated
`docs/rules.md` (`hub docs rules --out docs/rules.md`) tells what the code does. A rule the hub does
not run carries its reason in hub.domain.ruleentry.REASONS, or is reported as "not yet implemented".
"""

from __future__ import annotations

import difflib
from typing import Final

from hub.domain.messages import CATALOGUE, Standard
from hub.domain.ruleentry import Entry, RuleLevel, Status
from hub.domain.ruletable import BY_ID, FAMILIES, HEEN_AND_325

# The published ruleset this rulebook corresponds to, written as XsltVersie in every retour the
# hub builds for an in-message rejection (IV028). Source: domain.md §4.1, the iWmo 3.2 XSLT set
# identifies itself as XSLTHeader{Standaard iwmo, StandaardRelease 3.2, XSLTVersie 2.10.5}.
# The facts give no separate iJw figure; the hub writes the same version in iJw retours.
XSLT_VERSIE: Final = "2.10.5"
RULESET: Final = "iWmo 3.2 / iJw 3.2"  # the releases whose rule texts the table restates


def registered() -> frozenset[str]:
    """The ids of every rule the hub runs: the in-message and the history registry."""
    # Imported here: the registries import every rule module; the rulebook stays a light read.
    from hub.domain import history, rules

    return frozenset(r.id for r in rules.RULES) | frozenset(r.id for r in history.RULES)


def status(entry: Entry, running: frozenset[str] | None = None) -> Status:
    """Computed: an id in a registry is implemented; otherwise the entry's reason, or not yet."""
    if entry.level is RuleLevel.XSD:
        return Status.XSD
    if entry.id in (registered() if running is None else running):
        return Status.IMPLEMENTED
    return entry.reason.status if entry.reason is not None else Status.NOT_YET


def status_text(entry: Entry, running: frozenset[str] | None = None) -> str:
    """The status with its reason, e.g. "needs an outside source: the CBS ... indeling"."""
    running = registered() if running is None else running
    found = status(entry, running)
    if found is Status.XSD:
        also = "; the hub also runs a rule object for it" if entry.id in running else ""
        return f"{found.value} ({entry.reason.why if entry.reason else 'by the XSD'}{also})"
    if found is Status.IMPLEMENTED or entry.reason is None:
        return found.value
    return f"{found.value}: {entry.reason.why}"


def catalogue_names(entry: Entry) -> frozenset[str]:
    """The hub catalogue's names of the rule's messages, e.g. {"WMO305", "JW305"}."""
    standards = (Standard.IJW,) if entry.ijw_only else (Standard.IWMO, Standard.IJW)
    return frozenset(
        mt.name
        for mt in CATALOGUE.values()
        if mt.standard in standards and mt.number in entry.messages
    )


def messages_text(entry: Entry) -> str:
    if entry.messages == HEEN_AND_325:
        text = "all heen + 325"
    else:
        text = ", ".join(str(n) for n in entry.messages)
    return text + (" (iJw only)" if entry.ijw_only else "")


def retourcode_text(entry: Entry) -> str:
    if entry.retourcode is not None:
        return entry.retourcode
    if entry.level is RuleLevel.XSD:
        return "none (an XSD failure is answered by the node, not by a retour)"
    return "none (the rule has no retourcode: a 325 gets no retour)"


def controleniveau(entry: Entry) -> int:
    return 1 if entry.level is RuleLevel.XSD else entry.level.finding_level.controleniveau


def nearest(rule_id: str, count: int = 3) -> list[str]:
    """The rulebook ids closest to an unknown one (for "did you mean")."""
    return difflib.get_close_matches(rule_id.strip().upper(), list(BY_ID), n=count, cutoff=0.6)


def run_by(rule_id: str) -> str | None:
    """Where the hub runs a rule: the in-message rule's module, or the history registry."""
    from hub.domain import history, rules

    for r in rules.RULES:
        if r.id == rule_id:
            return f"{getattr(r.body, '__module__', 'hub.domain.rules')} (in-message registry)"
    if any(h.id == rule_id for h in history.RULES):
        return "hub.domain.history (history registry)"
    return None


def explain(rule_id: str) -> str | None:
    """What `hub validate --explain RULE` prints, or None for an id not in the rulebook."""
    entry = BY_ID.get(rule_id.strip().upper())
    if entry is None:
        return None
    lines = [
        f"{entry.id}: {entry.summary}",
        f"  level       {entry.level.value} (controleniveau {controleniveau(entry)})",
        f"  messages    {messages_text(entry)}",
        f"  retourcode  {retourcode_text(entry)}",
        f"  status      {status_text(entry)}",
    ]
    where = run_by(entry.id)
    if where is not None:
        lines.append(f"  run by      {where}")
    lines.append(f"  listed in   {FAMILIES[entry.family]} (docs/rules.md)")
    return "\n".join(lines)
