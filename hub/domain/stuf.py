"""Reading the GGk-like door's SOAP requests: a StUF-GGk 2.1 envelope (ggk_Di01, ggk_Du01) or a
StUF Fo01 in a SOAP 1.1 body, checked against the hub's own envelope schemas (pure).

The facts are nodes.md §1 and §3; the schemas the hub wrote from them are hub/nodeschemas/ggk0210/.
Parsing goes through the one hardened door (hub/domain/xmlcodec.py), so a DOCTYPE or an entity
(an XML bomb) in the envelope is refused before anything else; the payload inside is parsed by
the same door later, in the acceptance path every upload takes. Building answers and outgoing
envelopes is hub/domain/stufwrite.py.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Final, cast

from lxml import etree

from hub.domain import xmlcodec

GGK_NS: Final = "http://www.stufstandaarden.nl/koppelvlak/ggk0210"
STUF_NS: Final = "http://www.egem.nl/StUF/StUF0301"
SOAP_NS: Final = "http://schemas.xmlsoap.org/soap/envelope/"
SCHEMA_DIR: Final = Path(__file__).resolve().parents[1] / "nodeschemas" / "ggk0210"
SCHEMA_FILES: Final = ("ggk0210.xsd", "stuf0301.xsd")

MAX_PAYLOAD_BYTES: Final = 25 * 1024 * 1024  # the node limit on the decoded message (IB003)
# The envelope carries the payload as base64 (4 characters per 3 bytes) plus its stuurgegevens:
# a body longer than this cannot hold a payload within the limit, so it is refused unread.
MAX_ENVELOPE_BYTES: Final = MAX_PAYLOAD_BYTES * 4 // 3 + 1024 * 1024
_REFNUMMER_MAX: Final = 40  # StUF:Refnummer's maxLength (stuf0301.xsd)


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation of port type OntvangAsynchroon (nodes.md §1's table)."""

    name: str
    action: str  # its SOAPAction
    element: str  # the request's root element as {namespace}local
    berichtcode: str


DI01: Final = Operation(
    "ggk_Di01", f"{GGK_NS}/ggk_Di01", f"{{{GGK_NS}}}envelopHeenbericht-ggk_Di01", "Di01"
)
DU01: Final = Operation(
    "ggk_Du01", f"{GGK_NS}/ggk_Du01", f"{{{GGK_NS}}}envelopRetourbericht-ggk_Du01", "Du01"
)
FO01: Final = Operation("Fo01", f"{STUF_NS}/Fo01", f"{{{STUF_NS}}}Fo01Bericht", "Fo01")
OPERATIONS: Final = (DI01, DU01, FO01)


class StufRefused(Exception):
    """A request the door refuses at once: `error`/`reason` as the adapters' refusals name them
    (hub/domain/nodecodes.py gives the Fo03 code), `detail` for the caller."""

    def __init__(self, error: str, reason: str, detail: str) -> None:
        super().__init__(error, reason, detail)
        self.error, self.reason, self.detail = error, reason, detail


@dataclass(frozen=True, slots=True)
class Systeem:
    organisatie: str | None
    applicatie: str
    administratie: str | None = None
    gebruiker: str | None = None


@dataclass(frozen=True, slots=True)
class Stuurgegevens:
    berichtcode: str
    zender: Systeem
    ontvanger: Systeem
    referentienummer: str
    tijdstip: str
    cross: str | None = None  # crossRefnummer: a Du01's Di01, a Fo01's faulty message
    functie: str | None = None  # Di01/Du01 only, e.g. WMO301


@dataclass(frozen=True, slots=True)
class Request:
    """What a SOAP request said: its operation, stuurgegevens and (Di01/Du01) decoded message."""

    operation: Operation
    stuurgegevens: Stuurgegevens
    payload: bytes = b""  # xmlBestand or tekstBestand, decoded
    text_file: str | None = None  # tekstBestand's bestandsnaam (not an iStandaarden message)
    fault_code: str | None = None  # a Fo01's body/code
    fault_text: str | None = None  # a Fo01's body/omschrijving


def operation_of(action: str | None) -> Operation | None:
    """The operation a SOAPAction header names (quoted or not, as SOAP 1.1 clients send it)."""
    wanted = (action or "").strip().strip('"')
    return next((op for op in OPERATIONS if op.action == wanted), None)


