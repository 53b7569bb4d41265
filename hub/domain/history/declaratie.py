"""History checks of the declaratie (323), and the declaratie rules' glue to the history engine.

Pure checks against DeclaratieState (hub.domain.history.declaratie_state) and the current
version of each toewijzing, read through a lookup by (gemeente, aanbieder, domain,
ToewijzingNummer). Findings sit on the Prestatie, so the 325 lists the rejected Prestatie with
its code; TR333, TR318 and TR056 sit on the Declaratie or Header and refuse the declaratie as a
whole. The rules are in hub.domain.history.declaratie_rules, the 325 and TR385 in
hub.domain.history.declaratie_antwoord.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Final, Protocol

from hub.domain.findings import Finding
from hub.domain.history.declaratie_antwoord import check_toewijzing_delete, evaluate_antwoord
from hub.domain.history.declaratie_facts import DeclaratieFacts, PrestatieLine
from hub.domain.history.declaratie_rules import (
    DELETED,
    EURO,
    TR304,
    TR307,
    TR308,
    TR314,
    TR318,
    TR319,
    TR321,
    TR322,
    TR323,
    TR333,
    TR338,
    TR339,
    TR340,
    TR341,
    TR369,
    TR384,
    TR387,
    TR388,
    TR389,
    TR390,
)
from hub.domain.history.declaratie_state import (
    APPROVED,
    PENDING,
    DeclaratieEffects,
    DeclaratieState,
    Overlay,
    StoredDeclaratie,
    StoredPrestatie,
)
from hub.domain.history.declaratie_volume import (
    HOUR,
    MINUTE,
    period_allowance,
    term_maximum,
    volume_in,
)
from hub.domain.history.facts import HistoryFacts
from hub.domain.history.request_facts import Omvang
from hub.domain.history.state import HistoryState, OwnedToewijzing

__all__ = [
    "ToewijzingLookup",
    "ToewijzingView",
    "check_declaratie",
    "check_toewijzing_deletes",
    "evaluate_declaratie",
]

_CENTS_PER_EURO: Final = 100  # GeleverdVolume in Eenheid 83 (euro) is in cents (TR369)


class ToewijzingView(Protocol):
    """The current version of a toewijzing, as the rules read it."""

    @property
    def person(self) -> str: ...
    @property
    def categorie(self) -> str: ...
    @property
    def code(self) -> str: ...
    @property
    def ingangsdatum(self) -> date: ...
    @property
    def einddatum(self) -> date | None: ...
    @property
    def omvang(self) -> Omvang | None: ...
    @property
    def budget(self) -> int | None: ...
    @property
    def reden_wijziging(self) -> str: ...


# (gemeente, aanbieder, domain, ToewijzingNummer, person_key of the Prestatie's client) ->
# the current version, or None. A number may name several (TR332 frees a deleted
# toewijzing's number for another client): the client's own is preferred.
ToewijzingLookup = Callable[[str, str, str, str, str], ToewijzingView | None]


def _last_day(day: date) -> date:
    # monthrange, not "first of next month - 1 day": December 9999 has no next month.
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def evaluate_declaratie(
    facts: DeclaratieFacts,
    state: DeclaratieState,
    toewijzing: ToewijzingLookup,
    *,
    refused: bool = False,
) -> tuple[list[Finding], DeclaratieEffects | None]:
    """The findings on a 323 and, unless it is refused as a whole, what it adds: the
    declaratie and its accepted Prestaties (approved at once when the hub answers it with
    rejections, pending the gemeente's 325 otherwise). `refused`: another rule (TR056)
    already refuses the whole message."""
    findings: list[Finding] = []
    d, a, g = facts.domain, facts.aanbieder, facts.gemeente
    if state.nummer_used(d, a, facts.nummer):
        findings.append(
            TR333.finding(facts.nummer_location, "this DeclaratieNummer was used before")
        )
    last = state.last_periode(d, a, g)
    if last is not None and facts.periode_begin <= last:
        findings.append(
            TR318.finding(
                facts.periode_location,
                f"DeclaratiePeriode starting {facts.periode_begin.isoformat()} is not after the"
                f" last accepted declaratie's period starting {last.isoformat()}",
            )
        )
    if findings or refused:
        return findings, None  # the whole declaratie is refused (IV087); nothing counts
    accepted: list[PrestatieLine] = []
    seen = Overlay(state)
    for line in facts.prestaties:
        found = list(_check_prestatie(line, facts, seen, toewijzing))
        findings.extend(found)
        if not found:
            accepted.append(line)
            seen.add(_stored(line, facts, PENDING))
    if not accepted:
        # Every Prestatie rejected: TotaalToegekendBedrag 0, as good as refused. Reading: it
        # claims neither its DeclaratieNummer nor its month (TR333, TR318), so the corrected
        # declaratie the aanbieder sends next is not refused for it.
        return findings, None
    # With rejections the hub answers the 323 itself (its own 325): the rest is approved.
    status = APPROVED if findings else PENDING
    declaratie = StoredDeclaratie(
        d, a, facts.identificatie, g, facts.dagtekening, facts.xsd_versie, facts.nummer,
        facts.periode_begin,
    )  # fmt: skip
    prestaties = tuple(_stored(p, facts, status) for p in accepted)
    return findings, DeclaratieEffects(declaratie, prestaties)


def _stored(line: PrestatieLine, facts: DeclaratieFacts, status: str) -> StoredPrestatie:
    return StoredPrestatie(
        facts.domain, facts.aanbieder, line.referentie, facts.gemeente, facts.identificatie,
        line.person, line.vorig, line.credit, line.toewijzing, line.categorie, line.code,
        line.begin, line.eind, line.volume, line.eenheid, line.fingerprint, status,
    )  # fmt: skip


def _check_prestatie(
    line: PrestatieLine, facts: DeclaratieFacts, seen: Overlay, lookup: ToewijzingLookup
) -> Iterator[Finding]:
    at = line.location
    d, a = facts.domain, facts.aanbieder
    if seen.prestatie(d, a, line.referentie) is not None:
        yield TR314.finding(at, "this ReferentieNummer was used before by this aanbieder")
    if line.eind > facts.periode_eind:
        yield TR319.finding(at, "ProductPeriode ends after the DeclaratiePeriode")
    t = lookup(facts.gemeente, a, d, line.toewijzing, line.person) if line.toewijzing else None
    if t is None:
        yield TR338.finding(at, "ToewijzingNummer matches no toewijzing of this gemeente")
    elif t.person != line.person:
        yield TR304.finding(at, "the toewijzing belongs to another client")
        t = None
    if line.credit:
        yield from _check_credit(line, d, a, seen)
        return  # a credit repeats its debet: the debet's checks were made when it came in
    if t is None:
        return
    if t.reden_wijziging == DELETED:
        yield TR384.finding(at, "the toewijzing was deleted (RedenWijziging 13)")
        return
    yield from _check_against(line, t)
    yield from _check_debet(line, facts, seen, t)


def _check_credit(line: PrestatieLine, d: str, a: str, seen: Overlay) -> Iterator[Finding]:
    debet = seen.prestatie(d, a, line.vorig)
    if debet is None or debet.credit:
        yield TR323.finding(
            line.location, "VorigReferentieNummer names no earlier accepted debet Prestatie"
        )
    elif seen.credited(debet):
        yield TR390.finding(line.location, "the debet Prestatie was already credited")


def _check_against(line: PrestatieLine, t: ToewijzingView) -> Iterator[Finding]:
    at = line.location
    if line.begin < t.ingangsdatum:
        yield TR307.finding(
            at,
            "ProductPeriode begins before the toewijzing's Ingangsdatum"
            f" {t.ingangsdatum.isoformat()}",
        )
    if t.einddatum is not None and line.eind > t.einddatum:
        yield TR308.finding(
            at, f"ProductPeriode ends after the toewijzing's Einddatum {t.einddatum.isoformat()}"
        )
    if t.categorie and line.categorie != t.categorie:
        yield TR339.finding(at, "ProductCategorie differs from the toewijzing's Categorie")
    if t.code and line.code != t.code:
        yield TR340.finding(at, "ProductCode differs from the toewijzing's Code")
    # Aspecific (no Code) and generic (no Product) toewijzingen: the unit follows the
    # contract, which the hub does not know, so TR341 says nothing.
    unit = t.omvang.eenheid if t.omvang is not None else None
    # IV081: an hourly toewijzing may be declared in minutes.
    if t.code and unit is not None and line.eenheid not in (unit, MINUTE if unit == HOUR else unit):
        yield TR341.finding(at, "Eenheid differs from the toewijzing's Omvang/Eenheid")
    begin_ok = line.begin.day == 1 or (
        line.begin == t.ingangsdatum
        and (line.begin.year, line.begin.month) == (t.ingangsdatum.year, t.ingangsdatum.month)
    )
    if not begin_ok:
        yield TR387.finding(
            at,
            "ProductPeriode/Begindatum is neither the first day of its month"
            " nor the toewijzing's Ingangsdatum",
        )
    end_ok = line.eind == _last_day(line.eind) or line.eind == t.einddatum
    if not end_ok:
        yield TR388.finding(
            at,
            "ProductPeriode/Einddatum is neither the last day of its month"
            " nor the toewijzing's Einddatum",
        )


def _check_debet(
    line: PrestatieLine, facts: DeclaratieFacts, seen: Overlay, t: ToewijzingView
) -> Iterator[Finding]:
    at = line.location
    key = (facts.domain, facts.gemeente, facts.aanbieder, line.toewijzing)
    # The debets of this client only: a debet of another client on the same number was
    # declared on another toewijzing (a deleted one whose number was given anew, TR332).
    open_debets = [p for p in seen.open_debets(key) if p.person == line.person]
    if any(
        (p.categorie, p.code, p.begin, p.eind) == (line.categorie, line.code, line.begin, line.eind)
        for p in open_debets
    ):
        yield TR389.finding(
            at, "an earlier debet for this toewijzing, product and period is not credited"
        )
    if t.omvang is not None:
        yield from _check_volume(line, facts, open_debets, t, t.omvang)
    if t.budget is not None and line.eenheid == EURO:
        total = line.volume + sum(p.volume for p in open_debets if p.eenheid == EURO)
        # GeleverdVolume in Eenheid 83 is in euro cents (CS339), but the facts give no unit for
        # Budget (LDT_Budget is a bare integer). Read as cents, a valid declaration against a
        # budget in whole euros would be refused; so refuse only what exceeds the budget in both
        # readings (total cents > Budget × 100). A certain, if weaker, check (docs/rules.md).
        if total > t.budget * _CENTS_PER_EURO:
            yield TR369.finding(
                at, "the uncredited Prestaties on this toewijzing exceed its Budget"
            )


def _check_volume(
    line: PrestatieLine,
    facts: DeclaratieFacts,
    open_debets: list[StoredPrestatie],
    t: ToewijzingView,
    omvang: Omvang,
) -> Iterator[Finding]:
    volume = volume_in(omvang, line.volume, line.eenheid)
    if volume is None:
        return  # another unit: TR341 speaks (or the contract decides)
    term = (t.ingangsdatum, t.einddatum)
    allowed = period_allowance(
        omvang, line.begin, line.eind, term,
        wmo_huishoudelijk=facts.domain == "iwmo" and t.categorie == "01",
    )  # fmt: skip
    if allowed is not None and volume > allowed:
        yield TR321.finding(
            line.location, "GeleverdVolume exceeds what the Omvang allows in this ProductPeriode"
        )
    maximum = term_maximum(omvang, term)
    if maximum is None:
        return
    earlier = [volume_in(omvang, p.volume, p.eenheid) for p in open_debets]
    if volume + sum(v for v in earlier if v is not None) > maximum:
        yield TR322.finding(
            line.location,
            "the uncredited Prestaties on this toewijzing exceed its Omvang over the whole term",
        )


# --- glue to the history engine (hub.domain.history) -----------------------------------------


@dataclass(frozen=True, slots=True)
class _View:
    """A stored toewijzing (hub/history_state.OwnedToewijzing) as ToewijzingView."""

    owned: OwnedToewijzing

    @property
    def person(self) -> str:
        return self.owned.scope.person

    @property
    def categorie(self) -> str:
        return self.owned.line.categorie

    @property
    def code(self) -> str:
        return self.owned.line.code

    @property
    def ingangsdatum(self) -> date:
        return self.owned.line.ingangsdatum

    @property
    def einddatum(self) -> date | None:
        return self.owned.line.einddatum

    @property
    def omvang(self) -> Omvang | None:
        return self.owned.line.omvang

    @property
    def budget(self) -> int | None:
        return self.owned.line.budget

    @property
    def reden_wijziging(self) -> str:
        return self.owned.line.reden_wijziging


def check_declaratie(
    facts: HistoryFacts, state: HistoryState, *, refused: bool
) -> tuple[list[Finding], DeclaratieEffects | None]:
    """The 323/325 rules on one message; `refused`: it is already refused as a whole."""

    def lookup(
        gemeente: str, aanbieder: str, domain: str, nummer: str, person: str
    ) -> ToewijzingView | None:
        owned = state.toewijzing(domain, gemeente, aanbieder, nummer, person)
        return None if owned is None else _View(owned)

    if facts.declaratie is not None:
        return evaluate_declaratie(facts.declaratie, state.declaraties, lookup, refused=refused)
    if facts.declaratie_antwoord is not None:
        return evaluate_antwoord(facts.declaratie_antwoord, state.declaraties)
    return [], None


def check_toewijzing_deletes(facts: HistoryFacts, state: HistoryState) -> list[Finding]:
    """TR385 on the ToegewezenProducten of a 301 with RedenWijziging 13."""
    parties, scope = facts.parties, facts.scope
    if parties is None or scope is None:
        return []
    found = (
        check_toewijzing_delete(
            t.location,
            parties.domain,
            parties.gemeente,
            parties.aanbieder,
            t.nummer,
            scope.person,
            state.declaraties,
        )
        for t in facts.toewijzingen
        if t.reden_wijziging == DELETED
    )
    return [f for f in found if f is not None]
