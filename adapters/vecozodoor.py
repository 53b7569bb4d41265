"""The VECOZO-like door (issue #21): VECOZO's VSP-Koppeling REST interfaces beside the JSON API,
so a provider's software that speaks to VECOZO can speak to the hub unchanged (nodes.md §2).

Push `POST /berichten` (adapters/vecozodoor_push.py); pull `GET /berichten`, `POST
/berichten/zoeken`, `GET /berichten/{traceerId}/payload`, `DELETE /berichten/{traceerId}`
and status `GET /berichtstatussen` (adapters/vecozodoor_pull.py). The caller is who the JSON
API says it is (adapters/auth.py: the client certificate, else the bearer token); every
refusal is RFC 7807 problem details (adapters/vecozodoor_problem.py). Installed on the VECOZO
adapter by its `doors` (adapters/vecozo.py).
"""

from __future__ import annotations

from typing import Annotated, Any, Final
from uuid import UUID

from fastapi import APIRouter, Body, FastAPI, Query, Request, Response

from adapters import inbox
from adapters.body import MAX_UPLOAD_BYTES
from adapters.context import AdapterContext
from adapters.gate import guard_door
from adapters.refusal import refuse
from adapters.vecozodoor_problem import PROBLEMS, Problem, ProblemRoute, answer
from adapters.vecozodoor_pull import Bericht, Berichtstatus, Zoekopdracht, statuses, waiting
from adapters.vecozodoor_pull import search as search_inbox
from adapters.vecozodoor_push import METADATA, PAYLOAD, push
from hub.domain.parties import Party
from hub.domain.vsp import BerichtMetadata
from hub.domain.vspstream import load_berichttypes
from hub.infra.store import vsp as vsp_store

TAG: Final = "VECOZO door (VSP-Koppeling)"
_MULTIPART_ROOM: Final = 1 << 20  # the metadata part and the multipart framing
_TRACEER = Annotated[str, Query(min_length=1, max_length=128)]
_LIMIT = Annotated[int, Query(ge=1, le=1000, description="At most this many (1-1000)")]


def _only(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {s: PROBLEMS[s] for s in statuses}


_PUSH_BODY: Final[dict[str, Any]] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [METADATA, PAYLOAD],
                    "properties": {
                        METADATA: {"$ref": "#/components/schemas/BerichtMetadata"},
                        PAYLOAD: {
                            "type": "string",
                            "format": "binary",
                            "description": "The message (iWmo/iJw/iEb XML), at most 25 MB",
                        },
                    },
                },
                "encoding": {
                    METADATA: {"contentType": "application/json"},
                    PAYLOAD: {"contentType": "application/octet-stream"},
                },
            }
        },
    }
}