class _Resolver(etree.Resolver):
    """Schema imports reach only the door's own schema folder (never the network)."""

    def resolve(self, system_url: str, public_id: str, context: Any = None) -> Any:
        name = Path(system_url).name
        if name not in SCHEMA_FILES:
            return self.resolve_string(b"", context, base_url=system_url)  # nothing outside
        path = SCHEMA_DIR / name
        return self.resolve_string(path.read_bytes(), context, base_url=str(path))


@lru_cache(maxsize=1)
def schema() -> etree.XMLSchema:
    """The envelope schemas (GGK and StUF namespaces) as one validator."""
    parser = xmlcodec.schema_parser(_Resolver())
    path = SCHEMA_DIR / "ggk0210.xsd"
    root = xmlcodec.parse_schema_file(path.read_bytes(), parser, str(path))
    return etree.XMLSchema(root)


def read_request(body: bytes, action: str | None) -> Request:
    """The request in `body`, sent with SOAPAction `action`, or StufRefused saying why not."""
    if len(body) > MAX_ENVELOPE_BYTES:
        raise StufRefused("too_large", "too_large", "the envelope cannot hold a message of at "
                          "most 25 MB (its body is larger)")  # fmt: skip
    body, lifted = _lift(body)
    try:
        root = xmlcodec.parse_message(body, max_bytes=MAX_ENVELOPE_BYTES)
    except xmlcodec.XmlRejected as exc:
        raise StufRefused(
            "unreadable", exc.reason.value, f"the SOAP request: {exc.detail}"
        ) from None
    if root.tag != f"{{{SOAP_NS}}}Envelope":
        raise StufRefused("envelope", "not_an_envelope", "the body is not a SOAP 1.1 Envelope")
    soap_body = [c for c in root if c.tag == f"{{{SOAP_NS}}}Body"]
    content = [c for c in soap_body[0] if isinstance(c.tag, str)] if len(soap_body) == 1 else []
    if len(content) != 1:
        raise StufRefused("envelope", "not_an_envelope", "the SOAP Body must hold exactly one "
                          "element: a ggk_Di01 or ggk_Du01 envelope or a Fo01")  # fmt: skip
    element = content[0]
    operation = next((op for op in OPERATIONS if op.element == element.tag), None)
    if operation is None:
        raise StufRefused("envelope", "not_an_envelope", f"<{xmlcodec.local_name(element)}> is "
                          "not a ggk_Di01 or ggk_Du01 envelope nor a Fo01")  # fmt: skip
    asked = operation_of(action)
    if action and asked is not operation:
        raise StufRefused("envelope", "action_mismatch", f"SOAPAction {action.strip()} does not "
                          f"name the body's operation {operation.name}")  # fmt: skip
    # The message first: bad base64 or an oversized message get their own fault, not the
    # schema's (xs:base64Binary would report either as a schema error).
    inner = next(element.iter(f"{{{GGK_NS}}}xmlBestand", f"{{{GGK_NS}}}tekstBestand"), None)
    text = lifted if lifted is not None else xmlcodec.text_of(inner)
    payload = _decoded(text) if inner is not None else b""
    validator = schema()
    if not validator.validate(element):
        first = next(iter(cast("list[etree._LogEntry]", validator.error_log)))
        raise StufRefused("envelope", "schema", f"line {first.line}: {first.message}")
    sg = _stuurgegevens(xmlcodec.child(element, "stuurgegevens"))
    if operation is FO01:
        fout = xmlcodec.child(element, "body")
        return Request(operation, sg, fault_code=xmlcodec.child_text(fout, "code"),
                       fault_text=xmlcodec.child_text(fout, "omschrijving"))  # fmt: skip
    assert inner is not None  # the schema requires one
    if xmlcodec.local_name(inner) == "tekstBestand":
        return Request(operation, sg, payload, text_file=inner.get("bestandsnaam"))
    return Request(operation, sg, payload)


def referentienummer_of(body: bytes) -> str | None:
    """Best effort, for a fault's crossRefnummer: the referentienummer in the stuurgegevens of
    the SOAP request in `body`, also where it failed its schema or came without a good
    certificate; None where none can be read (no envelope, or not a Refnummer: 1-40 characters).
    """
    try:
        root = xmlcodec.parse_message(_lift(body)[0], max_bytes=MAX_ENVELOPE_BYTES)
    except xmlcodec.XmlRejected:
        return None
    soap_body = root.find(f"{{{SOAP_NS}}}Body") if root.tag == f"{{{SOAP_NS}}}Envelope" else None
    if soap_body is None:
        return None
    content = next((c for c in soap_body if isinstance(c.tag, str)), None)
    text = xmlcodec.child_text(content, "stuurgegevens", "referentienummer")
    return text if text and len(text) <= _REFNUMMER_MAX else None


