"""The VECOZO-like door's pull and status answers: the waiting messages with their metadata
(`GET /berichten`, `POST /berichten/zoeken`) and what became of the caller's pushes
(`GET /berichtstatussen`), over the JSON API's own inbox and ledger.

The listing is the JSON API's inbox (hub/infra/store/party_inbox.py): a message fetched or
confirmed here is downloaded or acknowledged there too. Each message is named by the door's
references (hub/infra/store/vsp.py); the status is the upload status of adapters/status.py
(hub/infra/store/message_status.py) in VECOZO's terms (hub/domain/vspstream.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final
from urllib.parse import quote
from uuid import UUID

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from adapters.context import AdapterContext
from hub.domain import vspstream
from hub.domain.messages import CATALOGUE
from hub.domain.parties import Party
from hub.domain.vsp import (
    Berichtstroom,
    Partij,
    Referentiegegevens,
    Routeringgegevens,
    versions,
)
from hub.domain.vspstream import Berichttypes
from hub.infra.store import message_status, party_inbox
from hub.infra.store import vsp as vsp_store

MAX_LIMIT: Final = 1000


class Checksum(BaseModel):
    algoritme: str = "SHA-256"
    waarde: str = Field(description="Lowercase hex of the payload's SHA-256")


class PayloadRef(BaseModel):
    url: str = Field(description="Where to download it: GET /berichten/{traceerId}/payload")
    grootte: int = Field(description="Bytes")
    checksum: Checksum


class Basisgegevens(BaseModel):
    ontvangenOp: datetime = Field(description="When the hub received the message")
    payload: PayloadRef


class Bericht(BaseModel):
    """One waiting message with its metadata."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "routeringgegevens": {
                        "afzender": {"rol": "gemeente", "code": "0363"},
                        "geadresseerden": [{"rol": "aanbieder", "code": "65656055"}],
                        "berichtstroom": {"berichttype": "WMO301", "berichtversie": "3",
                                          "berichtsubversie": "2", "actie": "Indienen"},
                    },
                    "referentiegegevens": {
                        "conversatieId": "5d0c64a2-8d0e-4a43-9a41-6f1f0e0f3b21",
                        "traceerId": "5d0c64a2-8d0e-4a43-9a41-6f1f0e0f3b21",
                    },
                    "basisgegevens": {
                        "ontvangenOp": "2026-03-02T09:30:00.125Z",
                        "payload": {
                            "url": "https://hub.example/berichten/5d0c64a2-8d0e-4a43-9a41-"
                            "6f1f0e0f3b21/payload",
                            "grootte": 3112,
                            "checksum": {"algoritme": "SHA-256", "waarde": "9f86d081884c7d65"
                                         "9a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
                        },
                    },
                }
            ]
        }
    )  # fmt: skip

    routeringgegevens: Routeringgegevens
    referentiegegevens: Referentiegegevens
    basisgegevens: Basisgegevens


class StroomFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    berichttype: str = Field(min_length=1, max_length=50)
    berichtsubtype: str | None = Field(default=None, max_length=50)


