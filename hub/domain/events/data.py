"""The field types of events and the `data` object of each event type (schema isd-hub.event/1).

Owns the patterns every event string must fit (named once: the models use them through the
annotated types below, and the hot path of hub.domain.events.wire checks the same ones), the
annotated
field types, the base configuration of every event model (frozen, unknown fields refused), and
the per-type `data` models. Their docstrings and field descriptions are the documented JSON
schema (docs/events.schema.json, the AsyncAPI document): change them only on purpose.

No personal data: no pattern lets a BSN, a name or a sentence through; a person is only ever a
keyed hash (`PersonKey`).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Final, Literal, TypeAlias
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from hub.domain.freeze import Phase
from hub.domain.messages import Node
from hub.domain.push import Reason as PushReason


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


UtcDatetime: TypeAlias = Annotated[AwareDatetime, AfterValidator(_utc)]

# The patterns, named once: the models use them, and so does the hot path (hub.domain.events.wire).
PARTY_PATTERN: Final = r"^([0-9]{4}|[0-9]{8})$"
TYPE_NAME_PATTERN: Final = r"^(WMO|JW)[0-9]{3}$"
RELEASE_PATTERN: Final = r"^[0-9]{1,2}\.[0-9]{1,2}$"
RETOURCODE_PATTERN: Final = r"^[0-9A-Z]{4}$"
RULE_ID_PATTERN: Final = r"^[A-Z][A-Za-z0-9]*(:[a-z0-9_]+)?$"
CODE_PATTERN: Final = r"^[a-z][a-z0-9-]{0,39}$"
LOCATION_PATTERN: Final = r"^(/|line [0-9]+|(/@?[A-Za-z_][A-Za-z0-9_.-]*(\[[0-9]+\])?)+)$"
PERSON_PATTERN: Final = r"^[0-9a-f]{32}$"
IDENTIFICATIE_PATTERN: Final = r"^[A-Za-z0-9]{1,12}$"
CATEGORY_PATTERN: Final = r"^[0-9]{2}$"
TOEWIJZING_NUMMER_PATTERN: Final = r"^[0-9]{1,9}$"
BERICHT_CODE_PATTERN: Final = r"^[0-9]{3}$"
PRODUCT_CODE_PATTERN: Final = r"^[0-9A-Za-z]{1,5}$"
# ReferentieAanbieder is the aanbieder's free text (LDT_Referentie, up to 36 characters): only
# a plain reference is published, never one with spaces (a name) or nine digits in a row (the
# shape of a BSN, refused by `no_bsn_shape`).
REFERENTIE_PATTERN: Final = r"^[A-Za-z0-9._/-]{1,36}$"
BSN_SHAPE: Final = re.compile(r"[0-9]{9}")


def no_bsn_shape(value: str) -> str:
    if BSN_SHAPE.search(value):
        raise ValueError("nine digits in a row: not published")
    return value


# 4-digit CBS gemeentecode or 8-digit AGB code (the CAK has one too): never 9 digits, so a
# BSN cannot pass for a party.
PartyCode: TypeAlias = Annotated[str, Field(pattern=PARTY_PATTERN)]
MessageTypeName: TypeAlias = Annotated[str, Field(pattern=TYPE_NAME_PATTERN)]
Release: TypeAlias = Annotated[str, Field(pattern=RELEASE_PATTERN)]
Retourcode: TypeAlias = Annotated[str, Field(pattern=RETOURCODE_PATTERN)]
RuleId: TypeAlias = Annotated[str, Field(pattern=RULE_ID_PATTERN)]
Code: TypeAlias = Annotated[str, Field(pattern=CODE_PATTERN)]
Location: TypeAlias = Annotated[str, Field(pattern=LOCATION_PATTERN)]
PersonKey: TypeAlias = Annotated[str, Field(pattern=PERSON_PATTERN)]
Identificatie: TypeAlias = Annotated[str, Field(pattern=IDENTIFICATIE_PATTERN)]
CategoryCode: TypeAlias = Annotated[str, Field(pattern=CATEGORY_PATTERN)]
BerichtCode: TypeAlias = Annotated[str, Field(pattern=BERICHT_CODE_PATTERN)]
Referentie: TypeAlias = Annotated[
    str, Field(pattern=REFERENTIE_PATTERN), AfterValidator(no_bsn_shape)
]


def _sorted_set(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(set(values)))


Retourcodes: TypeAlias = Annotated[tuple[Retourcode, ...], AfterValidator(_sorted_set)]
RuleIds: TypeAlias = Annotated[tuple[RuleId, ...], AfterValidator(_sorted_set)]


class EventModel(BaseModel):
    # Every event model, envelope and data: immutable, and an unknown field is refused.
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        populate_by_name=True,
        json_schema_serialization_defaults_required=True,
    )


# --- data, per event type ----------------------------------------------------------------


class AcceptedData(EventModel):
    """The hub accepted the message (valid, routed to its receiver)."""

    expects: MessageTypeName | None = Field(
        default=None, description="The answer this heenbericht expects (WMO306), if any."
    )
    deadline: UtcDatetime | None = Field(
        default=None,
        description="When that answer is due: end of the last werkdag (Europe/Amsterdam).",
    )


class FindingRef(EventModel):
    """One reason for a rejection: the rule, its retourcode and where, never the text."""

    rule: RuleId = Field(description="Rule id (CS002, TR063) or a hub check (XSD, XML:…).")
    retourcode: Retourcode | None = Field(description="iStandaarden retourcode, if any.")
    level: int = Field(ge=1, le=4, description="Controleniveau: 1 XSD, 2 in-message, 3, 4.")
    location: Location = Field(description="Element path, e.g. /Bericht/Client/Bsn.")


class RejectedData(EventModel):
    """The hub refused the message: answered with a retour, or dead-lettered."""

    retourcodes: Retourcodes = Field(
        default=(), description="Retourcodes of the retour the hub sent, sorted, unique."
    )
    rules: RuleIds = Field(default=(), description="Ids of the failed rules, sorted, unique.")
    findings: tuple[FindingRef, ...] = Field(default=(), description="Per failed check.")
    retour_id: UUID | None = Field(
        default=None, description="Message id of the retour the hub sent to the sender."
    )
    stage: Code | None = Field(default=None, description="Where it failed (validation, …).")
    error: Code | None = Field(default=None, description="Machine-readable error code.")
    dead_lettered: bool = Field(
        default=False, description="True when no retour was possible: it went to the DLQ."
    )


class DeliveredData(EventModel):
    """The message was put into the receiver's inbox at its node."""

    node: Node = Field(description="Node whose inbox received it.")
    inbox: PartyCode = Field(description="Party whose inbox it is.")


