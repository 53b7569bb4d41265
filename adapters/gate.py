"""The upload door before any body is read: what encodings and media types it takes, and how
many uploads it handles at once (back-pressure instead of an unbounded queue).

The node doors' message routes (the GGk door's SOAP endpoint, the VECOZO door's push) count
among the same uploads in flight (`guard_door`); beyond the limit each is answered in its
door's own shape (a SOAP Server fault, an RFC 7807 problem), with Retry-After.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from adapters.refusal import Refusal, node_fields
from hub.domain.messages import Node
from hub.infra import metrics

log = logging.getLogger(__name__)

RETRY_AFTER_S: Final = 1
_LOG_EVERY_S: Final = 10.0  # a burst refused is one warning per this long, with its count
# What an upload may say it is. XML under any of its media types; a generic octet-stream (a
# file sent as it is, as several HTTP clients and tools label it); or nothing at all: the body
# is checked as XML in every case. JSON is a message's JSON view (docs/json.md), encoded to
# its XML before it is checked. Anything else names a different body (a form, a multipart
# wrapper around the file) and is refused before it is read.
_XML_TYPES: Final = frozenset({"application/xml", "text/xml", "application/octet-stream"})
CONTENT_TYPES: Final = ("application/xml", "text/xml", "application/*+xml",
                        "application/octet-stream")  # fmt: skip
_FORM: Final = "application/x-www-form-urlencoded"
# What a ZIP archive of messages may say it is (Windows labels it x-zip-compressed); the body
# is checked as a ZIP in every case.
ZIP_TYPES: Final = ("application/zip", "application/x-zip-compressed", "application/octet-stream")


def media_type(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


def xml_media_type(value: str | None) -> bool:
    """Whether an upload's Content-Type is one the adapter takes (absent counts)."""
    if value is None or not value.strip():
        return True
    kind = media_type(value)
    return kind in _XML_TYPES or (kind.startswith("application/") and kind.endswith("+xml"))


def json_media_type(value: str | None) -> bool:
    """Whether an upload says it is the JSON view of a message (adapters/jsonbody.py)."""
    kind = media_type(value or "")
    return kind == "application/json" or (
        kind.startswith("application/") and kind.endswith("+json")
    )


@dataclass(frozen=True, slots=True)
class Door:
    """A node door's message route as the gate counts it: how it says "busy" (the gate's
    sentence in, the door's answer out), and how much of the body it reads and drops first
    (a SOAP stack that is still sending when the fault comes handles it badly; 0: none)."""

    busy: Callable[[Request, str], Response]
    drain: int = 0


_DOORS: Final = "upload_gate_doors"  # app.state attribute: route path -> Door


def guard_door(
    app: Any, path: str, busy: Callable[[Request, str], Response], *, drain: int = 0
) -> None:
    """Count POST `path` of this app (a node door's message route) among the uploads in
    flight; beyond HUB_UPLOAD_MAX_IN_FLIGHT it is answered by `busy`."""
    doors: dict[str, Door] | None = getattr(app.state, _DOORS, None)
    if doors is None:
        doors = {}
        setattr(app.state, _DOORS, doors)
    doors[path] = Door(busy, drain)


def _door(scope: Scope, route: str) -> Door | None:
    """The door registered for `route` on the app serving this request (Starlette puts the
    app in the scope before its middleware runs)."""
    doors = getattr(getattr(scope.get("app"), "state", None), _DOORS, None)
    return doors.get(route) if isinstance(doors, dict) else None


async def _drain(receive: Receive, limit: int) -> bool:
    """Read and drop up to `limit` bytes of the request body; True when some is left unread
    (or the client left), so the connection must close after the answer."""
    if limit <= 0:
        return True
    seen = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return True
        seen += len(message.get("body", b""))
        if not message.get("more_body", False):
            return False
        if seen > limit:
            return True