class Zoekopdracht(BaseModel):
    """One search path: berichtstroom (optionally with geadresseerde), or conversatieId, or
    alsAntwoordOp."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"conversatieId": "5d0c64a2-8d0e-4a43-9a41-6f1f0e0f3b21"},
                                        {"berichtstroom": {"berichttype": "WMO301"},
                                         "geadresseerde": {"rol": "aanbieder",
                                                           "code": "65656055"}}]},
    )  # fmt: skip

    berichtstroom: StroomFilter | None = None
    geadresseerde: Partij | None = None
    conversatieId: str | None = Field(default=None, min_length=1, max_length=128)
    alsAntwoordOp: str | None = Field(default=None, min_length=1, max_length=128)

    @model_validator(mode="after")
    def _one_path(self) -> Zoekopdracht:
        paths = [self.berichtstroom is not None, self.conversatieId is not None,
                 self.alsAntwoordOp is not None]  # fmt: skip
        if sum(paths) != 1:
            raise ValueError("give exactly one search path: berichtstroom (with geadresseerde "
                             "if wanted), conversatieId or alsAntwoordOp")  # fmt: skip
        if self.geadresseerde is not None and self.berichtstroom is None:
            raise ValueError("geadresseerde goes with berichtstroom")
        return self


class Melding(BaseModel):
    code: str = Field(description="The rule (e.g. TR019) or the reason a message was set aside")
    omschrijving: str = Field(description="What is wrong (never personal data)")
    toelichting: str | None = Field(default=None, description="Where, or the retourcode")


class Berichtstatus(BaseModel):
    """What became of one message of yours."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "referentiegegevens": {
                        "conversatieId": "5d0c64a2-8d0e-4a43-9a41-6f1f0e0f3b21",
                        "traceerId": "c7a1f1de-1b43-4c1e-9f6a-2f5b8a0e6d11",
                    },
                    "berichtstroom": {"berichttype": "WMO305", "berichtversie": "3",
                                      "berichtsubversie": "2", "actie": "Indienen"},
                    "berichtstatus": "afgekeurd",
                    "statusGewijzigdOp": "2026-03-02T09:30:00.125Z",
                    "meldingen": [{"code": "TR019", "omschrijving": "No toewijzing for this "
                                   "product and period", "toelichting": "retourcode 9019 at "
                                   "/Bericht/Client/StartProducten/StartProduct[1]"}],
                    "ontvangenOp": "2026-03-02T09:30:00.125Z",
                }
            ]
        }
    )  # fmt: skip

    referentiegegevens: Referentiegegevens
    berichtstroom: Berichtstroom | None = Field(description="None while not decided yet")
    berichtstatus: str = Field(description=", ".join(vspstream.STATUSES))
    statusGewijzigdOp: datetime
    meldingen: list[Melding]
    ontvangenOp: datetime


def _page(limit: int) -> int:
    return max(1, min(limit, MAX_LIMIT))


def _rol(message_type: str | None, sending: bool) -> str:
    """The party's role as the hub knows it (VECOZO's own rol values are not public)."""
    mt = CATALOGUE.get(message_type or "")
    if mt is None:
        return "onbekend"
    return (mt.sender if sending else mt.receiver).value


def _stroom(n: vsp_store.Named, types: Berichttypes) -> Berichtstroom:
    kind = types.of(n.message_type) or (n.message_type or "onbekend", None)
    versie, subversie = versions(n.namespace)
    return Berichtstroom(
        berichttype=n.berichttype or kind[0],
        berichtsubtype=n.berichtsubtype if n.berichttype else kind[1],
        berichtversie=versie or "?",
        berichtsubversie=subversie or "?",
    )


def _bericht(base: str, n: vsp_store.Named, types: Berichttypes) -> Bericht:
    url = f"{base}/berichten/{quote(n.traceer_id, safe='')}/payload"
    return Bericht(
        routeringgegevens=Routeringgegevens(
            afzender=Partij(rol=_rol(n.message_type, True), code=n.afzender or "?"),
            geadresseerden=[Partij(rol=_rol(n.message_type, False), code=n.receiver or "?")],
            berichtstroom=_stroom(n, types),
        ),
        referentiegegevens=Referentiegegevens(
            conversatieId=n.conversatie_id,
            traceerId=n.traceer_id,
            alsAntwoordOp=n.als_antwoord_op,
            referentieId=n.referentie_id,
        ),
        basisgegevens=Basisgegevens(
            ontvangenOp=n.received_at,
            payload=PayloadRef(url=url, grootte=n.size, checksum=Checksum(waarde=n.sha256.hex())),
        ),
    )


async def _described(
    ctx: AdapterContext, request: Request, ids: Sequence[UUID], types: Berichttypes
) -> list[Bericht]:
    found = await vsp_store.named(ctx.runtime.pool, ids)
    # Behind a TLS-terminating proxy the request's own URL may be the inside one: the
    # operator's public base URL wins.
    base = ctx.settings.vecozo_public_url or str(request.base_url).rstrip("/")
    return [_bericht(base, found[i], types) for i in ids if i in found]


