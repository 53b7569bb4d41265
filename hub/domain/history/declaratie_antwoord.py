"""What a 325 settles in the declaratie history: its checks, and TR385 on what it approved.

Pure checks against DeclaratieState (hub.domain.history.declaratie_state): the 325's header and
returned Prestaties against its 323 (TR337, TR371, TR376, TR366, TR304, TR367), and TR385, which
keeps a 301 from deleting a toewijzing with approved, uncredited Prestaties.
"""

from __future__ import annotations

from hub.domain.findings import Finding
from hub.domain.history.declaratie_facts import DeclaratieAntwoordFacts
from hub.domain.history.declaratie_rules import TR304, TR337, TR366, TR367, TR371, TR376, TR385
from hub.domain.history.declaratie_state import (
    APPROVED,
    DeclaratieEffects,
    DeclaratieState,
    StoredPrestatie,
)

__all__ = ["check_toewijzing_delete", "evaluate_antwoord", "open_prestaties"]


def evaluate_antwoord(
    facts: DeclaratieAntwoordFacts, state: DeclaratieState
) -> tuple[list[Finding], DeclaratieEffects]:
    """The findings on a gemeente's 325 and what it changes: the Prestaties it returns are
    rejected, the others of its 323 approved. Nothing is said when the 323 is not in the
    history (it predates it; the ledger link already refuses a 325 for an unknown 323)."""
    key = (facts.domain, facts.aanbieder, facts.declaratie_identificatie)
    effects = DeclaratieEffects(
        answered=key,
        rejected=tuple(p.referentie for p in facts.prestaties),
        refused=facts.refused,
    )
    declaratie = state.declaraties.get(key)
    if declaratie is None:
        return [], effects
    findings: list[Finding] = []
    header = "/Bericht/Header"
    if facts.declaratie_dagtekening != declaratie.dagtekening:
        findings.append(
            TR337.finding(
                f"{header}/DeclaratieIdentificatie",
                "Dagtekening differs from the 323's BerichtIdentificatie",
            )
        )
    if facts.xsd_versie_declaratie != declaratie.xsd_versie:
        findings.append(
            TR371.finding(f"{header}/XsdVersieDeclaratie", "differs from the XsdVersie of the 323")
        )
    if facts.nummer is not None and facts.nummer != declaratie.nummer:
        findings.append(
            TR376.finding(facts.nummer_location, "differs from the DeclaratieNummer of the 323")
        )
    for line in facts.prestaties:
        ours = state.prestaties.get((facts.domain, facts.aanbieder, line.referentie))
        if ours is None or ours.declaratie != declaratie.identificatie:
            findings.append(
                TR366.finding(line.location, "this ProductReferentie is not in the 323")
            )
            continue
        if ours.person != line.person:
            findings.append(
                TR304.finding(
                    line.location, "the Prestatie sits under another Client than in the 323"
                )
            )
        if ours.fingerprint != line.fingerprint:
            findings.append(
                TR367.finding(line.location, "the Prestatie's values differ from the 323")
            )
    return findings, effects


def open_prestaties(
    state: DeclaratieState, domain: str, gemeente: str, aanbieder: str, nummer: str, person: str
) -> list[StoredPrestatie]:
    """TR385: approved (the 325 came, or the hub answered), uncredited debets on a toewijzing.
    A Prestatie whose 323 is still unanswered is not known to be approved (rules.md §6.9).
    Only the client's own: another client's debet on the number was declared on an earlier,
    deleted toewijzing whose number TR332 gave anew."""
    return [
        p
        for p in state.open_debets((domain, gemeente, aanbieder, nummer))
        if p.status == APPROVED and p.person == person
    ]


def check_toewijzing_delete(
    location: str,
    domain: str,
    gemeente: str,
    aanbieder: str,
    nummer: str,
    person: str,
    state: DeclaratieState,
) -> Finding | None:
    """TR385 on one ToegewezenProduct with RedenWijziging 13."""
    if open_prestaties(state, domain, gemeente, aanbieder, nummer, person):
        return TR385.finding(
            location, "the toewijzing has approved Prestaties that were not credited"
        )
    return None
