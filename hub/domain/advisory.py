"""Advisory mode of the history rules: per gemeente, whether they refuse (enforce) or only report.

A gemeente that moves its traffic to the hub has its history (toewijzingen, starts, stops) in
its own systems, not in the hub's ledger; enforced on its first day, the berichtoverstijgende
rules (hub.domain.history RULES) would refuse every 305 on a toewijzing the hub never saw. In
`advisory` mode such a message is routed as if clean, its findings are reported (an event, a
metric, `hub history report`), and the receiver answers it. Schema and in-message findings
(controleniveau 1 and 2) are never advisory: they still refuse.

Where a gemeente's mode comes from, first match wins: the `history_mode` table (`hub history
mode GEMEENTE enforce|advisory`), the modes file (HUB_HISTORY_MODES_FILE, read here), then
HUB_HISTORY_DEFAULT_MODE ("advisory": a gemeente nobody configured is new to the hub).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Final

from hub.domain.configfile import read_toml
from hub.domain.errors import ConfigError
from hub.domain.findings import Finding
from hub.domain.history import HistoryEffects, HistoryFacts
from hub.domain.history.declaratie_facts import DeclaratieFacts, PrestatieLine
from hub.domain.history.declaratie_state import (
    PENDING,
    DeclaratieEffects,
    StoredDeclaratie,
    StoredPrestatie,
)
from hub.domain.history.facts import DELETE

__all__ = [
    "DEMO_FILE",
    "GEMEENTE_PATTERN",
    "AdvisoryFinding",
    "Mode",
    "ModeLookup",
    "advisory_findings",
    "enforce_everywhere",
    "gemeente_of",
    "load_modes",
    "lookup",
    "parse_mode",
    "routed_effects",
]

# The built-in modes file: the demo and fixture gemeenten enforce, as they always did.
DEMO_FILE: Final = Path(__file__).with_name("history_modes.demo.toml")
GEMEENTE_PATTERN: Final = re.compile(r"[0-9]{4}")  # CBS gemeentecode


class Mode(StrEnum):
    ENFORCE = "enforce"  # history findings refuse the message (a retour, or a dead letter)
    ADVISORY = "advisory"  # routed as if clean; the findings are only reported


ModeLookup = Callable[[str], Mode]  # gemeentecode -> its mode


def enforce_everywhere(gemeente: str) -> Mode:
    """The lookup of a decision nobody gave modes (unit tests, tools): today's behaviour."""
    return Mode.ENFORCE


def parse_mode(text: str) -> Mode:
    """`enforce` or `advisory`; ValueError naming both otherwise."""
    try:
        return Mode(text.strip().lower())
    except ValueError:
        raise ValueError(f"unknown history mode {text!r}: use enforce or advisory") from None


def lookup(stored: Mapping[str, Mode], configured: Mapping[str, Mode], default: Mode) -> ModeLookup:
    """The mode of each gemeente: set by `hub history mode`, else in the file, else `default`."""

    def mode(gemeente: str) -> Mode:
        return stored.get(gemeente) or configured.get(gemeente) or default

    return mode


def load_modes(path: Path, setting: str = "HUB_HISTORY_MODES_FILE") -> dict[str, Mode]:
    """The modes file: a table `[modes]` of `"NNNN" = "enforce" | "advisory"`."""
    where = f"history modes file {path}"
    raw = read_toml(path, where, setting)
    unknown = sorted(set(raw) - {"modes"})
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (only [modes])")
    table = raw.get("modes", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: modes must be a table of gemeentecode = mode")
    modes: dict[str, Mode] = {}
    for gemeente, value in table.items():
        if not GEMEENTE_PATTERN.fullmatch(gemeente):
            raise ConfigError(f"{where}: {gemeente!r} is not a 4-digit gemeentecode")
        if not isinstance(value, str):
            raise ConfigError(f"{where}: mode of {gemeente} must be a string")
        try:
            modes[gemeente] = parse_mode(value)
        except ValueError as exc:
            raise ConfigError(f"{where}: {gemeente}: {exc}") from None
    return modes


def gemeente_of(facts: HistoryFacts | None) -> str | None:
    """The gemeente whose history rules judged the message (None: not a gemeente's message)."""
    if facts is None or facts.parties is None:
        return None
    gemeente = facts.parties.gemeente
    return gemeente if GEMEENTE_PATTERN.fullmatch(gemeente) else None


@dataclass(frozen=True, slots=True)
class AdvisoryFinding:
    """One history finding on a message routed in advisory mode, as `hub history report` keeps
    it: which gemeente, rule, code and place; never the sentence (it may quote a value)."""

    message_id: str
    position: int
    gemeente: str
    rule: str
    retourcode: str
    location: str


def advisory_findings(
    message_id: str, gemeente: str, findings: tuple[Finding, ...]
) -> tuple[AdvisoryFinding, ...]:
    return tuple(
        AdvisoryFinding(message_id, pos, gemeente, f.rule, f.retourcode, f.location)
        for pos, f in enumerate(findings)
    )


def routed_effects(facts: HistoryFacts, effects: HistoryEffects | None) -> HistoryEffects | None:
    """What a message routed in advisory mode adds to the history: all of it, as if clean.

    The receiver gets the whole message, so the hub's history records what it carried, not
    only the lines the rules let through: the stop that follows a start on an unknown
    toewijzing then finds its start, a 325 finds every Prestatie of its 323, and one gap in
    the history is reported once, not again by every message after it. The lines that had a
    finding are the ones `evaluate` left out; everything else in `effects` (the Identificatie,
    toewijzingen, requests, a 325's answer) it already records whatever the findings."""
    if effects is None:
        return None
    if facts.declaratie is not None:
        return replace(effects, declaratie=_whole_declaratie(facts.declaratie))
    if not facts.starts and not facts.stops:
        return effects
    # Each key's last state in the message, as `evaluate` keeps it for the lines it accepts.
    start_states = {s.key: s.status == DELETE for s in facts.starts}
    stop_states = {s.key: s.status == DELETE for s in facts.stops}
    delivered = {s.key for s in facts.starts if s.status != DELETE}
    delivered_stops = {s.key for s in facts.stops if s.status != DELETE}
    return replace(
        effects,
        new_starts=tuple(k for k, gone in start_states.items() if not gone or k in delivered),
        deleted_starts=tuple(k for k, gone in start_states.items() if gone),
        new_stops=tuple(k for k, gone in stop_states.items() if not gone or k in delivered_stops),
        deleted_stops=tuple(k for k, gone in stop_states.items() if gone),
    )


def _whole_declaratie(d: DeclaratieFacts) -> DeclaratieEffects:
    """A 323 routed whole: the declaratie and every Prestatie, pending the gemeente's 325."""
    declaratie = StoredDeclaratie(
        d.domain, d.aanbieder, d.identificatie, d.gemeente, d.dagtekening, d.xsd_versie,
        d.nummer, d.periode_begin,
    )  # fmt: skip
    return DeclaratieEffects(declaratie, tuple(_pending(d, p) for p in d.prestaties))


def _pending(d: DeclaratieFacts, p: PrestatieLine) -> StoredPrestatie:
    return StoredPrestatie(
        d.domain, d.aanbieder, p.referentie, d.gemeente, d.identificatie, p.person, p.vorig,
        p.credit, p.toewijzing, p.categorie, p.code, p.begin, p.eind, p.volume, p.eenheid,
        p.fingerprint, PENDING,
    )  # fmt: skip
