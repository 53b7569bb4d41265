"""History rules of the toewijzing (301) and request flows (315, 317, 319): pure checks
against the current toewijzingen and the request state (rules.md §2.2, §2.4).

Each check reads the state as it was before the message (the lines of one request are one
request) and returns its findings with what the message adds when accepted. Findings sit on
the class that holds the error, so the retour (302/316/318/320) copies the client and codes
that class.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Final, cast

from hub.findings import Finding
from hub.history_facts import HistoryFacts, Scope, ToewijzingLine
from hub.history_request_facts import TeWijzigenLine, VerzoekFacts
from hub.history_rule import HistoryRule
from hub.history_state import (
    AFGEWEZEN,
    HONOURED,
    ONDERZOEK,
    Answer,
    HistoryState,
    Request,
    RequestKey,
)
from hub.messages import Standard
from hub.rules import overlap
from hub.rules.base import names

__all__ = [
    "REQUEST_RULES",
    "RequestOutcome",
    "check_aanvraag",
    "check_antwoord",
    "check_toewijzingen",
    "check_verzoek",
]

TR332: Final = HistoryRule(
    "TR332", "9332", "Een ToewijzingNummer hoort bij een toegewezen product", names(301)
)
TR379: Final = HistoryRule(
    "TR379",
    "9379",
    "ReferentieAanbieder alleen gevuld bij het honoreren van een openstaand verzoek",
    names(301),
)
TR347: Final = HistoryRule(
    "TR347",
    "9347",
    "ReferentieAanbieder moet uniek zijn per aanbieder in het domein",
    names(315, 317),
)
TR374: Final = HistoryRule(
    "TR374",
    "9374",
    "Geen nieuw verzoek zolang een eerder verzoek voor de client openstaat",
    names(315, 317),
)
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
TR355: Final = HistoryRule(
    "TR355",
    "9355",
    "ReferentieAanbieder van het antwoord komt uit een eerder verzoek",
    names(319),
)
TR359: Final = HistoryRule(
    "TR359", "9359", "Geen antwoordbericht op een gehonoreerd verzoek", names(319)
)
TR360: Final = HistoryRule(
    "TR360", "9360", "VerzoekAntwoord 2 alleen als eerste antwoord", names(319)
)
TR365: Final = HistoryRule(
    "TR365", "9365", "Een eerder antwoordbericht moet VerzoekAntwoord 2 hebben", names(319)
)

# In the order a message's findings are reported.
REQUEST_RULES: Final[tuple[HistoryRule, ...]] = (
    TR332,
    TR379,
    TR347,
    TR374,
    TR304,
    TR349,
    TR350,
    TR351,
    TR357,
    TR361,
    TR373,
    TR375,
    TR411,
    TR412,
    TR355,
    TR359,
    TR360,
    TR365,
)

# Aspecific and generic toewijzingen carry no volume from 2021 on (CD080, TR375, TR412).
_NO_VOLUME_AFTER: Final = date(2020, 12, 31)
_TOTAL: Final = "6"  # Frequentie: totaal binnen geldigheidsduur toewijzing
_IN_ONDERZOEK: Final = "2"  # VerzoekAntwoord


RequestOutcome = tuple[
    list[Finding], tuple[tuple[RequestKey, Request], ...], tuple[tuple[RequestKey, Answer], ...]
]


def check_toewijzingen(
    facts: HistoryFacts, scope: Scope, state: HistoryState
) -> tuple[list[Finding], tuple[tuple[RequestKey, Answer], ...]]:
    """TR332 and TR379 on the ToegewezenProducten of a 301, and the requests it honours."""
    findings: list[Finding] = []
    honoured: dict[RequestKey, Answer] = {}
    domain = facts.domain
    for line in facts.toewijzingen:
        # The number's other owners in the gemeente and domain. Reading: a deleted
        # toewijzing (rules.md §0) no longer names a product, so its number does not block;
        # rows of unknown domain (stored before 0012) do not either. Neither refuses a
        # valid message. The same client with another product is not settled (READING 9):
        # not refused.
        taken = [
            o
            for o in state.named(domain, scope.gemeente, line.nummer)
            if o.domain == domain
            and (o.scope.aanbieder, o.scope.person) != (scope.aanbieder, scope.person)
            and not o.line.deleted
        ]
        if taken:
            findings.append(
                TR332.finding(
                    f"{line.location}/ToewijzingNummer",
                    f"ToewijzingNummer {line.nummer} already names a toewijzing of another"
                    " client or aanbieder in this gemeente",
                )
            )
        if not line.referentie:
            continue
        key = RequestKey(domain, scope.aanbieder, line.referentie)
        request = state.request(key)
        # Checked against the state before the message: a 317 is honoured by every
        # ToegewezenProduct of one answer, so several lines may carry one reference.
        if request is None or request.person != scope.person:
            findings.append(
                TR379.finding(
                    f"{line.location}/ReferentieAanbieder",
                    "ReferentieAanbieder matches no 315 or 317 of this aanbieder for this client",
                )
            )
        elif request.honoured:
            findings.append(
                TR379.finding(
                    f"{line.location}/ReferentieAanbieder",
                    "ReferentieAanbieder was already honoured by an earlier 301; it is"
                    " filled only the first time",
                )
            )
        else:
            honoured[key] = HONOURED
    return findings, tuple(honoured.items())


def _request_checks(
    facts: HistoryFacts, scope: Scope, state: HistoryState, at: str, refs: list[tuple[str, str]]
) -> Iterator[Finding]:
    """TR347 on each (location, ReferentieAanbieder) and TR374 on the request as a whole."""
    for location, ref in refs:
        if state.request(RequestKey(facts.domain, scope.aanbieder, ref)) is not None:
            yield TR347.finding(
                f"{location}/ReferentieAanbieder",
                "this ReferentieAanbieder was already used in an earlier 315 or 317 of this"
                " aanbieder",
            )
    if state.open_requests(facts.domain, scope):
        yield TR374.finding(
            at,
            "an earlier 315 or 317 of this aanbieder for this client is still open (no 301"
            " honoured it and no 319 refused it)",
        )


def _requests(
    facts: HistoryFacts, scope: Scope, refs: list[str]
) -> tuple[tuple[RequestKey, Request], ...]:
    return tuple(
        (
            RequestKey(facts.domain, scope.aanbieder, ref),
            Request(scope.gemeente, scope.person, facts.berichtsoort),
        )
        for ref in dict.fromkeys(refs)
    )


def check_aanvraag(facts: HistoryFacts, scope: Scope, state: HistoryState) -> RequestOutcome:
    """TR347 and TR374 on a 315; each AangevraagdProduct is a request of its own."""
    refs = [(a.location, a.referentie) for a in facts.aanvragen]
    found = list(_request_checks(facts, scope, state, "/Bericht/Client", refs))
    return found, _requests(facts, scope, [r for _, r in refs]), ()


def check_verzoek(facts: HistoryFacts, scope: Scope, state: HistoryState) -> RequestOutcome:
    """TR347, TR374 and the toewijzing rules on a 317 (verzoek om wijziging)."""
    verzoek = facts.verzoek
    if verzoek is None:
        return [], (), ()
    refs = [(verzoek.location, verzoek.referentie)]
    findings = list(_request_checks(facts, scope, state, verzoek.location, refs))
    if facts.dagtekening is not None:
        findings.extend(_check_products(facts, verzoek, scope, state, facts.dagtekening))
    return findings, _requests(facts, scope, [verzoek.referentie]), ()


def _own(
    facts: HistoryFacts, scope: Scope, state: HistoryState, nummer: str
) -> ToewijzingLine | None:
    """The current version of the client's toewijzing with this number at this aanbieder in
    the message's domain, or None."""
    for owned in state.named(facts.domain, scope.gemeente, nummer):
        if owned.scope == scope:
            return owned.line
    return None


