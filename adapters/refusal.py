"""The one shape of every refusal an adapter answers with, and the one way to raise it."""

from __future__ import annotations

from datetime import datetime
from typing import NoReturn

from fastapi import HTTPException, Request, Response
from fastapi.responses import JSONResponse
from fastapi.utils import is_body_allowed_for_status_code
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException


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
) -> NoReturn:
    body = Refusal(
        error=error, reason=reason, detail=detail, line=line, findings=findings,
        phase=phase, since=since, until=until,
    )  # fmt: skip
    raise HTTPException(
        status_code=status,
        detail=body.model_dump(mode="json", exclude_none=True),
        headers=headers,
    )


_ERRORS: dict[int, str] = {404: "not_found", 405: "method_not_allowed"}


async def in_refusal_shape(request: Request, exc: Exception) -> Response:
    """Every HTTP error in the one refusal shape: those raised by `refuse` as they are, the
    framework's own (an unknown path, a wrong method) turned into it."""
    assert isinstance(exc, StarletteHTTPException)
    if not is_body_allowed_for_status_code(exc.status_code):
        return Response(status_code=exc.status_code, headers=exc.headers)
    detail: object = exc.detail  # a dict from `refuse` (typed str by Starlette)
    if not isinstance(detail, dict):
        error = _ERRORS.get(exc.status_code, "refused")
        body = Refusal(error=error, reason=error, detail=str(detail))
        detail = body.model_dump(mode="json", exclude_none=True)
    return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)
