"""docs/rules.md, generated from the rulebook and the rule registries (`hub docs rules`)."""

from __future__ import annotations

from collections import Counter

from hub.domain import rulebook
from hub.domain.ruleentry import RuleLevel, Status
from hub.domain.ruletable import ENTRIES, FAMILIES

COMMAND = "hub docs rules --out docs/rules.md"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render(running: frozenset[str] | None = None) -> str:
    """The whole document; `running` = registered rule ids (default: the live registries)."""
    running = rulebook.registered() if running is None else running
    statuses = {e.id: rulebook.status(e, running) for e in ENTRIES}
    levels = Counter(e.level for e in ENTRIES)
    out = [
        "# Technical rules: what isd-hub checks",
        "",
        f"Generated from `hub/domain/rulebook.py` and the rule registries "
        f"(`hub.domain.rules.RULES`, `hub.domain.history.RULES`) by `{COMMAND}`. Do not edit by "
        "hand: a test fails when this copy is stale. `hub validate --explain RULE` prints one "
        "rule.",
        "",
        f"The rulebook corresponds to the published {rulebook.RULESET} ruleset, XSLT set version "
        f"**{rulebook.XSLT_VERSIE}**: retours the hub builds for an in-message rejection carry "
        f"`XsltVersie` {rulebook.XSLT_VERSIE}, the version the iWmo 3.2 XSLT set identifies "
        "itself with (domain.md §4.1; the facts give no separate iJw "
        "figure; iJw retours carry the same). Ids, levels, messages and retourcodes follow the "
        "project's rule reference (restated from the iWmo/iJw 3.2 rule texts, code list WJ001 "
        "and the invulinstructies); the summaries are our own words. A rule is *implemented* "
        "when its id is in a registry; a rule the hub does not run says why, or says "
        "*not yet implemented*.",
        "",
        f"{len(ENTRIES)} rules: {levels[RuleLevel.IN_MESSAGE] + levels[RuleLevel.XSD]} "
        f"in-message ({levels[RuleLevel.XSD]} of them XSD-enforced), "
        f"{levels[RuleLevel.HISTORY]} history, {levels[RuleLevel.EXTERNAL]} external.",
        "",
        "| Status | " + " | ".join(level.value for level in RuleLevel) + " | All |",
        "|---|" + "---:|" * (len(RuleLevel) + 1),
    ]
    for st in Status:
        row = [sum(e.level is lv and statuses[e.id] is st for e in ENTRIES) for lv in RuleLevel]
        out.append(f"| {st.value} | " + " | ".join(map(str, row)) + f" | {sum(row)} |")
    not_yet = [e.id for e in ENTRIES if statuses[e.id] is Status.NOT_YET]
    out += [
        "",
        "**Not yet implemented** (in the standard, not checked by the hub today): "
        + (", ".join(not_yet) if not_yet else "none")
        + ".",
        "",
        "Messages are the same in iWmo (WMO3nn) and iJw (JW3nn) unless marked; *all heen + "
        "325* = 301, 305, 307, 315, 317, 319, 323 and 325. The standard attaches no rule to a "
        "retour (302/306/308/316/318/320), only format restrictions its XSD enforces; the hub "
        "also checks a received retour's DagtekeningRetour under TR135.",
    ]
    for family, title in FAMILIES.items():
        out += [
            "",
            f"## {title}",
            "",
            "| Rule | Level | Messages | Retourcode | What it checks | Status |",
            "|---|---|---|---|---|---|",
        ]
        for e in ENTRIES:
            if e.family != family:
                continue
            code = e.retourcode or "–"
            cells = (e.id, e.level.value, rulebook.messages_text(e), code, e.summary,
                     rulebook.status_text(e, running))  # fmt: skip
            out.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(out) + "\n"
