"""History rules of a 317 (verzoek om wijziging) on the toewijzingen it names (rules.md §2.4):
TR304, TR349-TR351, TR357, TR361, TR373, TR375, TR411, TR412.

The current version of each toewijzing is read from the state by number; "actual" is valid on
or after the 317's Dagtekening (READING 9). Findings sit on the product line (Ongewijzigd,
TeWijzigen, Nieuw) or on the Verzoek, the classes of the 318.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Final, cast

from hub.domain.findings import Finding
from hub.domain.history.facts import HistoryFacts, Scope, ToewijzingLine
from hub.domain.history.request_facts import TeWijzigenLine, VerzoekFacts
from hub.domain.history.rule import HistoryRule
from hub.domain.history.state import HistoryState
from hub.domain.messages import Standard
from hub.domain.rules import overlap
from hub.domain.rules.base import names

__all__ = [
    "TR304",
    "TR349",
    "TR350",
    "TR351",
    "TR357",
    "TR361",
    "TR373",
    "TR375",
    "TR411",
    "TR412",
    "check_products",
]

TR304: Final = HistoryRule(
    "TR304", "8187", "De toewijzing hoort bij de client van het verzoek", names(317)
)
TR349: Final = HistoryRule(
    "TR349",
    "9349",
    "Iedere actuele toewijzing staat in het verzoek om wijziging",
    names(317),
)
TR350: Final = HistoryRule(
    "TR350", "9350", "OngewijzigdProduct moet een actuele toewijzing zijn", names(317)
)
TR351: Final = HistoryRule(
    "TR351", "9351", "TeWijzigenProduct moet een actuele toewijzing zijn", names(317)
)
TR357: Final = HistoryRule(
    "TR357",
    "9357",
    "GewensteIngangsdatum niet in de toekomst is gelijk aan de Ingangsdatum van de toewijzing",
    names(317),
)
TR361: Final = HistoryRule(
    "TR361", "9361", "Producten in het verzoek mogen elkaar niet overlappen", names(317)
)
TR373: Final = HistoryRule(
    "TR373",
    "9373",
    "Een wijziging van budget of totaal geldt vanaf de Ingangsdatum van de toewijzing",
    names(317),
)
TR375: Final = HistoryRule(
    "TR375",
    "9375",
    "Geen Omvang bij een generieke toewijzing (vanaf 2021)",
    names(317),
)
TR411: Final = HistoryRule(
    "TR411",
    "9411",
    "Omvang gevuld bij een toewijzing met ProductCode",
    names(317),
)
TR412: Final = HistoryRule(
    "TR412",
    "9412",
    "Geen Omvang bij een toewijzing zonder ProductCode (vanaf 2021)",
    names(317),
)
# Aspecific and generic toewijzingen carry no volume from 2021 on (CD080, TR375, TR412).
_NO_VOLUME_AFTER: Final = date(2020, 12, 31)
_TOTAL: Final = "6"  # Frequentie: totaal binnen geldigheidsduur toewijzing


def _own(
    facts: HistoryFacts, scope: Scope, state: HistoryState, nummer: str
) -> ToewijzingLine | None:
    """The current version of the client's toewijzing with this number at this aanbieder in
    the message's domain, or None."""
    for owned in state.named(facts.domain, scope.gemeente, nummer):
        if owned.scope == scope:
            return owned.line
    return None