class DownloadedData(EventModel):
    """The receiver fetched the message from its inbox."""

    node: Node = Field(description="Node it was fetched from.")
    by: PartyCode = Field(description="Party that fetched it.")


class PushFailedData(EventModel):
    """Push delivery gave up on this message for the party's endpoint (HUB_PUSH_GIVE_UP_S
    passed, or the endpoint answered 410 Gone): it stays in the party's pull inbox."""

    node: Node = Field(description="Node whose adapter pushed it.")
    inbox: PartyCode = Field(description="Party whose endpoint it was pushed to.")
    attempts: int = Field(ge=0, description="Attempts made.")
    reason: PushReason = Field(description="Why the last attempt failed.")
    status: int | None = Field(
        default=None, ge=100, le=599, description="HTTP status of the last answer, if any."
    )
    queued_at: UtcDatetime = Field(description="When the push was queued (the inbox got it).")


class RetourReceivedData(EventModel):
    """A retour (or 325) arrived and was linked to its heenbericht."""

    heen_id: UUID = Field(description="Message id of the heenbericht it answers.")
    heen_message_type: MessageTypeName | None = Field(default=None, description="e.g. WMO305.")
    retourcodes: Retourcodes = Field(default=(), description="Its retourcodes, sorted, unique.")
    deadline: UtcDatetime | None = Field(default=None, description="When it was due.")
    late: bool | None = Field(default=None, description="True when it came after the deadline.")


class RetourOverdueData(EventModel):
    """The heenbericht's answer did not arrive in time (OP090: the sender must learn this).

    The envelope's message_id, message_type, sender and receiver are the heenbericht's.
    """

    expects: MessageTypeName | None = Field(default=None, description="The missing answer.")
    deadline: UtcDatetime = Field(description="When the answer was due.")
    received_at: UtcDatetime | None = Field(default=None, description="When the heen arrived.")


class RequestOverdueData(EventModel):
    """The gemeente's answer to a verzoek (315 / 317) is overdue: no 301 or 319 carrying its
    ReferentieAanbieder within 5 werkdagen of receipt (clock `answer`), or, after a 319 "in
    onderzoek", no final 301 or 319 within 8 weeks of the verzoek's Dagtekening (clock
    `final`). Raised once per reference and clock.

    The envelope is the verzoek's: message_id and message_type the 315 / 317, sender the
    aanbieder waiting for the answer, receiver the gemeente that owes it.
    """

    bericht_code: BerichtCode = Field(description="The verzoek's BerichtCode, e.g. 444.")
    referentie: Referentie | None = Field(
        default=None,
        description="ReferentieAanbieder of the request (per AangevraagdProduct of a 315, the "
        "Verzoek's of a 317); null when it is not a plain reference (no spaces, never nine "
        "digits in a row).",
    )
    clock: Literal["answer", "final"] = Field(
        description="answer: the 5-werkdagen answer; final: the final answer after a 319 "
        "in onderzoek."
    )
    deadline: UtcDatetime = Field(description="When the answer was due.")
    received_at: UtcDatetime | None = Field(default=None, description="When the verzoek arrived.")


