"""The JSON view at the adapter's door: a JSON upload turned into its XML message before it is
judged, and an inbox message handed out as JSON to a client that asks for it.

The conversion itself is hub/domain/jsonview.py (docs/json.md). Only these two places pay for
it: an XML upload or download never touches xmlschema, and the Kafka topics and the ledger
only ever see the XML.
"""

from __future__ import annotations

import json
import logging
import weakref
from typing import Any, Final

from fastapi import Request, Response

from adapters.gate import json_media_type
from adapters.refusal import refuse
from hub.domain.jsonview import MEDIA_TYPE, JsonView, JsonViewError
from hub.domain.packs import PackRegistry

log = logging.getLogger(__name__)

# One view per pack registry (one per process in practice): its xmlschema objects are built
# on first use and kept for the process's life.
_VIEWS: Final[weakref.WeakKeyDictionary[PackRegistry, JsonView]] = weakref.WeakKeyDictionary()
# Refused as unreadable (not a message at all) rather than invalid (a message that fails).
_UNREADABLE: Final = frozenset({"not_json", "not_object", "no_message"})


def view(packs: PackRegistry) -> JsonView:
    found = _VIEWS.get(packs)
    if found is None:
        found = _VIEWS[packs] = JsonView(packs)
    return found


def is_json(request: Request) -> bool:
    """Whether an upload says it is JSON (`application/json` or any `application/*+json`)."""
    return json_media_type(request.headers.get("content-type"))


def wants_json(accept: str | None) -> bool:
    """Whether a download asks for JSON: `application/json` in Accept, ranked at least as high
    as any XML type it also lists (no Accept, `*/*` or XML alone keep the XML)."""
    json_q, xml_q = 0.0, 0.0
    for part in (accept or "").split(","):
        kind, _, params = part.partition(";")
        kind = kind.strip().lower()
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if kind == MEDIA_TYPE:
            json_q = max(json_q, q)
        elif kind in ("application/xml", "text/xml") or kind.endswith("+xml"):
            xml_q = max(xml_q, q)
    return json_q > 0 and json_q >= xml_q


def upload_xml(packs: PackRegistry, request: Request, body: bytes) -> bytes:
    """The upload's XML message: the body itself, or for a JSON upload the message it encodes
    (refused 400 in the adapters' refusal shape when it encodes none)."""
    if not is_json(request):
        return body
    try:
        return view(packs).encode(body)
    except JsonViewError as exc:
        error = "unreadable" if exc.reason in _UNREADABLE else "invalid"
        findings = [
            {"rule": f.rule, "level": int(f.level.value), "location": f.location,
             "sentence": f.sentence}
            for f in exc.findings
        ] or None  # fmt: skip
        refuse(400, error, exc.reason, exc.detail, findings=findings)


def download(packs: PackRegistry, accept: str | None, payload: bytes) -> Response:
    """An inbox message as the client's Accept header asks for it: its XML, or its JSON view."""
    if not wants_json(accept):
        return Response(content=payload, media_type="application/xml")
    try:
        data = view(packs).decode(payload)
    except ValueError as exc:
        # A message of a pack no longer loaded (a retired release still in an inbox): the
        # XML is all there is, and its Content-Type tells the client so (RFC 9110 lets a
        # server answer outside Accept rather than refuse a message it holds).
        log.info("inbox message has no JSON view, answered as XML: %s", str(exc)[:200])
        return Response(content=payload, media_type="application/xml")
    content = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(content=content, media_type=MEDIA_TYPE)


# A whole (minimal) WMO301 as its JSON view, the example of both directions on the OpenAPI
# page: a message the view takes (tests/adapter_api/test_json_view.py), made-up values, the
# BSN one of the test range.
EXAMPLE: Final[dict[str, Any]] = {
    "$message": "WMO301",
    "$release": "3.2",
    "Header": {
        "BerichtCode": "414", "BerichtVersie": 3, "BerichtSubversie": 2, "Afzender": "0363",
        "Ontvanger": "65656055",
        "BerichtIdentificatie": {"Identificatie": "A2025000123", "Dagtekening": "2025-03-03"},
        "XsdVersie": {"BasisschemaXsdVersie": "1.0.0", "BerichtXsdVersie": "1.0.0"},
    },
    "Client": {
        "Bsn": "999990019",
        "Geboortedatum": {"Datum": "1950-06-15"},
        "Geslacht": "2",
        "Naam": {"Geslachtsnaam": {"Achternaam": "Jansen"}, "NaamGebruik": "1"},
        "Contactgegevens": {"Contact": [{"Soort": "01"}]},
        "ToegewezenProducten": {"ToegewezenProduct": [{
            "ToewijzingNummer": 1, "Toewijzingsdatum": "2025-03-03",
            "Toewijzingstijd": "09:30:00", "Ingangsdatum": "2025-04-01",
        }]},
    },
}  # fmt: skip
_SCHEMA: Final = {
    "type": "object",
    "required": ["$message", "$release"],
    "description": "The message's JSON view: its schema per message is "
    "docs/json/<standard>-<release>/<MESSAGE>.schema.json (docs/json.md).",
}


def download_openapi() -> dict[str, Any]:
    """The download's 200 answer in OpenAPI: the XML, or the JSON view, each with its example."""
    return {
        "description": "The message: its XML, or with `Accept: application/json` its JSON view "
        "(docs/json.md).",
        "content": {
            "application/xml": {"schema": {"type": "string"}},
            MEDIA_TYPE: {"schema": _SCHEMA, "example": EXAMPLE},
        },
    }


def with_json_body(openapi: dict[str, Any]) -> dict[str, Any]:
    """The upload's OpenAPI request body with the JSON view added beside the XML types."""
    body = openapi["requestBody"]
    body["content"][MEDIA_TYPE] = {"schema": _SCHEMA, "example": EXAMPLE}
    body["description"] += (
        " Or its JSON view as application/json (docs/json.md), encoded to the XML message and "
        "judged as that XML."
    )
    return openapi