def install(app: FastAPI, ctx: AdapterContext) -> None:
    """Add the door's routes to the VECOZO adapter's app."""
    types = load_berichttypes(ctx.settings.vecozo_berichttype_file)
    router = APIRouter(route_class=ProblemRoute, tags=[TAG])
    _with_metadata_schema(app)

    @router.post(
        "/berichten",
        operation_id="pushBericht",
        status_code=204,
        response_class=Response,
        responses={204: {"description": "Taken: the message goes its way"},
                   **_only(400, 401, 408, 422, 423, 503)},
        openapi_extra=_PUSH_BODY,
    )  # fmt: skip
    async def push_bericht(request: Request, caller: Party = ctx.authenticated) -> Response:
        """Push one message: `berichtMetadata` (JSON, schema BerichtMetadata) and `payload`
        (the XML). 204 when taken; 400 when the request is malformed (a part missing,
        metadata not JSON or not the shape, or contradicting the payload's header); 422
        when the message is refused (schema, sender, receiver, release, a traceerId used
        for another payload: BRS114), do not send it again. A resend with the same traceerId
        and payload is taken once."""
        return await push(ctx, request, caller, types)

    @router.get(
        "/berichten",
        operation_id="listBerichten",
        response_model=list[Bericht],
        responses=_only(400, 401),
    )
    async def list_berichten(
        request: Request, limit: _LIMIT = 100, caller: Party = ctx.authenticated
    ) -> list[Bericht]:
        """Messages ready for you, oldest first, with their metadata; each stays listed until
        you confirm its receipt (`DELETE /berichten/{traceerId}`). The same inbox as
        `GET /v1/inbox`."""
        return await waiting(ctx, request, caller, limit, types)

    @router.post(
        "/berichten/zoeken",
        operation_id="zoekBerichten",
        response_model=list[Bericht],
        responses=_only(400, 401),
    )
    async def search_berichten(
        request: Request,
        query: Annotated[Zoekopdracht, Body()],
        limit: _LIMIT = 100,
        caller: Party = ctx.authenticated,
    ) -> list[Bericht]:
        """Messages ready for you on one search path: berichtstroom (with geadresseerde, whose
        inbox), conversatieId, or alsAntwoordOp (the retours that answer your message)."""
        return await search_inbox(ctx, request, caller, query, limit, types)

    @router.get(
        "/berichten/{traceerId}/payload",
        operation_id="downloadPayload",
        response_class=Response,
        responses={200: {"content": {"application/xml": {}},
                         "description": "The message"}, **_only(401, 404)},
    )  # fmt: skip
    async def payload(traceerId: str, caller: Party = ctx.authenticated) -> Response:
        """One waiting message itself (XML). Unknown, not yours or confirmed already: 404."""
        message_id = await _waiting(ctx, caller, traceerId)
        return await inbox.fetch(ctx, caller, message_id)

    @router.delete(
        "/berichten/{traceerId}",
        operation_id="bevestigOntvangst",
        status_code=202,
        response_class=Response,
        responses={202: {"description": "Receipt confirmed"}, **_only(401, 404)},
    )
    async def confirm(traceerId: str, caller: Party = ctx.authenticated) -> Response:
        """Confirm receipt: the message leaves your inbox (here and at `GET /v1/inbox`)."""
        message_id = await _waiting(ctx, caller, traceerId)
        await inbox.ack(ctx, caller, message_id)
        return Response(status_code=202)

    @router.get(
        "/berichtstatussen",
        operation_id="berichtstatussen",
        response_model=list[Berichtstatus],
        responses=_only(400, 401),
    )
    async def berichtstatussen(
        traceerId: _TRACEER | None = None,
        conversatieId: _TRACEER | None = None,
        caller: Party = ctx.authenticated,
    ) -> list[Berichtstatus]:
        """What became of your messages: by `traceerId` (one message) or by `conversatieId`
        (each of yours in the conversation); exactly one of them. Empty when none is yours."""
        if (traceerId is None) == (conversatieId is None):
            raise Problem(400, "invalid", "query", "give exactly one of traceerId and "
                          "conversatieId", {"traceerId": ["exactly one of traceerId, "
                                                          "conversatieId"]})  # fmt: skip
        return await statuses(ctx, caller, traceerId, conversatieId, types)

    _ = (push_bericht, list_berichten, search_berichten, payload, confirm, berichtstatussen)
    app.include_router(router)
    # A push counts among the adapter's uploads in flight (adapters/gate.py); beyond the
    # limit it is a 503 problem, its body read and dropped first (a server that closes on an
    # unread body resets the connection, and the client never sees the answer).
    guard_door(app, "/berichten", _busy, drain=MAX_UPLOAD_BYTES + _MULTIPART_ROOM)


def _busy(request: Request, detail: str) -> Response:
    return answer(request, 503, {"error": "unavailable", "reason": "busy", "detail": detail})


def _with_metadata_schema(app: FastAPI) -> None:
    """The push's metadata part names BerichtMetadata: put its schema (and the schemas it
    uses) among the document's components, beside those FastAPI writes."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            schema = BerichtMetadata.model_json_schema(ref_template="#/components/schemas/{model}")
            components = document.setdefault("components", {}).setdefault("schemas", {})
            for name, part in schema.pop("$defs", {}).items():
                components.setdefault(name, part)
            components["BerichtMetadata"] = schema
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


async def _waiting(ctx: AdapterContext, caller: Party, traceer_id: str) -> UUID:
    found = await vsp_store.in_inbox(ctx.runtime.pool, ctx.node, caller.inbox_parties, traceer_id)
    if found is None:
        refuse(404, "not_found", "not_in_inbox", f"no waiting message {traceer_id} for you")
    return found