def _check_products(
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
    # READING 9: "actual" on the 317's Dagtekening.
    missing = sorted(
        (
            n
            for n, t in state.client(scope).toewijzingen.items()
            if n not in named and t.actual_on(dag) and _own(facts, scope, state, n) is not None
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


def check_antwoord(facts: HistoryFacts, state: HistoryState) -> RequestOutcome:
    """TR355, TR359, TR360, TR365 on a 319 (antwoordbericht)."""
    antwoord, parties = facts.request_answer, facts.parties
    if antwoord is None or parties is None:
        return [], (), ()
    key = RequestKey(parties.domain, parties.aanbieder, antwoord.referentie)
    request = state.request(key)
    ref_at = f"{antwoord.location}/ReferentieAanbieder"
    if request is None:
        finding = TR355.finding(
            ref_at, "ReferentieAanbieder matches no earlier 315 or 317 of this aanbieder"
        )
        return [finding], (), ()
    findings: list[Finding] = []
    if request.honoured:
        findings.append(TR359.finding(ref_at, "a 301 already honoured this request"))
    in_onderzoek = antwoord.verzoek_antwoord == _IN_ONDERZOEK
    if in_onderzoek and request.answered_by_319:
        findings.append(
            TR360.finding(
                f"{antwoord.location}/VerzoekAntwoord",
                "VerzoekAntwoord 2 (in onderzoek) is allowed only as the first 319 on a request",
            )
        )
    if request.afgewezen:
        findings.append(
            TR365.finding(
                ref_at, "an earlier 319 on this request was final (VerzoekAntwoord 1), not 2"
            )
        )
    return findings, (), ((key, ONDERZOEK if in_onderzoek else AFGEWEZEN),)