class EigenBijdrageEntry(EventModel):
    """One EigenBijdrage of a notice: what happens to one eigen-bijdrageperiode."""

    melding_id: UUID = Field(description="MeldingID: the period's key at the CAK.")
    status: Literal["1", "2", "3"] = Field(
        description="StatusAanlevering: 1 new period, 2 changed (a stop, a reopening or a "
        "moved date: the full new content), 3 retracted."
    )
    begindatum: date = Field(description="Begin of the period (for 3: the retracted one's).")
    einddatum: date | None = Field(default=None, description="End of the period, if closed.")


class EbNoticeData(EventModel):
    """The hub sent a WMO405 / WMO407 to the CAK on the gemeente's behalf.

    The envelope is the notice's: message_type WMO405 / WMO407, sender the gemeente, receiver
    the CAK, person the client's keyed hash.
    """

    source_id: UUID = Field(description="Message id of the 305 / 307 that caused it.")
    identificatie: Identificatie = Field(description="Header Identificatie of the notice.")
    entries: tuple[EigenBijdrageEntry, ...] = Field(description="Its EigenBijdragen, in order.")


class EbNoticeRejectedData(EventModel):
    """The CAK answered a hub-built notice with retourcodes other than 0200.

    The envelope is the 406 / 408's. The hub does not send again on its own: the period stays
    as the hub told it until the gemeente or an operator resolves it (`hub eb show`).
    """

    heen_id: UUID = Field(description="Message id of the notice it answers.")
    retourcodes: Retourcodes = Field(description="Its retourcodes other than 0200.")
    melding_ids: tuple[UUID, ...] = Field(default=(), description="MeldingIDs in the notice.")


class EbLateStartData(EventModel):
    """A counting start arrived more werkdagen after its Begindatum than allowed: the CAK
    will bill retroactively (stapelfacturen risk). The envelope is the 305's."""

    begindatum: date = Field(description="Begindatum of the StartProduct.")
    werkdagen: int = Field(ge=0, description="Werkdagen between Begindatum and arrival.")
    allowed: int = Field(ge=0, description="Werkdagen allowed (the gemeente's policy).")
    route: Literal["405", "407"] = Field(description="The notice it counts for.")
    categorie: CategoryCode | None = Field(default=None, description="Product category.")
    location: Location = Field(description="Element path of the StartProduct.")


class EbHeldData(EventModel):
    """A notice entry the hub did not send because it lies beyond an iEb limit (issue #18: a
    start more than 12 months back, a correction more than 36, per the gemeente's policy): the
    gemeente handles it by hand (`hub eb held`). The envelope is the 305 / 307's."""

    route: Literal["405", "407"] = Field(description="The notice it would have gone in.")
    reason: Literal["start", "correction", "held-melding"] = Field(
        description="start: a new period beyond the start limit; correction: a change or "
        "retraction beyond the correction limit; held-melding: an entry on a period held before."
    )
    melding_id: UUID = Field(description="MeldingID of the period.")
    status: Literal["1", "2", "3"] = Field(description="StatusAanlevering it would have had.")
    begindatum: date = Field(description="Begin of the period (for 3: the retracted one's).")
    einddatum: date | None = Field(default=None, description="End of the period, if closed.")
    limit_months: int = Field(ge=0, description="The limit in months (0 for held-melding).")
    cutoff: date | None = Field(
        default=None, description="Earliest date within the limit (null for held-melding)."
    )


class ToewijzingSignalData(EventModel):
    """A toewijzing whose start (or stop) message is overdue: the provider sent no 305 within
    5 werkdagen of its Ingangsdatum, or no 307 after its Einddatum passed. Raised once per
    toewijzing. The envelope's sender is the aanbieder that owes the message, its receiver
    the gemeente; message_id is the 301 that carried the toewijzing."""

    toewijzing_nummer: str = Field(
        pattern=TOEWIJZING_NUMMER_PATTERN, description="ToewijzingNummer."
    )
    categorie: CategoryCode | None = Field(default=None, description="Product category.")
    ingangsdatum: date = Field(description="Ingangsdatum of the toewijzing.")
    einddatum: date | None = Field(default=None, description="Einddatum of the toewijzing.")
    due: date = Field(description="The last day the start or stop was expected.")


