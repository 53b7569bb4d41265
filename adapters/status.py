"""What became of an upload, for its sender: `GET /v1/messages/{id}` and the Identificatie lookup.

The answer says when the hub received the message, its verdict with every finding, whom it was
routed to and whether that party has downloaded and acknowledged it, the retour it got and whether
its deadline passed, and a verzoek's answer clocks. Only the uploader and whoever reads the sending
party's inbox (the party, an intermediary it authorised) see a message; to anyone else it does
not exist (404, never 403), so an answer never tells which message ids exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final
from uuid import UUID

from fastapi import FastAPI, Query
from pydantic import BaseModel, ConfigDict, Field

from adapters import docs
from adapters.context import AdapterContext
from adapters.refusal import Refusal, refuse
from hub.domain.parties import Party
from hub.infra.store import message_status
from hub.infra.store.message_status import MessageRef, MessageStatus

MAX_MATCHES: Final = 100  # an Identificatie is unique per sender and BerichtCode: a few at most
_NOT_YOURS: dict[int | str, dict[str, Any]] = {
    404: {"model": Refusal, "description": "No message of yours with this id"},
}

_HEEN_ID = "5d0c64a2-8d0e-4a43-9a41-6f1f0e0f3b21"
_RETOUR_ID = "9a7e3b10-2c4d-4e5f-8a6b-7c8d9e0f1a2b"


class FindingOut(BaseModel):
    """One rule the message broke, as the retour names it."""

    rule: str = Field(description="The rule's code, e.g. TR019 or CS002")
    retourcode: str = Field(description="The retourcode the retour carries for it")
    level: int = Field(description="Controleniveau: 1 XSD, 2 in-message, 3 history, 4 external")
    location: str = Field(description="Where in the message: an XPath of local names")
    sentence: str = Field(description="What is wrong, in English (never personal data)")


class DeliveryOut(BaseModel):
    """One delivery to a receiving party's inbox."""

    party: str
    node: str
    delivered_at: datetime
    downloaded_at: datetime | None
    acknowledged_at: datetime | None


class MessageLink(BaseModel):
    """Another message: the retour this one got, or the heenbericht this retour answers."""

    id: UUID
    bericht_code: str | None
    identificatie: str | None
    received_at: datetime
    retourcodes: list[str]


class AnswerClockOut(BaseModel):
    """A verzoek's (315/317) answer clock for one ReferentieAanbieder."""

    referentie: str
    clock: str = Field(
        description="answer: a 301 or 319 within 5 werkdagen; final: after a 319 'in "
        "onderzoek', the final answer within 8 weeks of the Dagtekening"
    )
    due: datetime
    answered_by: UUID | None
    answered_at: datetime | None
    interim_answer: UUID | None = Field(description="The 319 'in onderzoek', if one came")
    overdue_at: datetime | None = Field(description="When the hub raised request.overdue")


class DeadLetterOut(BaseModel):
    """Why a message was set aside without a retour (unreadable, unknown, schema-invalid, or a
    retour that links to no heenbericht)."""

    stage: str
    error: str
    reason: str


_EXAMPLE: dict[str, Any] = {
    "id": _HEEN_ID,
    "received_at": "2026-03-02T09:30:00.125Z",
    "message_type": "WMO305",
    "bericht_code": "418",
    "identificatie": "START-0001",
    "submitted_by": "65656055",
    "sender": "65656055",
    "status": "rejected",
    "receiver": "0363",
    "receiver_node": "ggk",
    "findings": [
        {
            "rule": "TR019",
            "retourcode": "9019",
            "level": 3,
            "location": "/Bericht/Client/StartProducten/StartProduct[1]",
            "sentence": "No toewijzing for this product and period",
        }
    ],
    "retourcodes": ["9019"],
    "deliveries": [],
    "retour": {
        "id": _RETOUR_ID,
        "bericht_code": "419",
        "identificatie": "R0000000042",
        "received_at": "2026-03-02T09:30:00.125Z",
        "retourcodes": ["9019"],
    },
    "retour_due": None,
    "deadline_passed": False,
    "overdue_at": None,
    "answers": None,
    "answer_clocks": [],
    "dead_letter": None,
}

_ROUTED: dict[str, Any] = {
    **_EXAMPLE,
    "status": "accepted",
    "identificatie": "START-0002",
    "findings": [],
    "retourcodes": [],
    "deliveries": [
        {
            "party": "0363",
            "node": "ggk",
            "delivered_at": "2026-03-02T09:30:00.480Z",
            "downloaded_at": "2026-03-02T10:02:11.031Z",
            "acknowledged_at": "2026-03-02T10:02:11.554Z",
        }
    ],
    "retour": None,
    "retour_due": "2026-03-09T23:59:59.999999+01:00",
    "deadline_passed": False,
}


