"""What the core decides for one message: record, route, answer with a retour, link a retour
to its heenbericht, or dead-letter. No I/O: the intake batch loads what is needed and writes
what comes out."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Final
from uuid import UUID, uuid4

from lxml import etree

from hub.domain import routing, rulebook, xmlcodec
from hub.domain.findings import Finding
from hub.domain.freeze import Calendar
from hub.domain.headers import H
from hub.domain.history import HistoryEffects
from hub.domain.messages import CATALOGUE, Direction, MessageType, node_of
from hub.domain.packs import PackRegistry
from hub.domain.records import DeadLetter, HeenRef, MessageRow, OutboxMessage
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


@dataclass(frozen=True, slots=True)
class Incoming:
    """An ingress record as the adapter produced it."""

    id: UUID
    node: str
    party: str
    received_at: datetime
    payload: bytes
    partition: int | None
    offset: int | None
    topic: str
    trace_headers: dict[str, str] = field(default_factory=dict)

    @property
    def origin(self) -> str:
        return f"{self.topic}/{self.partition}/{self.offset}"


@dataclass
class Decision:
    """Everything one message leads to, written in the batch's single transaction."""

    rows: list[MessageRow] = field(default_factory=list)
    findings: list[tuple[UUID, tuple[Finding, ...]]] = field(default_factory=list)
    outbox: list[OutboxMessage] = field(default_factory=list)
    effects: HistoryEffects | None = None
    link: tuple[UUID, UUID, datetime] | None = None
    dead_letter: DeadLetter | None = None
    events: list[EventSpec] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class EventSpec:
    """A domain event to publish; turned into JSON by the event module."""

    type: str
    message_id: UUID
    row: MessageRow
    data: dict[str, object]


@dataclass(frozen=True)
class Context:
    """What every decision needs from the running core."""

    packs: PackRegistry
    egress_topic: Callable[[str], str]  # node name → topic
    dlq_topic: str
    today: Callable[[], date]
    deadline: Callable[[datetime, MessageType], datetime | None]
    freeze: Calendar | None = None  # release freezes (hub/domain/freeze.py); None: none
    parked_topic: str = ""


def finding_refs(findings: tuple[Finding, ...]) -> list[dict[str, object]]:
    """Findings as events carry them: rule, code, level and place, never the sentence."""
    return [
        {
            "rule": f.rule,
            "retourcode": f.retourcode or None,
            "level": int(f.level.value),
            "location": f.location,
        }
        for f in findings
    ]


def base_row(item: Incoming, verdict: Verdict, person: str | None, **fields: Any) -> MessageRow:
    """The ledger row of an incoming message as read; `fields` set or override columns
    (one constructor call: dataclasses.replace costs as much again, per message)."""
    env = verdict.envelope
    mt = verdict.message_type
    columns: dict[str, Any] = dict(
        id=item.id,
        received_at=item.received_at,
        source_node=item.node,
        submitted_by=item.party,
        status="received",
        payload=item.payload,
        namespace=env.namespace if env else None,
        bericht_code=env.bericht_code if env else None,
        afzender=env.afzender if env else None,
        ontvanger=env.ontvanger if env else None,
        identificatie=env.identificatie if env else None,
        ingress_partition=item.partition,
        ingress_offset=item.offset,
        message_type=mt.name if mt else None,
        standard=mt.standard.value if mt else None,
        release=verdict.pack_message.pack.release if verdict.pack_message else None,
        direction=mt.direction.value if mt else None,
        sender=item.party,
        person_key=person,
    )
    columns.update(fields)
    return MessageRow(**columns)


def _egress(ctx: Context, row: MessageRow, payload: bytes, item: Incoming) -> OutboxMessage:
    assert row.receiver is not None
    assert row.receiver_node is not None
    headers = {
        H.MESSAGE_ID.value: str(row.id),
        H.RECEIVER.value: row.receiver,
        H.NODE.value: row.receiver_node,
        H.MESSAGE_TYPE.value: row.message_type or "",
        **item.trace_headers,
    }
    return OutboxMessage(
        ctx.egress_topic(row.receiver_node), row.receiver.encode(), payload, headers
    )


