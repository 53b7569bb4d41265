"""The upload door before any body is read: what encodings and media types it takes, and how
many uploads it handles at once (back-pressure instead of an unbounded queue)."""

from __future__ import annotations

import json
import logging
import time
from typing import Final

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
            await self.app(scope, receive, send)
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