class ConflictPrestatie(EventModel):
    """One prestatie of the declaratie that ends after the toewijzing's new Einddatum."""

    referentie_nummer: Referentie | None = Field(
        description="ReferentieNummer of the Prestatie; null when it is not a plain reference "
        "(no spaces, never nine digits in a row)."
    )
    begindatum: date = Field(description="ProductPeriode Begindatum.")
    einddatum: date = Field(description="ProductPeriode Einddatum.")
    categorie: CategoryCode | None = Field(default=None, description="Product category.")
    code: str | None = Field(
        default=None, pattern=PRODUCT_CODE_PATTERN, description="ProductCode, if any."
    )
    relation: Literal["partly", "wholly"] = Field(
        description="wholly: the whole ProductPeriode lies after the new Einddatum."
    )


class ProductperiodeConflictData(EventModel):
    """A 301 shortened a toewijzing to an Einddatum before the end of prestaties the aanbieder
    already declared for it (a 323 not answered yet): the gemeente will refuse them on their
    ProductPeriode unless the aanbieder corrects them first. Raised once per 301, toewijzing
    and declaratie. The envelope's message_id is the 301, sender the gemeente that sent it,
    receiver the aanbieder whose declaratie it crosses."""

    toewijzing_nummer: str = Field(
        pattern=TOEWIJZING_NUMMER_PATTERN, description="ToewijzingNummer."
    )
    einddatum: date = Field(description="The toewijzing's new Einddatum.")
    previous_einddatum: date | None = Field(
        default=None, description="Its Einddatum before this 301 (null: it had none)."
    )
    declaratie: Identificatie = Field(description="Identificatie of the 323.")
    relation: Literal["partly", "wholly"] = Field(
        description="wholly when every listed prestatie lies after the new Einddatum."
    )
    prestaties: tuple[ConflictPrestatie, ...] = Field(
        description="The declaratie's prestaties for the toewijzing ending after it, by period."
    )
    deleted: bool = Field(
        default=False,
        description="The 301 deleted the toewijzing (Einddatum = Ingangsdatum, RedenWijziging "
        "13 or 01): every prestatie declared on it will be refused, each listed as wholly.",
    )


class ParkedData(EventModel):
    """A release freeze holds the message: recorded with status parked and queued to the
    parked topic, neither validated against history nor routed. The envelope is the
    message's own."""

    kind: Literal["new-release", "old-release"] = Field(
        description="new-release: sent before its cutover, released into intake at the "
        "cutover; old-release: frozen (or retired), returned to its sender at the cutover."
    )
    phase: Phase = Field(description="The standard's freeze phase when the message arrived.")
    from_release: Release = Field(description="The release being left.")
    to_release: Release = Field(description="The release in force from the cutover.")
    until: UtcDatetime = Field(description="The cutover, when it is released or returned.")


class ReleasedData(EventModel):
    """At the cutover a parked new-release message went on its way: through intake again as
    a new message (`released_as`), or, for a notice the hub built itself, straight to its
    receiver under its own id. The envelope is the parked message's."""

    released_as: UUID | None = Field(
        default=None,
        description="Message id it goes through intake as; null when sent on unchanged.",
    )
    to_release: Release = Field(description="The release now in force.")
    cutover: UtcDatetime = Field(description="The cutover that released it.")


class ReturnedData(EventModel):
    """At the cutover a parked old-release message went back, unchanged, into the inbox of
    the party that uploaded it: it must be sent again in `to_release`. The envelope is the
    parked message's."""

    node: Node = Field(description="Node whose inbox received it back.")
    inbox: PartyCode = Field(description="The party that uploaded it.")
    to_release: Release = Field(description="The release to send it again in.")
    cutover: UtcDatetime = Field(description="The cutover after which it cannot flow.")


class AdvisoryFindingData(EventModel):
    """The gemeente's history rules run in advisory mode (hub/domain/advisory.py): the message
    was routed as if clean (its message.accepted or retour.received is published too) and
    these history findings, which would have refused it in enforce mode, are only reported.
    One event per message, listing every history finding. The envelope is the message's."""

    gemeente: PartyCode = Field(description="CBS gemeentecode whose history rules found them.")
    rules: RuleIds = Field(default=(), description="Ids of the failed rules, sorted, unique.")
    retourcodes: Retourcodes = Field(
        default=(), description="Their retourcodes, sorted, unique (none for a rule without)."
    )
    findings: tuple[FindingRef, ...] = Field(default=(), description="Per history finding.")