def _code(name: str) -> str:
    """A stage or error name as an event code: KeyError → key-error, at most 40 characters."""
    kebab = re.sub(r"[^a-z0-9]+", "-", re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name).lower())
    return (kebab.strip("-") or "error")[:40].rstrip("-")


def dead_letter(
    ctx: Context, item: Incoming, row: MessageRow, stage: str, error: str, reason: str
) -> Decision:
    """Keep it (ledger + dead-letter record + DLQ topic) with why, and tell integrators."""
    rejected = replace(row, status="dead-lettered")
    letter = DeadLetter(
        message_id=item.id,
        stage=stage,
        error=error,
        reason=reason,
        origin=item.origin,
        headers={
            H.MESSAGE_ID.value: str(item.id),
            H.NODE.value: item.node,
            H.PARTY.value: item.party,
            H.RECEIVED_AT.value: item.received_at.isoformat(),
        },
        payload=item.payload,
    )
    dlq = OutboxMessage(
        ctx.dlq_topic,
        item.party.encode(),
        item.payload,
        {
            **letter.headers,
            H.DLQ_STAGE.value: stage,
            H.DLQ_ERROR.value: error,
            H.DLQ_REASON.value: reason,
            H.DLQ_ORIGIN.value: item.origin,
        },
    )
    return Decision(
        rows=[rejected],
        outbox=[dlq],
        dead_letter=letter,
        events=[
            # The reason's sentence stays in the dead-letter record: events carry codes only.
            EventSpec(
                "message.rejected",
                item.id,
                rejected,
                {"stage": _code(stage), "error": _code(error), "dead_lettered": True},
            )
        ],
    )


def unusable(ctx: Context, item: Incoming, verdict: Verdict, person: str | None) -> Decision:
    """Not readable, not a known message, or not schema-valid: no retour exists for these
    (IV028: the node answers an XSD failure), so the message goes to the dead-letter queue."""
    row = base_row(item, verdict, person)
    first = verdict.findings[0] if verdict.findings else None
    decision = dead_letter(
        ctx,
        item,
        row,
        "validation",
        verdict.outcome.value,
        f"{first.rule} at {first.location}: {first.sentence}" if first else verdict.outcome.value,
    )
    decision.findings.append((item.id, verdict.findings))
    for event in decision.events:
        event.data["findings"] = finding_refs(verdict.findings)
        event.data["rules"] = sorted({f.rule for f in verdict.findings})
    return decision


def heen(
    ctx: Context,
    item: Incoming,
    verdict: Verdict,
    person: str | None,
    history_findings: tuple[Finding, ...],
    effects: HistoryEffects | None,
    retour_identificatie: Callable[[], str],
) -> Decision:
    """A heenbericht: routed to its receiver when clean, answered with a retour when not."""
    mt = verdict.message_type
    env = verdict.envelope
    assert mt is not None
    assert env is not None
    assert verdict.root is not None
    receiver = env.ontvanger or ""
    routed = {"sender": env.afzender, "receiver": receiver,
              "receiver_node": node_of(mt.receiver).value}  # fmt: skip
    findings = (*verdict.findings, *history_findings)
    if not findings:
        accepted = base_row(
            item, verdict, person, **routed,
            status="accepted", retour_due=ctx.deadline(item.received_at, mt),
        )  # fmt: skip
        return Decision(
            rows=[accepted],
            outbox=[_egress(ctx, accepted, item.payload, item)],
            effects=effects,
            events=[EventSpec("message.accepted", item.id, accepted, {})],
        )
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
        outbox=[_egress(ctx, retour_row, retour_payload, item)],
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
    and place, and not routed; its rejections then change nothing in the history."""
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
    if history_findings:
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
    return Decision(
        rows=[accepted],
        outbox=[_egress(ctx, accepted, item.payload, item)],
        link=(heen_ref.id, item.id, item.received_at),
        events=[EventSpec("retour.received", item.id, accepted, {"heen_id": str(heen_ref.id)})],
        effects=effects,
    )
