"""The VECOZO-like door's answers to what it refuses: RFC 7807 ValidationProblemDetails (type,
title, status, detail, instance, errors) with the node's code, for every route of the door.

The door's routes use `ProblemRoute`: every refusal raised inside them (the adapters' one
refusal shape from adapters/refusal.py, a query that does not parse, a malformed push) leaves
as `application/problem+json`; the JSON API keeps its own shape. A push refused by the
acceptance path is 422 (receipt failed: the same request must not be sent again), except what
may succeed later unchanged (401, 408, 423 with Retry-After, 503).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from typing import Any, Final, NoReturn

from fastapi import HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from adapters.refusal import node_fields
from hub.domain.messages import Node

MEDIA_TYPE: Final = "application/problem+json"
_TITLES: Final = {
    400: "The request is malformed",
    401: "The caller is not identified",
    403: "The caller may not use this door",
    404: "Not found",
    408: "The request body did not arrive in time",
    422: "The message is refused; do not send this request again",
    423: "The message's release is frozen; send it again after Retry-After",
    503: "The hub cannot take this request now; send it again",
}
# Kept by a refused push: the same request may succeed later. Anything else the acceptance
# path refuses (unreadable, schema, sender, receiver, rights, release retired, too large)
# fails the receipt for good: 422.
_KEPT: Final = frozenset({401, 408, 423, 503})


class ValidationProblemDetails(BaseModel):
    """RFC 7807 problem details with the fields that failed, and the node's code."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "urn:isd-hub:problem:metadata:contradicts_payload",
                    "title": "The request is malformed",
                    "status": 400,
                    "detail": "berichtMetadata contradicts the payload's header",
                    "instance": "/berichten",
                    "errors": {
                        "routeringgegevens.afzender.code": [
                            "12345678 is not the message's sender 65656055 (Header/Afzender; "
                            "Header/Ontvanger for a retour)"
                        ]
                    },
                },
                {
                    "type": "urn:isd-hub:problem:invalid:schema",
                    "title": "The message is refused; do not send this request again",
                    "status": 422,
                    "detail": "/Bericht/Client/Bsn: ... is not a valid value",
                    "instance": "/berichten",
                    "errors": {},
                    "code": "IB014",
                    "codeOmschrijving": "The payload fails the XSD",
                },
            ]
        }
    )

    type: str = Field(description="urn:isd-hub:problem:<error>:<reason>")
    title: str
    status: int
    detail: str
    instance: str = Field(description="The request's path")
    errors: dict[str, list[str]] = Field(
        default={}, description="Per field of the request: what is wrong with it"
    )
    code: str | None = Field(
        default=None, description="The nearest VECOZO code (BRS.., IB..): docs/node-codes.md"
    )
    codeOmschrijving: str | None = Field(default=None, description="That code's meaning")
    findings: list[dict[str, object]] | None = Field(
        default=None, description="A payload that fails its schema: every finding, with place"
    )


class Problem(Exception):
    """A refusal of the door's own, before anything reached the acceptance path."""

    def __init__(
        self, status: int, error: str, reason: str, detail: str, errors: dict[str, list[str]]
    ) -> None:
        super().__init__(detail)
        self.status, self.error, self.reason = status, error, reason
        self.detail, self.errors = detail, errors


def malformed(reason: str, detail: str, errors: dict[str, list[str]]) -> NoReturn:
    """400: the request itself is not what the door takes."""
    raise Problem(400, "metadata", reason, detail, errors)


def for_push(exc: HTTPException) -> HTTPException:
    """A refusal of the acceptance path as the push answers it: 422 unless it may pass later."""
    if exc.status_code in _KEPT or exc.status_code == 422:
        return exc
    return HTTPException(status_code=422, detail=exc.detail, headers=exc.headers)


def _body(request: Request, status: int, detail: dict[str, Any], errors: dict[str, list[str]]
          ) -> dict[str, Any]:  # fmt: skip
    error, reason = str(detail.get("error", "refused")), str(detail.get("reason", "refused"))
    codes = node_fields(Node.VECOZO, error, reason)
    field = detail.get("field")
    if field and not errors:
        errors = {str(field): [str(detail.get("detail", ""))]}
    problem = ValidationProblemDetails(
        type=f"urn:isd-hub:problem:{error}:{reason}",
        title=_TITLES.get(status, "Refused"),
        status=status,
        detail=str(detail.get("detail", "")),
        instance=request.url.path,
        errors=errors,
        code=codes.get("node_code"),
        codeOmschrijving=codes.get("node_code_meaning"),
        findings=detail.get("findings"),
    )
    return problem.model_dump(mode="json", exclude_none=True)


def answer(
    request: Request,
    status: int,
    detail: dict[str, Any],
    errors: dict[str, list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        _body(request, status, detail, errors or {}),
        status_code=status,
        media_type=MEDIA_TYPE,
        headers=headers,
    )


def _query_errors(exc: RequestValidationError) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for e in exc.errors():
        where = ".".join(str(p) for p in e.get("loc", ())[1:]) or "request"
        errors.setdefault(where, []).append(str(e.get("msg", "")))
    return errors


class ProblemRoute(APIRoute):
    """A route of the door: its refusals (its dependencies' too) as problem details."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def with_problems(request: Request) -> Response:
            try:
                return await handler(request)
            except Problem as p:
                detail = {"error": p.error, "reason": p.reason, "detail": p.detail}
                return answer(request, p.status, detail, p.errors)
            except RequestValidationError as exc:
                why = "the request's parameters or body are not as documented"
                detail = {"error": "invalid", "reason": "request", "detail": why}
                return answer(request, 400, detail, _query_errors(exc))
            except HTTPException as exc:
                raw: object = exc.detail
                detail = raw if isinstance(raw, dict) else {"detail": str(raw)}
                return answer(request, exc.status_code, detail, headers=exc.headers)

        return with_problems


PROBLEMS: Final[dict[int | str, dict[str, Any]]] = {
    status: {
        "model": ValidationProblemDetails,
        "description": title,
        "content": {
            MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ValidationProblemDetails"}}
        },
    }
    for status, title in _TITLES.items()
}
