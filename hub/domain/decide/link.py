"""Deciding a retour or a 325: linked to its heenbericht and routed back, or dead-lettered.

It goes back to the heenbericht's sender; what answers nothing the hub routed, comes from the
wrong party or breaks a history rule is kept aside as a dead letter."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from lxml import etree

from hub.domain import routing, xmlcodec
from hub.domain.decide.advisory import advised, report
from hub.domain.decide.deadletter import dead_letter
from hub.domain.decide.decision import (
    Context,
    Decision,
    EventSpec,
    Incoming,
    base_row,
    egress,
    finding_refs,
)
from hub.domain.findings import Finding
from hub.domain.history import HistoryEffects, HistoryFacts
from hub.domain.messages import CATALOGUE, Direction, node_of
from hub.domain.packs import PackRegistry
from hub.domain.records import HeenRef
from hub.domain.validation import Verdict


def header_retourcodes(root: etree._Element | None) -> tuple[str, ...]:
    """The codes in a retour's Header/RetourCodes (what the receiver said of the message)."""
    codes = xmlcodec.child(xmlcodec.child(root, "Header"), "RetourCodes")
    if codes is None:
        return ()
    return tuple(t for c in codes if (t := xmlcodec.text_of(c)))


def heen_key(verdict: Verdict, packs: PackRegistry) -> tuple[str, str, str] | None:
    """For a retour or 325: (heen sender, heen BerichtCode, heen Identificatie)."""
    mt = verdict.message_type
    env = verdict.envelope
    if mt is None or env is None or mt.answers is None:
        return None
    heen_mt = CATALOGUE[mt.answers]
    if mt.direction is Direction.ANTWOORD:  # 325: own header, the 323 in DeclaratieIdentificatie
        sender, ident = env.ontvanger, env.declaratie_identificatie
    else:  # retour: the heen header, copied unchanged
        sender, ident = env.afzender, env.identificatie
    if not sender or not ident:
        return None
    pm = verdict.pack_message
    try:  # the pack's code: an official pack may number a message differently
        code = packs.get(heen_mt.standard, pm.pack.release, heen_mt.name).bericht_code if pm else ""
    except KeyError:
        code = heen_mt.bericht_code
    return sender, code or heen_mt.bericht_code, ident


def retour_sender(verdict: Verdict) -> str | None:
    """The party a retour or 325 comes from (on whose behalf it was uploaded)."""
    return routing.sender_of(verdict.envelope) if verdict.envelope is not None else None


def retour(
    ctx: Context,
    item: Incoming,
    verdict: Verdict,
    person: str | None,
    heen_ref: HeenRef | None,
    history_findings: tuple[Finding, ...] = (),
    effects: HistoryEffects | None = None,
    delegated: Collection[tuple[str, str]] = (),
    facts: HistoryFacts | None = None,
) -> Decision:
    """A retour (or 325) from the heenbericht's receiver: linked and routed back, or kept
    aside when it answers nothing the hub routed.

    The retour's sender is the party on whose behalf it came (a retour's header Ontvanger, a
    325's Afzender), not necessarily its uploader: an indiener uploads for the providers it
    may submit for (`delegated` holds the batch's allowed (uploader, sender) pairs), and its
    retour is linked and routed exactly as the sender's own would be.

    A 325 is checked against the 323 it answers (TR337, TR371, TR376, TR366, TR367, TR304,
    TR056). It gets no retour of its own, so a 325 that fails one is refused the way every
    message without a retour is: kept aside as a dead letter (stage "history") with the rule
    and place, and not routed; its rejections then change nothing in the history. In the
    gemeente's advisory mode (`facts` name it) it is linked and routed as if clean instead,
    and its findings reported (hub/domain/advisory.py)."""
    mt = verdict.message_type
    assert mt is not None
    row = base_row(item, verdict, person)
    if verdict.findings:
        first = verdict.findings[0]
        return dead_letter(
            ctx, item, row, "validation", "invalid-retour", f"{first.rule} at {first.location}"
        )
    if heen_ref is None:
        return dead_letter(
            ctx, item, row, "linking", "unknown-heenbericht",
            "no routed heenbericht with this sender, BerichtCode and Identificatie",
        )  # fmt: skip
    sender = retour_sender(verdict)
    if sender is None or heen_ref.receiver != sender:
        return dead_letter(
            ctx, item, row, "linking", "wrong-party",
            "the retour does not come from the heenbericht's receiver",
        )  # fmt: skip
    if item.party != sender and (item.party, sender) not in delegated:
        return dead_letter(
            ctx, item, row, "linking", "wrong-party",
            "the uploading party may not submit for the retour's sender",
        )  # fmt: skip
    if heen_ref.retour_id is not None:
        return dead_letter(
            ctx, item, row, "linking", "already-answered",
            "the heenbericht already has its retour (one retour per heenbericht)",
        )  # fmt: skip
    gemeente = advised(ctx, facts, history_findings)
    if history_findings and gemeente is None:
        first = history_findings[0]
        decision = dead_letter(
            ctx, item, row, "history", "history-rule",
            f"{first.rule} at {first.location}: {first.sentence}",
        )  # fmt: skip
        decision.findings.append((item.id, history_findings))
        for event in decision.events:
            event.data["findings"] = finding_refs(history_findings)
            event.data["rules"] = sorted({f.rule for f in history_findings})
        return decision
    assert heen_ref.sender is not None
    accepted = replace(
        row,
        status="accepted",
        retourcodes=header_retourcodes(verdict.root),
        sender=sender,
        receiver=heen_ref.sender,
        # The node that serves the heenbericht's sender: for a notice the hub sent on a
        # gemeente's behalf that is the gemeente's node, not "hub".
        receiver_node=node_of(CATALOGUE[mt.answers].sender).value if mt.answers else "",
        answers=heen_ref.id,
    )
    decision = Decision(
        rows=[accepted],
        outbox=[egress(ctx, accepted, item.payload, item)],
        link=(heen_ref.id, item.id, item.received_at),
        events=[EventSpec("retour.received", item.id, accepted, {"heen_id": str(heen_ref.id)})],
        effects=effects,
    )
    return decision if gemeente is None else report(decision, accepted, gemeente, history_findings)
