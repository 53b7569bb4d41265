"""The VSP-Koppeling metadata of the VECOZO-like door: its shape, its reading, and its checks
against the message it travels with (nodes.md §2). Pure: the door (adapters/vecozodoor.py)
reads the request, this module says whether the metadata is well formed and agrees.

Field names are VECOZO's own (camelCase, Dutch), so the OpenAPI document shows them as a
provider's software already sends them. What is not public (the `berichttype` values, the
`rol` values) is configuration (hub/domain/vspstream.py) or taken as sent.
"""

from __future__ import annotations

import json
import re
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hub.domain import routing
from hub.domain.xmlread import Envelope

# A traceerId keys the upload's id (the sender's idempotency key) and is a path segment of
# the pull (GET /berichten/{traceerId}/payload): 1-128 characters that need no escaping in
# a URL (a UUID, as VECOZO's software makes them, is one).
TRACEER_ID: Final = re.compile(r"[A-Za-z0-9._~-]{1,128}")
_ID = r"^[A-Za-z0-9._~-]{1,128}$"


class Partij(BaseModel):
    """A party in the routing data: its role and its code (AGB code, gemeentecode)."""

    model_config = ConfigDict(extra="forbid")

    rol: str = Field(min_length=1, max_length=50, description="The party's role (taken as sent)")
    code: str = Field(min_length=1, max_length=20, description="AGB code or CBS gemeentecode")


class Berichtstroom(BaseModel):
    """Which message flow: its type (configuration: hub/domain/vspstream.py) and version."""

    model_config = ConfigDict(extra="forbid")

    berichttype: str = Field(min_length=1, max_length=50)
    berichtsubtype: str | None = Field(default=None, max_length=50)
    berichtversie: str = Field(min_length=1, max_length=10, description="Header/BerichtVersie")
    berichtsubversie: str = Field(
        min_length=1, max_length=10, description="Header/BerichtSubversie"
    )
    actie: str = Field(default="Indienen", min_length=1, max_length=50)


class Routeringgegevens(BaseModel):
    model_config = ConfigDict(extra="forbid")

    afzender: Partij
    geadresseerden: list[Partij] = Field(min_length=1, max_length=1)
    berichtstroom: Berichtstroom


class Referentiegegevens(BaseModel):
    """How this message is named and tied to others (nodes.md §2)."""

    model_config = ConfigDict(extra="forbid")

    conversatieId: str = Field(pattern=_ID, description="Shared by a heenbericht and its answers")
    traceerId: str = Field(
        pattern=_ID,
        description="Unique per message and sender; a resend with the same traceerId and "
        "payload is taken once",
    )
    alsAntwoordOp: str | None = Field(
        default=None, pattern=_ID, description="The traceerId of the message this one answers"
    )
    referentieId: str | None = Field(
        default=None, max_length=150, description="The sender's own reference"
    )


