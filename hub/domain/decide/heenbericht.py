"""Deciding a heenbericht: routed to its receiver when clean, answered with a retour when not.

A rejected heenbericht gets a retour the hub builds itself, recorded, linked and routed back
to the sender in the same decision. In advisory mode (hub/domain/advisory.py) history findings
alone do not reject: the whole message is routed and its receiver answers it."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import replace
from typing import Final
from uuid import uuid4

from lxml import etree

from hub.domain import rulebook, xmlcodec
from hub.domain.advisory import routed_effects
from hub.domain.decide.advisory import advised, report
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
from hub.domain.messages import CATALOGUE, node_of
from hub.domain.records import MessageRow
from hub.domain.retour import RetourContext, build_retour
from hub.domain.validation import Verdict

# The version of the hub's in-message rule set, written as XsltVersie in retours that reject
# on those rules (IV028 wants the version of the checks that rejected the message): the
# published XSLT set the rulebook corresponds to.
RULESET_VERSION: Final = rulebook.XSLT_VERSIE


_BASE36: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def new_retour_identificatie() -> str:
    """IdentificatieRetour for a retour the hub builds: 'H' + 11 random base-36 characters
    (12 in all, the type's limit). 36^11 values make a repeat negligible without a database
    round trip per batch; the ledger keeps which retour answered which heenbericht."""
    return "H" + "".join(secrets.choice(_BASE36) for _ in range(11))


def heen(
    ctx: Context,
    item: Incoming,
    verdict: Verdict,
    person: str | None,
    history_findings: tuple[Finding, ...],
    effects: HistoryEffects | None,
    retour_identificatie: Callable[[], str],
    facts: HistoryFacts | None = None,
) -> Decision:
    """A heenbericht: routed to its receiver when clean, answered with a retour when not.

    `facts` (what the history rules read) name the gemeente whose mode is asked: in advisory
    mode a message whose only findings are history findings is routed whole, with the
    effects of all its lines, and the findings are reported instead. In enforce mode a
    message failing on some lines only is answered by the hub (a retour granting the rest)."""
    mt = verdict.message_type
    env = verdict.envelope
    assert mt is not None
    assert env is not None
    assert verdict.root is not None
    receiver = env.ontvanger or ""
    routed = {"sender": env.afzender, "receiver": receiver,
              "receiver_node": node_of(mt.receiver).value}  # fmt: skip
    reported = history_findings
    gemeente = None if verdict.findings else advised(ctx, facts, history_findings)
    if gemeente is not None:
        assert facts is not None
        effects = routed_effects(facts, effects)
        history_findings = ()
    findings = (*verdict.findings, *history_findings)
    if not findings:
        accepted = base_row(
            item, verdict, person, **routed,
            status="accepted", retour_due=ctx.deadline(item.received_at, mt),
        )  # fmt: skip
        decision = Decision(
            rows=[accepted],
            outbox=[egress(ctx, accepted, item.payload, item)],
            effects=effects,
            events=[EventSpec("message.accepted", item.id, accepted, {})],
        )
        return decision if gemeente is None else report(decision, accepted, gemeente, reported)
    row = base_row(item, verdict, person, **routed)
    decision = _answer_with_retour(ctx, item, verdict, row, findings, retour_identificatie)
    if not verdict.findings and effects is not None and effects.declaratie is not None:
        # A 323 whose declaratie stands but some Prestaties do not: the hub's 325 rejects
        # those, the others are accepted and count from now on (hub/domain/history/declaratie.py).
        decision.effects = effects
    return decision


def _answer_with_retour(
    ctx: Context,
    item: Incoming,
    verdict: Verdict,
    row: MessageRow,
    findings: tuple[Finding, ...],
    retour_identificatie: Callable[[], str],
) -> Decision:
    mt = verdict.message_type
    assert mt is not None
    assert mt.answer is not None
    assert verdict.root is not None
    retour_mt = CATALOGUE[mt.answer]
    retour_root: etree._Element = build_retour(
        verdict.root,
        findings,
        RetourContext(
            identificatie_retour=retour_identificatie(),
            dagtekening_retour=ctx.today(),
            xslt_versie=RULESET_VERSION,
        ),
        ctx.packs,
    )
    retour_payload = xmlcodec.serialize(retour_root)
    retour_env = xmlcodec.read_envelope(retour_root)
    codes = tuple(dict.fromkeys(f.retourcode for f in findings if f.retourcode))
    retour_id = uuid4()
    rejected = replace(row, status="rejected", retourcodes=codes, retour_id=retour_id)
    sender_node = node_of(mt.sender).value
    retour_row = MessageRow(
        id=retour_id,
        received_at=item.received_at,
        source_node="hub",
        submitted_by="hub",
        status="accepted",
        payload=retour_payload,
        namespace=retour_env.namespace,
        bericht_code=retour_env.bericht_code,
        afzender=retour_env.afzender,
        ontvanger=retour_env.ontvanger,
        identificatie=retour_env.identificatie_retour or retour_env.identificatie,
        message_type=retour_mt.name,
        standard=retour_mt.standard.value,
        release=row.release,
        direction=retour_mt.direction.value,
        sender=row.receiver,
        receiver=row.sender,
        receiver_node=sender_node,
        person_key=row.person_key,
        retourcodes=codes,
        answers=item.id,
        built_by_hub=True,
    )
    return Decision(
        rows=[rejected, retour_row],
        findings=[(item.id, findings)],
        outbox=[egress(ctx, retour_row, retour_payload, item)],
        link=(item.id, retour_id, item.received_at),
        events=[
            EventSpec(
                "message.rejected",
                item.id,
                rejected,
                {
                    "retourcodes": list(codes),
                    "rules": sorted({f.rule for f in findings}),
                    "findings": finding_refs(findings),
                    "retour_id": str(retour_id),
                },
            )
        ],
    )
