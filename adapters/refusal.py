"""The one shape of every refusal an adapter answers with, and the one way to raise it."""

from __future__ import annotations

from datetime import datetime
from typing import NoReturn

from fastapi import HTTPException
from pydantic import BaseModel


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
