"""The one shape of every refusal an adapter answers with, and the one way to raise it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import NoReturn

from fastapi import HTTPException, Request, Response
from fastapi.responses import JSONResponse
from fastapi.utils import is_body_allowed_for_status_code
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from hub.domain import nodecodes
from hub.domain.messages import Node


class Refusal(BaseModel):
    """Body of every 4xx an adapter answers, under `detail`."""

    error: str
    reason: str
    detail: str
    line: int | None = None
    findings: list[dict[str, object]] | None = None  # schema failures: every one, with place
    # A release freeze: the phase that holds the message, since when, and until when (absent
    # when it never reopens for this release).
    phase: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    # The message field a refusal is about and its value (a party code, never personal data),
    # where it is about one: e.g. Header/Ontvanger of an unknown receiver.
    field: str | None = None
    value: str | None = None
    # The nearest code of the node's own list (GGK's Fo01, VECOZO's), which vendors' software
    # already maps, and that list's meaning of it (hub/domain/nodecodes.py; docs/node-codes.md).
    # Absent where no node code fits.
    node_code: str | None = None
    node_code_meaning: str | None = None


def node_fields(node: Node, error: str, reason: str) -> dict[str, str]:
    """`node_code` and `node_code_meaning` of a refusal on `node`'s adapter; none where no
    code fits."""
    code = nodecodes.node_code(node, error, reason)
    return (
        {} if code is None else {"node_code": code, "node_code_meaning": nodecodes.MEANINGS[code]}
    )


def refuse(
    status: int,
    error: str,
    reason: str,
    detail: str,
    line: int | None = None,
    headers: dict[str, str] | None = None,
    findings: list[dict[str, object]] | None = None,
    phase: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    field: str | None = None,
    value: str | None = None,
) -> NoReturn:
    body = Refusal(
        error=error, reason=reason, detail=detail, line=line, findings=findings,
        phase=phase, since=since, until=until, field=field, value=value,
    )  # fmt: skip
    raise HTTPException(
        status_code=status,
        detail=body.model_dump(mode="json", exclude_none=True),
        headers=headers,
    )


_ERRORS: dict[int, str] = {404: "not_found", 405: "method_not_allowed"}


Handler = Callable[[Request, Exception], Awaitable[Response]]


def refusal_handler(node: Node) -> Handler:
    """The exception handler of `node`'s adapter: every HTTP error in the one refusal shape
    (those raised by `refuse` as they are, the framework's own, such as an unknown path or a
    wrong method, turned into it), with the nearest code of the node's list added."""

    async def in_refusal_shape(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if not is_body_allowed_for_status_code(exc.status_code):
            return Response(status_code=exc.status_code, headers=exc.headers)
        detail: object = exc.detail  # a dict from `refuse` (typed str by Starlette)
        if not isinstance(detail, dict):
            error = _ERRORS.get(exc.status_code, "refused")
            body = Refusal(error=error, reason=error, detail=str(detail))
            detail = body.model_dump(mode="json", exclude_none=True)
        codes = node_fields(node, str(detail.get("error", "")), str(detail.get("reason", "")))
        shaped = {**detail, **codes}
        return JSONResponse({"detail": shaped}, status_code=exc.status_code, headers=exc.headers)

    return in_refusal_shape