class UploadGate:
    """Pure ASGI middleware on the upload route: refuses a body the hub cannot read (415) and
    an upload beyond `max_in_flight` (503, Retry-After) before authentication or the body, so
    a burst costs neither database round trips nor memory."""

    def __init__(
        self, app: ASGIApp, *, path: str, max_in_flight: int, node: str, archive_path: str = ""
    ) -> None:
        self.app = app
        self.path = path
        # The ZIP upload (adapters/zipupload.py): the same door and in-flight count, ZIP types.
        self.archive_path = archive_path or path
        self.max_in_flight = max_in_flight
        self.node = node
        self.in_flight = 0
        self._busy = 0  # refused as busy since the last warning
        self._busy_logged = -_LOG_EVERY_S

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        posted = scope["type"] == "http" and scope["method"] == "POST"
        route = _route(scope) if posted else ""
        if route not in (self.path, self.archive_path):
            door = _door(scope, route) if posted else None
            if door is None:
                await self.app(scope, receive, send)
            else:
                await self._through_door(door, scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        archive = route == self.archive_path != self.path
        refusal = _archive_refusal(headers) if archive else _refusal(headers)
        if refusal is None and self.in_flight >= self.max_in_flight:
            self._log_busy()
            refusal = (503, Refusal(error="unavailable", reason="busy", detail=(
                f"the adapter handles {self.max_in_flight} uploads at once and has no room "
                f"now; retry after {RETRY_AFTER_S} s (with the same Idempotency-Key)")),
                {"Retry-After": str(RETRY_AFTER_S)})  # fmt: skip
        if refusal is not None:
            status, body, extra = refusal
            metrics.count("upload", "refused", node=self.node)
            await _answer(send, status, body, extra, Node(self.node))
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1

    async def _through_door(self, door: Door, scope: Scope, receive: Receive, send: Send) -> None:
        """A node door's upload: counted as any upload, its own busy answer beyond the limit
        (its media types and body are the door's to judge)."""
        if self.in_flight >= self.max_in_flight:
            self._log_busy()
            metrics.count("upload", "refused", node=self.node)
            closing = await _drain(receive, door.drain)
            detail = (f"the adapter handles {self.max_in_flight} uploads at once and has no "
                      f"room now; send it again unchanged after {RETRY_AFTER_S} s")  # fmt: skip
            response = door.busy(Request(scope), detail)
            response.headers["Retry-After"] = str(RETRY_AFTER_S)
            if closing:
                response.headers["Connection"] = "close"
            await response(scope, receive, send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1

    def _log_busy(self) -> None:
        self._busy += 1
        now = time.monotonic()
        if now - self._busy_logged >= _LOG_EVERY_S:
            log.warning("%d upload(s) answered 503 busy: %d in flight is the limit "
                        "(HUB_UPLOAD_MAX_IN_FLIGHT)", self._busy, self.max_in_flight)  # fmt: skip
            self._busy, self._busy_logged = 0, now


def _route(scope: Scope) -> str:
    """The path as the app routes it (behind a proxy's root_path, without that prefix)."""
    path, root = str(scope["path"]), str(scope.get("root_path", ""))
    return path[len(root) :] if root and path.startswith(root) else path


def _refusal(headers: dict[str, str]) -> tuple[int, Refusal, dict[str, str]] | None:
    encoding = headers.get("content-encoding", "").strip().lower()
    if encoding not in ("", "identity"):
        shown = encoding[:40]
        return (415, Refusal(error="unsupported_media_type", reason="content_encoding", detail=(
            f"Content-Encoding {shown} is not supported: send the message uncompressed "
            "(identity)")), {"Accept-Encoding": "identity"})  # fmt: skip
    declared = headers.get("content-type")
    if not xml_media_type(declared) and not json_media_type(declared):
        shown = media_type(declared or "")[:60]
        hint = (" (curl sends that for --data-binary unless told otherwise: add "
                "-H 'Content-Type: application/xml')" if shown == _FORM else "")  # fmt: skip
        return (415, Refusal(error="unsupported_media_type", reason="content_type", detail=(
            f"Content-Type {shown} is not an XML message: send the message itself as the body, "
            f"as application/xml (or text/xml, application/*+xml, "
            f"application/octet-stream), or its JSON view as application/json{hint}")),
            {})  # fmt: skip
    return None


def _archive_refusal(headers: dict[str, str]) -> tuple[int, Refusal, dict[str, str]] | None:
    """A ZIP upload: no Content-Encoding (as any upload), and a ZIP media type or none."""
    declared = headers.get("content-type")
    if declared is None or not declared.strip() or media_type(declared) in ZIP_TYPES:
        return _refusal({k: v for k, v in headers.items() if k != "content-type"})
    shown = media_type(declared)[:60]
    detail = (
        f"Content-Type {shown} is not a ZIP archive: send the archive itself as the body, as "
        "application/zip (or application/x-zip-compressed, application/octet-stream)"
    )
    return (415, Refusal(error="unsupported_media_type", reason="content_type", detail=detail), {})


async def _answer(
    send: Send, status: int, body: Refusal, extra: dict[str, str], node: Node
) -> None:
    """The refusal in the shape every adapter refusal has (with the node's nearest code); the
    connection is closed, since the body the client may still be sending is not read."""
    shaped = {**body.model_dump(mode="json", exclude_none=True),
              **node_fields(node, body.error, body.reason)}  # fmt: skip
    content = json.dumps({"detail": shaped}, separators=(",", ":")).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(content)).encode()),
        (b"connection", b"close"),
        *((k.lower().encode(), v.encode()) for k, v in extra.items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content})