class MessageStatusOut(BaseModel):
    """One upload of yours and what became of it."""

    # The OpenAPI document leaves out null values, also in examples: every field is always
    # in the answer, null where it does not apply.
    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE, _ROUTED]})

    id: UUID
    received_at: datetime = Field(description="When the adapter took the upload")
    message_type: str | None = Field(description="e.g. WMO305; none for an unknown message")
    bericht_code: str | None
    identificatie: str | None
    submitted_by: str = Field(description="The uploading party (an intermediary's own code)")
    sender: str | None = Field(description="The sending party (Afzender; a retour's Ontvanger)")
    status: str = Field(
        description="The verdict: received (not decided yet), accepted (routed to the "
        "receiver), rejected (answered with a retour naming the findings), dead-lettered (set "
        "aside without a retour: see dead_letter), parked (held by a release freeze)"
    )
    receiver: str | None = Field(description="Whom it goes to")
    receiver_node: str | None
    findings: list[FindingOut] = Field(description="Every finding, in the order found")
    retourcodes: list[str] = Field(description="A rejected message's codes; a retour's own")
    deliveries: list[DeliveryOut] = Field(
        description="Delivered to the receiver's inbox, downloaded and acknowledged, and when"
    )
    retour: MessageLink | None = Field(
        description="The retour it got (the hub's or the receiver's)"
    )
    retour_due: datetime | None = Field(description="A routed heenbericht's retour deadline")
    deadline_passed: bool = Field(
        description="The retour deadline passed without a retour, or the retour came after it"
    )
    overdue_at: datetime | None = Field(description="When the hub raised message.overdue")
    answers: MessageLink | None = Field(description="A retour of yours: the heenbericht it answers")
    answer_clocks: list[AnswerClockOut] = Field(
        description="A verzoek (315/317): the gemeente's answer clock per ReferentieAanbieder"
    )
    dead_letter: DeadLetterOut | None


def install(app: FastAPI, ctx: AdapterContext) -> None:
    """Add the status routes to the adapter's app; each hands its work to a function below."""

    @app.get(
        "/v1/messages/{message_id}",
        response_model=MessageStatusOut,
        responses={**docs.REFUSALS, **_NOT_YOURS},
    )
    async def message_status_by_id(
        message_id: UUID, caller: Party = ctx.authenticated
    ) -> MessageStatusOut:
        """What became of one upload of yours (or of a party you upload for). Right after the
        upload it is `received` until the core has decided it (a moment, while the broker is
        up). A message that is not yours is simply not found."""
        return await by_id(ctx, caller, message_id)

    @app.get("/v1/messages", response_model=list[MessageStatusOut], responses=docs.REFUSALS)
    async def message_status_by_identificatie(
        identificatie: Annotated[str, Query(min_length=1, max_length=100)],
        berichtcode: Annotated[str, Query(min_length=1, max_length=10)],
        caller: Party = ctx.authenticated,
    ) -> list[MessageStatusOut]:
        """Your uploads with this Header Identificatie and BerichtCode, oldest first (several
        when one was sent again); an empty list when you have none."""
        return await by_identificatie(ctx, caller, berichtcode, identificatie)

    _ = (message_status_by_id, message_status_by_identificatie)  # registered by the decorators


async def by_id(ctx: AdapterContext, caller: Party, message_id: UUID) -> MessageStatusOut:
    found = await message_status.of_message(
        ctx.runtime.pool, message_id, caller.code, caller.inbox_parties
    )
    if found is None:
        refuse(404, "not_found", "not_your_message", "no message of yours with this id")
    return _out(found)


async def by_identificatie(
    ctx: AdapterContext, caller: Party, bericht_code: str, identificatie: str
) -> list[MessageStatusOut]:
    found = await message_status.by_identificatie(
        ctx.runtime.pool,
        bericht_code,
        identificatie,
        caller.code,
        caller.inbox_parties,
        sorted(caller.may_submit_for),
        MAX_MATCHES,
    )
    return [_out(s) for s in found]


def _out(s: MessageStatus) -> MessageStatusOut:
    return MessageStatusOut(
        id=s.id,
        received_at=s.received_at,
        message_type=s.message_type,
        bericht_code=s.bericht_code,
        identificatie=s.identificatie,
        submitted_by=s.submitted_by,
        sender=s.sender,
        status=s.status,
        receiver=s.receiver,
        receiver_node=s.receiver_node,
        findings=[
            FindingOut(
                rule=f.rule,
                retourcode=f.retourcode,
                level=f.level.controleniveau,
                location=f.location,
                sentence=f.sentence,
            )
            for f in s.findings
        ],
        retourcodes=list(s.retourcodes),
        deliveries=[
            DeliveryOut(
                party=d.party,
                node=d.node,
                delivered_at=d.available_at,
                downloaded_at=d.downloaded_at,
                acknowledged_at=d.acked_at,
            )
            for d in s.deliveries
        ],
        retour=_link(s.retour),
        retour_due=s.retour_due,
        deadline_passed=s.deadline_passed,
        overdue_at=s.overdue_at,
        answers=_link(s.answers),
        answer_clocks=[
            AnswerClockOut(
                referentie=c.referentie,
                clock=c.clock,
                due=c.due,
                answered_by=c.answer_id,
                answered_at=c.answered_at,
                interim_answer=c.interim_id,
                overdue_at=c.overdue_at,
            )
            for c in s.clocks
        ],
        dead_letter=None
        if s.dead_letter is None
        else DeadLetterOut(
            stage=s.dead_letter.stage, error=s.dead_letter.error, reason=s.dead_letter.reason
        ),
    )


def _link(ref: MessageRef | None) -> MessageLink | None:
    if ref is None:
        return None
    return MessageLink(
        id=ref.id,
        bericht_code=ref.bericht_code,
        identificatie=ref.identificatie,
        received_at=ref.received_at,
        retourcodes=list(ref.retourcodes),
    )
