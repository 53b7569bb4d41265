"""History rules of the toewijzing (301) and request flows (315, 317, 319): pure checks
against the current toewijzingen and the request state (rules.md §2.2, §2.4).

Each check reads the state as it was before the message (the lines of one request are one
request) and returns its findings with what the message adds when accepted. Findings sit on
the class that holds the error, so the retour (302/316/318/320) copies the client and codes
that class.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from hub.domain.findings import Finding
from hub.domain.history.facts import HistoryFacts, Scope
from hub.domain.history.rule import HistoryRule
from hub.domain.history.state import (
    AFGEWEZEN,
    HONOURED,
    ONDERZOEK,
    Answer,
    HistoryState,
    Request,
    RequestKey,
)
from hub.domain.history.verzoek import (
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
    check_products,
)
from hub.domain.rules.base import names

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
        findings.extend(check_products(facts, verzoek, scope, state, facts.dagtekening))
    return findings, _requests(facts, scope, [verzoek.referentie]), ()


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