class Verwerkingscontext(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sleutel: str = Field(min_length=1, max_length=100)
    waarde: str = Field(max_length=1000)


class BerichtMetadata(BaseModel):
    """The `berichtMetadata` part of a push."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "routeringgegevens": {
                        "afzender": {"rol": "aanbieder", "code": "65656055"},
                        "geadresseerden": [{"rol": "gemeente", "code": "0363"}],
                        "berichtstroom": {
                            "berichttype": "WMO305",
                            "berichtversie": "3",
                            "berichtsubversie": "2",
                            "actie": "Indienen",
                        },
                    },
                    "referentiegegevens": {
                        "conversatieId": "5d0c64a2-8d0e-4a43-9a41-6f1f0e0f3b21",
                        "traceerId": "c7a1f1de-1b43-4c1e-9f6a-2f5b8a0e6d11",
                    },
                }
            ]
        },
    )

    routeringgegevens: Routeringgegevens
    referentiegegevens: Referentiegegevens
    verwerkingscontext: list[Verwerkingscontext] = Field(default=[], max_length=50)

    @property
    def afzender(self) -> str:
        return self.routeringgegevens.afzender.code

    @property
    def traceer_id(self) -> str:
        return self.referentiegegevens.traceerId


_RELEASE: Final = re.compile(r"/([0-9]+)_([0-9]+)/")


def versions(namespace: str | None) -> tuple[str | None, str | None]:
    """berichtversie and berichtsubversie of a message by its namespace (".../3_2/..." → 3, 2:
    its pack's, which the header's BerichtVersie/BerichtSubversie matched on the way in)."""
    found = _RELEASE.search(namespace or "")
    return (str(int(found[1])), str(int(found[2]))) if found else (None, None)


Errors = dict[str, list[str]]  # ValidationProblemDetails.errors: field → messages


def read_metadata(raw: bytes | str | None) -> BerichtMetadata | Errors:
    """The metadata part read, or what is wrong with it per field (dotted paths)."""
    if raw is None or not raw.strip():
        return {"berichtMetadata": ["the part berichtMetadata is missing or empty"]}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        return {"berichtMetadata": [f"not JSON ({type(exc).__name__})"]}
    try:
        return BerichtMetadata.model_validate(data)
    except ValidationError as exc:
        errors: Errors = {}
        for e in exc.errors(include_url=False, include_input=False):
            where = ".".join(str(p) for p in e["loc"]) or "berichtMetadata"
            errors.setdefault(where, []).append(str(e["msg"]))
        return errors


def _number(value: str | None) -> int | str | None:
    """ "03" and "3" name the same version (the validator reads them so too)."""
    return int(value) if value is not None and value.isdigit() else value


def contradictions(
    meta: BerichtMetadata, envelope: Envelope, berichttype: tuple[str, str | None] | None
) -> Errors:
    """Where the metadata says something else than the message's header: sender, addressee,
    version, and the configured berichttype of its message type (`berichttype`: None when the
    message type is unknown; the acceptance path refuses that message itself)."""
    errors: Errors = {}
    routering = meta.routeringgegevens
    sender = routing.sender_of(envelope)
    route = routing.route(envelope)
    receiver = route.receiver if route else envelope.ontvanger
    if routering.afzender.code != sender:
        errors["routeringgegevens.afzender.code"] = [
            f"{routering.afzender.code} is not the message's sender {sender or '(none)'} "
            "(Header/Afzender; Header/Ontvanger for a retour)"
        ]
    addressee = routering.geadresseerden[0].code
    if addressee != receiver:
        errors["routeringgegevens.geadresseerden.0.code"] = [
            f"{addressee} is not the message's receiver {receiver or '(none)'} "
            "(Header/Ontvanger; Header/Afzender for a retour)"
        ]
    stroom = routering.berichtstroom
    if _number(stroom.berichtversie) != _number(envelope.bericht_versie):
        errors["routeringgegevens.berichtstroom.berichtversie"] = [
            f"{stroom.berichtversie} is not the message's BerichtVersie "
            f"{envelope.bericht_versie or '(none)'}"
        ]
    if _number(stroom.berichtsubversie) != _number(envelope.bericht_subversie):
        errors["routeringgegevens.berichtstroom.berichtsubversie"] = [
            f"{stroom.berichtsubversie} is not the message's BerichtSubversie "
            f"{envelope.bericht_subversie or '(none)'}"
        ]
    if berichttype is not None:
        wanted, sub = berichttype
        if stroom.berichttype != wanted:
            errors["routeringgegevens.berichtstroom.berichttype"] = [
                f"{stroom.berichttype} is not the berichttype of {envelope.message_name} ({wanted})"
            ]
        if sub is not None and stroom.berichtsubtype not in (None, sub):
            errors["routeringgegevens.berichtstroom.berichtsubtype"] = [
                f"{stroom.berichtsubtype} is not the berichtsubtype of "
                f"{envelope.message_name} ({sub})"
            ]
    return errors