_BASE64_SPACE: Final = re.compile(rb"\s+")
# The hardened parser keeps libxml2's 10 MB limit per text node, which a message over 7.5 MB
# passes in base64. Such a run of base64 characters is lifted out before parsing and a short
# stand-in parsed and validated in its place: it can hold no markup, so nothing is read
# unparsed that could be XML.
_LIFT_MIN: Final = 1024 * 1024
_BLOB: Final = re.compile(
    rb"(<(?:[A-Za-z_][A-Za-z0-9_.-]*:)?(?:xmlBestand|tekstBestand)\b[^<>]*>)"
    rb"([A-Za-z0-9+/=\s]{%d,})(</)" % _LIFT_MIN
)


def _lift(body: bytes) -> tuple[bytes, str | None]:
    """The body with a large base64 message replaced by a stand-in, and that message's text."""
    if len(body) < _LIFT_MIN:
        return body, None
    found = _BLOB.search(body)
    if found is None:
        return body, None
    text = found.group(2).decode("ascii")
    return body[: found.start(2)] + b"AAAA" + body[found.end(2) :], text


def _decoded(text: str | None) -> bytes:
    """The base64 content, strictly decoded (line breaks allowed), within the node limit."""
    data = _BASE64_SPACE.sub(b"", (text or "").encode("ascii", "replace"))
    if len(data) * 3 // 4 > MAX_PAYLOAD_BYTES + 2:
        raise StufRefused("too_large", "too_large", "the message is larger than 25 MB decoded")
    try:
        payload = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise StufRefused("envelope", "base64", "the message in the envelope is not valid "
                          "base64") from None  # fmt: skip
    if not payload:
        raise StufRefused("envelope", "base64", "the envelope's message is empty")
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise StufRefused("too_large", "too_large", "the message is larger than 25 MB decoded")
    return payload


def _systeem(element: etree._Element | None) -> Systeem:
    return Systeem(
        organisatie=xmlcodec.child_text(element, "organisatie"),
        applicatie=xmlcodec.child_text(element, "applicatie") or "",
        administratie=xmlcodec.child_text(element, "administratie"),
        gebruiker=xmlcodec.child_text(element, "gebruiker"),
    )


def _stuurgegevens(element: etree._Element | None) -> Stuurgegevens:
    return Stuurgegevens(
        berichtcode=xmlcodec.child_text(element, "berichtcode") or "",
        zender=_systeem(xmlcodec.child(element, "zender")),
        ontvanger=_systeem(xmlcodec.child(element, "ontvanger")),
        referentienummer=xmlcodec.child_text(element, "referentienummer") or "",
        tijdstip=xmlcodec.child_text(element, "tijdstipBericht") or "",
        cross=xmlcodec.child_text(element, "crossRefnummer"),
        functie=xmlcodec.child_text(element, "functie"),
    )


def functie_problem(functie: str | None, namespace: str) -> str | None:
    """Why the envelope's functie (e.g. WMO301) does not name the payload whose root namespace
    is `namespace` (…/iwmo/3_2/wmo301/schema), or None when it does."""
    parts = namespace.rstrip("/").split("/")
    segment = parts[-2] if len(parts) >= 2 and parts[-1] == "schema" else ""
    if functie and segment and functie.lower() == segment:
        return None
    return (
        f"the envelope's functie {functie or '(none)'} does not match its message "
        f"({segment.upper() or 'not an iStandaarden message'})"
    )


def answer_of(body: bytes) -> tuple[str, str | None]:
    """What a receiver answered a delivered envelope: ("Bv03", its crossRefnummer) or
    ("Fo03", its code) or ("other", None) for anything else (a failed attempt too)."""
    try:
        root = xmlcodec.parse_message(body, max_bytes=1024 * 1024)
    except xmlcodec.XmlRejected:
        return "other", None
    for element in root.iter(f"{{{STUF_NS}}}Bv03Bericht", f"{{{STUF_NS}}}Fo03Bericht"):
        sg = xmlcodec.child(element, "stuurgegevens")
        if xmlcodec.local_name(element) == "Bv03Bericht":
            return "Bv03", xmlcodec.child_text(sg, "crossRefnummer")
        return "Fo03", xmlcodec.child_text(xmlcodec.child(element, "body"), "code")
    return "other", None