def check_products(
    facts: HistoryFacts, verzoek: VerzoekFacts, scope: Scope, state: HistoryState, dag: date
) -> Iterator[Finding]:
    named: set[str] = set()
    periods: list[overlap.Line] = []
    for line in verzoek.ongewijzigd:
        named.add(line.nummer)
        t = _own(facts, scope, state, line.nummer)
        if t is None or not t.actual_on(dag):
            yield from _not_actual(facts, scope, state, line.location, line.nummer, TR350)
            continue
        periods.append(_product(t, t.ingangsdatum, t.einddatum, (line.location, False)))
    for change in verzoek.te_wijzigen:
        named.add(change.nummer)
        t = _own(facts, scope, state, change.nummer)
        if t is None or not t.actual_on(dag):
            yield from _not_actual(facts, scope, state, change.location, change.nummer, TR351)
            continue
        yield from _check_change(change, t, dag)
        # An absent Einddatum is read as "unchanged" (the toewijzing's own end), not as open:
        # the reading that overlaps less, so it refuses no valid request.
        end = change.einddatum if change.einddatum is not None else t.einddatum
        periods.append(_product(t, change.gewenste_ingang, end, (change.location, True)))
    for new in verzoek.nieuw:
        periods.append(
            overlap.Line(
                new.categorie or None,
                new.code or None,
                new.gewenste_ingang,
                new.einddatum,
                (new.location, True),
            )
        )
    # READING 9: "actual" on the 317's Dagtekening. Judged on the toewijzing of the 317's
    # domain (`_own`): the client's map is keyed by number alone, and an iJw toewijzing with
    # the same number must not make an ended iWmo one count as actual.
    missing = sorted(
        (
            n
            for n in state.client(scope).toewijzingen
            if n not in named
            and (own := _own(facts, scope, state, n)) is not None
            and own.actual_on(dag)
        ),
        key=lambda n: (len(n), n),
    )
    if missing:
        yield TR349.finding(
            verzoek.location,
            f"actual toewijzing(en) {', '.join(missing)} of this client appear neither as"
            " OngewijzigdProduct nor as TeWijzigenProduct",
        )
    standard = Standard.IJW if facts.domain == Standard.IJW.value else Standard.IWMO
    for earlier, later in overlap.clashes(periods, standard):
        at, changed = cast("tuple[str, bool]", later.ref)
        other = cast("tuple[str, bool]", earlier.ref)[0]
        # Reading: two unchanged toewijzingen that overlap are the gemeente's doing (TR302 is
        # per 301), not the request's: only a line the request changes or adds is refused.
        # Ongewijzigd lines come first, so such a line only ever meets earlier unchanged ones.
        if changed:
            yield TR361.finding(
                at, f"this product overlaps the product at {other} in period and product"
            )


def _product(
    t: ToewijzingLine, begin: date, end: date | None, ref: tuple[str, bool]
) -> overlap.Line:
    """A line for the overlap check; `ref` is (location, whether the request changes it)."""
    return overlap.Line(t.categorie or None, t.code or None, begin, end, ref)


def _not_actual(
    facts: HistoryFacts,
    scope: Scope,
    state: HistoryState,
    location: str,
    nummer: str,
    rule: HistoryRule,
) -> Iterator[Finding]:
    at = f"{location}/ToewijzingNummer"
    others = [
        o
        for o in state.named(facts.domain, scope.gemeente, nummer)
        if o.scope.aanbieder == scope.aanbieder and o.scope.person != scope.person
    ]
    if others:
        yield TR304.finding(at, f"ToewijzingNummer {nummer} is a toewijzing of another client")
    yield rule.finding(at, f"ToewijzingNummer {nummer} is no actual toewijzing of this client")


def _check_change(change: TeWijzigenLine, t: ToewijzingLine, dag: date) -> Iterator[Finding]:
    """TR357, TR373, TR375, TR411, TR412 on one TeWijzigenProduct against its toewijzing."""
    at = change.location
    begins_at_start = change.gewenste_ingang == t.ingangsdatum
    if change.gewenste_ingang <= dag and not begins_at_start:
        yield TR357.finding(
            f"{at}/GewensteIngangsdatum",
            f"GewensteIngangsdatum is not in the future, so it must equal the toewijzing's"
            f" Ingangsdatum {t.ingangsdatum.isoformat()}",
        )
    # Reading: only a Budget that differs from a known Budget "changes the budget", and only
    # an Omvang that differs from a known total (Frequentie 6) "changes the total".
    budget_changed = (
        change.budget is not None and t.budget is not None and change.budget != t.budget
    )
    total_changed = (
        t.omvang is not None
        and t.omvang.frequentie == _TOTAL
        and change.omvang is not None
        and change.omvang != t.omvang
    )
    if (budget_changed or total_changed) and not begins_at_start:
        yield TR373.finding(
            f"{at}/GewensteIngangsdatum",
            f"a change of the {'Budget' if budget_changed else 'total volume'} must start on"
            f" the toewijzing's Ingangsdatum {t.ingangsdatum.isoformat()}",
        )
    volume_free = t.einddatum is None or t.einddatum > _NO_VOLUME_AFTER
    if change.omvang is not None and volume_free and not t.categorie:
        yield TR375.finding(
            f"{at}/Omvang", "the toewijzing has no Product, so the change may carry no Omvang"
        )
    if t.code and change.omvang is None:
        yield TR411.finding(
            at, "the toewijzing has a Product/Code, so the change must carry its Omvang"
        )
    if change.omvang is not None and volume_free and not t.code:
        yield TR412.finding(
            f"{at}/Omvang",
            "the toewijzing has no Product/Code, so the change may carry no Omvang",
        )
