"""The one shape of every refusal an adapter answers with, and the one way to raise it."""

from __future__ import annotations

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


def refuse(
    status: int,
    error: str,
    reason: str,
    detail: str,
    line: int | None = None,
    headers: dict[str, str] | None = None,
    findings: list[dict[str, object]] | None = None,
) -> NoReturn:
    body = Refusal(error=error, reason=reason, detail=detail, line=line, findings=findings)
    raise HTTPException(
        status_code=status,
        detail=body.model_dump(exclude_none=True),
        headers=headers,
    )