async def waiting(
    ctx: AdapterContext, request: Request, caller: Party, limit: int, types: Berichttypes
) -> list[Bericht]:
    """The caller's waiting messages, oldest first (the JSON API's inbox listing)."""
    items = await party_inbox.inbox(ctx.runtime.pool, ctx.node, caller.inbox_parties, _page(limit))
    return await _described(ctx, request, [i.message_id for i in items], types)


async def search(
    ctx: AdapterContext,
    request: Request,
    caller: Party,
    query: Zoekopdracht,
    limit: int,
    types: Berichttypes,
) -> list[Bericht]:
    """The caller's waiting messages on one search path, oldest first."""
    path = vsp_store.Search(conversatie_id=query.conversatieId,
                            als_antwoord_op=query.alsAntwoordOp)  # fmt: skip
    if query.berichtstroom is not None:
        stroom = query.berichtstroom
        path = vsp_store.Search(
            message_types=types.messages(stroom.berichttype, stroom.berichtsubtype),
            addressee=query.geadresseerde.code if query.geadresseerde else None,
        )
    ids = await vsp_store.search(
        ctx.runtime.pool, ctx.node, caller.inbox_parties, path, _page(limit)
    )
    return await _described(ctx, request, ids, types)


async def statuses(
    ctx: AdapterContext,
    caller: Party,
    traceer_id: str | None,
    conversatie_id: str | None,
    types: Berichttypes,
) -> list[Berichtstatus]:
    """What became of the caller's messages with this traceerId or conversatieId."""
    pool = ctx.runtime.pool
    ids = await vsp_store.sent(pool, caller.code, sorted(caller.may_submit_for | {caller.code}),
                               traceer_id=traceer_id, conversatie_id=conversatie_id)  # fmt: skip
    refs = await vsp_store.references(pool, ids)
    names = await vsp_store.named(pool, ids)
    out = []
    for message_id in ids:
        found = await message_status.of_message(pool, message_id, caller.code, caller.inbox_parties)
        if found is None:
            continue
        out.append(_status(found, refs.get(message_id), names.get(message_id), types))
    return out


def _status(
    s: message_status.MessageStatus,
    ref: vsp_store.Reference | None,
    named: vsp_store.Named | None,
    types: Berichttypes,
) -> Berichtstatus:
    first = s.deliveries[0] if s.deliveries else None
    delivery = (
        None
        if first is None
        else vspstream.Delivery(first.available_at, first.downloaded_at, first.acked_at)
    )
    status, since = vspstream.berichtstatus(s.status, s.received_at, delivery)
    meldingen = [
        Melding(
            code=f.rule,
            omschrijving=f.sentence,
            toelichting=f"retourcode {f.retourcode} at {f.location}",
        )
        for f in s.findings
    ]
    if s.dead_letter is not None:
        meldingen.append(Melding(code=s.dead_letter.reason, omschrijving=s.dead_letter.error,
                                 toelichting=f"set aside at {s.dead_letter.stage}"))  # fmt: skip
    stroom = None
    if ref is not None:
        stroom = Berichtstroom(berichttype=ref.berichttype, berichtsubtype=ref.berichtsubtype,
                               berichtversie=ref.berichtversie,
                               berichtsubversie=ref.berichtsubversie)  # fmt: skip
    elif named is not None:
        stroom = _stroom(named, types)
    return Berichtstatus(
        referentiegegevens=Referentiegegevens(
            conversatieId=ref.conversatie_id
            if ref
            else (named.conversatie_id if named else str(s.id)),
            traceerId=ref.traceer_id if ref else str(s.id),
            alsAntwoordOp=ref.als_antwoord_op
            if ref
            else (named.als_antwoord_op if named else None),
            referentieId=ref.referentie_id if ref else None,
        ),
        berichtstroom=stroom,
        berichtstatus=status,
        statusGewijzigdOp=since,
        meldingen=meldingen,
        ontvangenOp=s.received_at,
    )
