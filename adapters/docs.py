"""The adapters' API documents, offline: Swagger UI and ReDoc served from a package's files (no
CDN), and the OpenAPI touches FastAPI cannot infer (the XML body, the hub's refusal shape)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from adapters.gate import CONTENT_TYPES
from adapters.refusal import Refusal

ASSETS_PATH: Final = "/docs-assets"
# The JS and CSS of Swagger UI 5 and ReDoc 2, as the fastapi-offline package ships them.
_ASSETS_DIR: Final = Path(fastapi_offline.__file__).parent / "static"
_VALIDATION_REF: Final = "#/components/schemas/HTTPValidationError"


# Every refusal is {"detail": Refusal}; declared so the OpenAPI document shows its shape.
_RETRY_AFTER: Final = {"Retry-After": {"description": "Seconds to wait before retrying",
                                       "schema": {"type": "integer"}}}  # fmt: skip
REFUSALS: dict[int | str, dict[str, Any]] = {
    400: {
        "model": Refusal,
        "description": "A parameter that does not parse (e.g. an id that is no UUID)",
    },
    401: {"model": Refusal, "description": "No valid party token"},
    403: {"model": Refusal, "description": "Party not served by this node, or not the sender"},
    503: {
        "model": Refusal,
        "description": "Database or broker unavailable; retry",
        "headers": _RETRY_AFTER,
    },
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Refusal, "description": "No such message in your inbox"},
}
FREEZE_REFUSALS: dict[int | str, dict[str, Any]] = {
    409: {"model": Refusal, "description": "Release no longer accepted (after its cutover)"},
    423: {"model": Refusal, "description": "Release freeze; Retry-After says when it reopens"},
}
UPLOAD_REFUSALS: dict[int | str, dict[str, Any]] = {
    400: {
        "model": Refusal,
        "description": "Unreadable, not a known message, schema-invalid "
        "(every finding, with its place), or a malformed Idempotency-Key",
    },
    408: {"model": Refusal, "description": "The body stalled (HUB_UPLOAD_BODY_TIMEOUT_S)"},
    413: {"model": Refusal, "description": "Body larger than 25 MB"},
    415: {
        "model": Refusal,
        "description": "A Content-Encoding other than identity, or a Content-Type that is not XML",
    },
    422: {
        "model": Refusal,
        "description": "Idempotency-Key reused for another message, or a heenbericht to no "
        "registered receiver of its kind (reason unknown_gemeente / unknown_aanbieder / "
        "not_the_cak / wrong_receiver, field Header/Ontvanger)",
    },
    503: {
        "model": Refusal,
        "headers": _RETRY_AFTER,
        "description": "Too many uploads in flight (reason busy: HUB_UPLOAD_MAX_IN_FLIGHT), or "
        "database or broker unavailable: not known to be accepted; retry (with the same "
        "Idempotency-Key, so the retry cannot be taken twice)",
    },
}


def install(app: FastAPI) -> None:
    """/docs and /redoc from local assets; request errors in the hub's refusal shape; the
    OpenAPI document without FastAPI's 422 validation body, which the adapters never send."""
    app.mount(ASSETS_PATH, StaticFiles(directory=_ASSETS_DIR), name="docs-assets")

    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
            # Swagger UI would otherwise ask validator.swagger.io about the document.
            swagger_ui_parameters={"validatorUrl": None},
        )

    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS_PATH}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
            with_google_fonts=False,
        )

    app.add_api_route("/docs", swagger_ui, include_in_schema=False)
    app.add_api_route("/redoc", redoc, include_in_schema=False)
    app.add_exception_handler(RequestValidationError, invalid_request)  # type: ignore[arg-type]

    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _without_validation_bodies(generate())
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    """A path or query parameter that does not parse (a message id that is no UUID): 400 in
    the hub's refusal shape, naming the parameter, never echoing the value."""
    errors = exc.errors()
    first = errors[0] if errors else {}
    loc = [str(p) for p in first.get("loc", ())]
    where, name = (loc[0], loc[-1]) if len(loc) >= 2 else ("request", "request")
    what = {"path": "path parameter", "query": "query parameter", "header": "header"}
    message = str(first.get("msg", "is not valid"))
    body = Refusal(error="invalid", reason=name,
                   detail=f"{what.get(where, where)} {name}: {message}")  # fmt: skip
    return JSONResponse({"detail": body.model_dump(mode="json", exclude_none=True)}, 400)


def _without_validation_bodies(document: dict[str, Any]) -> None:
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            found = responses.get("422", {}).get("content", {}).get("application/json", {})
            if found.get("schema", {}).get("$ref") == _VALIDATION_REF:
                del responses["422"]
    schemas = document.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)


def upload_openapi() -> dict[str, Any]:
    """The upload's body and Idempotency-Key as the OpenAPI document shows them: the upload
    reads its raw body itself, so FastAPI cannot see either."""
    xml = {
        "schema": {"type": "string"},
        "example": '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Bericht xmlns="http://www.istandaarden.nl/iwmo/3_2/wmo305/schema">...</Bericht>',
    }
    content: dict[str, Any] = {kind: xml for kind in CONTENT_TYPES if "*" not in kind}
    content["application/octet-stream"] = {"schema": {"type": "string", "format": "binary"}}
    return {
        "requestBody": {
            "required": True,
            "description": "One iStandaarden message, the XML document itself (at most 25 MB, "
            "uncompressed). Accepted as " + ", ".join(CONTENT_TYPES) + " or without a "
            "Content-Type; any other type or a Content-Encoding is refused with 415.",
            "content": content,
        },
        "parameters": [
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "1-128 visible ASCII characters, unique per upload of yours: a "
                "retried upload with the same key gets the id of the first attempt and is "
                "taken once; reused for another message it is refused with 422.",
                "schema": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 128,
                    "pattern": "^[!-~]{1,128}$",
                },
            }
        ],
    }
