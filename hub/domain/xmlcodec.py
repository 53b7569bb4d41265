"""The one door for XML: a hardened parser in, deterministic bytes out, the readers re-exported.

Reading a parsed tree (local names, text, the routing envelope) lives in hub.domain.xmlread.
Its names are re-exported here (`__all__`) on purpose: XML has one door (design habit 6), and
some sixty modules reach it as `xmlcodec.<name>` or `from hub.domain.xmlcodec import ...`;
one import for everything XML keeps that door visible, and the split cost them no churn.
"""

from __future__ import annotations

import re
import threading
from enum import StrEnum
from functools import lru_cache
from typing import Final, cast

from lxml import etree

from hub.domain.xmlread import (
    Envelope,
    child,
    child_text,
    children_by_name,
    local_name,
    read_envelope,
    text_of,
)

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "E",
    "Envelope",
    "XmlRejectReason",
    "XmlRejected",
    "child",
    "child_text",
    "children_by_name",
    "local_name",
    "parse_message",
    "parse_schema_file",
    "read_envelope",
    "schema_parser",
    "serialize",
    "text_of",
]

MAX_BYTES: Final = 25 * 1024 * 1024  # the node limit (IB003 / IB012)
MAX_DEPTH: Final = 64  # iStandaarden messages nest about 8 deep; anything far deeper is hostile


class XmlRejectReason(StrEnum):
    EMPTY = "empty"
    TOO_LARGE = "too_large"
    NOT_WELL_FORMED = "not_well_formed"
    TRAILING_CONTENT = "trailing_content"
    DOCTYPE = "doctype"
    ENTITY = "entity"
    TOO_DEEP = "too_deep"
    ENCODING = "encoding"
    NOT_UTF8 = "not_utf8"
    NO_NAMESPACE = "no_namespace"


class XmlRejected(Exception):
    """The input is not a message the hub will read; `reason` says which door it failed."""

    def __init__(self, reason: XmlRejectReason, detail: str, line: int | None = None) -> None:
        super().__init__(reason, detail, line)  # all three, so the exception pickles
        self.reason = reason
        self.detail = detail
        self.line = line

    def __str__(self) -> str:
        return f"{self.reason.value}: {self.detail}"

    def __repr__(self) -> str:
        return f"XmlRejected({self.reason.value!r}, {self.detail!r}, line={self.line!r})"


# --- parsing -------------------------------------------------------------------------------

_UTF8_BOM: Final = b"\xef\xbb\xbf"
# UTF-32 first: its little-endian mark starts with the UTF-16 one.
_FOREIGN_BOMS: Final = (
    (b"\x00\x00\xfe\xff", "UTF-32BE", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "UTF-32LE", "utf-32-le"),
    (b"\xfe\xff", "UTF-16BE", "utf-16-be"),
    (b"\xff\xfe", "UTF-16LE", "utf-16-le"),
)
_ENCODING_DECL: Final = re.compile(
    r"""<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._:-]*)["']""", re.ASCII
)
_ENCODING_DECL_BYTES: Final = re.compile(
    rb"""<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._:-]*)["']"""
)
_SPACE: Final = re.compile(rb"[ \t\r\n]*")
_LXML_POSITION: Final = re.compile(r",? line \d+, column \d+\s*$")


class _Parsers(threading.local):
    """lxml parsers are not safe to share between threads; one hardened parser per thread."""

    def __init__(self) -> None:
        self.parser = etree.XMLParser(
            resolve_entities=False,  # an entity reference can never pull in content
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            attribute_defaults=False,  # would need the DTD
            huge_tree=False,  # keeps libxml2's own limits: depth 256, 10 MB per text node
            recover=False,
            collect_ids=False,
        )


_PARSERS: Final = _Parsers()


@lru_cache(maxsize=8)
def _deeper_than(max_depth: int) -> etree.XPath:
    # One location step per level: evaluated level by level in C, so cost follows the element
    # count and stops once a level is empty (~3 µs for a 3 KB message).
    return etree.XPath("boolean(/*" + "/*" * max_depth + ")")


def parse_message(
    data: bytes, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH
) -> etree._Element:
    """Parse one iStandaarden message, or raise XmlRejected with a specific reason.

    Refused: empty input, input over `max_bytes` (checked before parsing), anything not
    UTF-8, any DOCTYPE (so no DTD and no entity declarations: XXE and entity expansion
    attacks never reach the parser), undeclared entity references, nesting deeper than
    `max_depth`, text or elements after the root, and a root without namespace.
    XInclude is never processed: nothing here calls `xinclude()`.
    """
    if len(data) > max_bytes:
        raise XmlRejected(
            XmlRejectReason.TOO_LARGE,
            f"input is {len(data)} bytes; the limit is {max_bytes} bytes",
        )
    _check_encoding(data)
    body = data[len(_UTF8_BOM) :] if data.startswith(_UTF8_BOM) else data
    if not body or body.isspace():
        raise XmlRejected(XmlRejectReason.EMPTY, "input is empty or only whitespace")
    _refuse_doctype(body)
    root = _parse(data)
    # Belt and braces: the prolog scan above should already have refused any DOCTYPE.
    if getattr(root.getroottree().docinfo, "doctype", ""):
        raise XmlRejected(XmlRejectReason.DOCTYPE, "DOCTYPE declarations are not allowed")
    if _deeper_than(max_depth)(root):
        raise XmlRejected(
            XmlRejectReason.TOO_DEEP, f"elements are nested deeper than {max_depth} levels"
        )
    if not isinstance(root.tag, str) or not root.tag.startswith("{"):
        raise XmlRejected(
            XmlRejectReason.NO_NAMESPACE,
            f"root element <{local_name(root)}> has no namespace",
            cast("int | None", root.sourceline),
        )
    return root


def _check_encoding(data: bytes) -> None:
    for bom, label, codec in _FOREIGN_BOMS:
        if data.startswith(bom):
            claim = _declared_encoding(data[len(bom) : len(bom) + 1024].decode(codec, "replace"))
            lie = _lie(claim, label)
            raise XmlRejected(
                XmlRejectReason.ENCODING,
                f"input is {label} (byte-order mark){lie}; only UTF-8 is accepted",
                1,
            )
    if b"\x00" in data[:4]:
        # '<' next to NUL bytes is how UTF-16/32 without a byte-order mark starts.
        guess = "UTF-16LE" if data[1:2] == b"\x00" else "UTF-16BE"
        if data[:4] in (b"<\x00\x00\x00", b"\x00\x00\x00<"):
            guess = "UTF-32"
        claim = _declared_encoding(data[:1024].replace(b"\x00", b"").decode("ascii", "replace"))
        lie = _lie(claim, guess)
        raise XmlRejected(
            XmlRejectReason.ENCODING,
            f"input looks like {guess} without a byte-order mark{lie}; only UTF-8 is accepted",
            1,
        )
    head = data[len(_UTF8_BOM) :] if data.startswith(_UTF8_BOM) else data
    claim = None
    if head.startswith(b"<?xml"):
        # Hot path: the usual declaration is found in the raw bytes without decoding.
        found = _ENCODING_DECL_BYTES.match(head, 0, head.find(b"?>", 0, 1024) + 2 or 1024)
        claim = found.group(1).decode("ascii") if found else None
    if claim is not None and claim.lower() != "utf-8":
        raise XmlRejected(
            XmlRejectReason.ENCODING,
            f"XML declaration names encoding {claim!r}; only UTF-8 is accepted",
            1,
        )
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise XmlRejected(
            XmlRejectReason.NOT_UTF8,
            f"invalid UTF-8 byte sequence at byte offset {exc.start} (line {line})",
            line,
        ) from None


def _lie(claim: str | None, actual: str) -> str:
    """Names a declaration that contradicts the bytes (UTF-16 bytes declared as UTF-8)."""
    if claim is None or claim.upper().replace("-", "").startswith(actual[:5].replace("-", "")):
        return ""
    return f" although its XML declaration claims {claim!r}"


def _declared_encoding(head: str) -> str | None:
    if not head.startswith("<?xml"):
        return None
    match = _ENCODING_DECL.match(head, 0, head.find("?>") + 2 if "?>" in head else len(head))
    return match.group(1) if match else None


def _refuse_doctype(body: bytes) -> None:
    # A DOCTYPE may only follow the XML declaration, comments, PIs and whitespace: skip those
    # (C-speed find, so a huge comment costs one pass) and look at what comes next.
    at = 0
    while True:
        at = _SPACE.match(body, at).end()  # type: ignore[union-attr]  # `*` always matches
        if body.startswith(b"<!--", at):
            end, close = body.find(b"-->", at + 4), 3
        elif body.startswith(b"<?", at):
            end, close = body.find(b"?>", at + 2), 2
        else:
            break
        if end < 0:
            return  # unterminated: the parser reports it
        at = end + close
    if body.startswith(b"<!DOCTYPE", at):
        line = body.count(b"\n", 0, at) + 1
        raise XmlRejected(
            XmlRejectReason.DOCTYPE, f"DOCTYPE declarations are not allowed (line {line})", line
        )


def _parse(data: bytes) -> etree._Element:
    try:
        root = etree.fromstring(data, _PARSERS.parser)
    except etree.XMLSyntaxError as exc:
        raise _from_syntax_error(exc) from None
    except Exception as exc:  # blind: the door never leaks a parser-internal exception type
        raise XmlRejected(
            XmlRejectReason.NOT_WELL_FORMED, f"XML parser failed: {type(exc).__name__}: {exc}"
        ) from None
    if not isinstance(root, etree._Element):
        raise XmlRejected(XmlRejectReason.NOT_WELL_FORMED, "input has no root element")
    return root


def _from_syntax_error(exc: etree.XMLSyntaxError) -> XmlRejected:
    code = getattr(exc, "code", None)
    message = _LXML_POSITION.sub("", str(exc.msg or exc)).strip()
    line = exc.lineno if isinstance(exc.lineno, int) and exc.lineno > 0 else None
    where = f" (line {line})" if line else ""
    types = etree.ErrorTypes
    if code == types.ERR_RESOURCE_LIMIT:
        if "depth" in message.lower():
            return XmlRejected(
                XmlRejectReason.TOO_DEEP, f"elements are nested too deeply: {message}{where}", line
            )
        return XmlRejected(
            XmlRejectReason.TOO_LARGE,
            f"a text or attribute value exceeds the parser's 10,000,000-byte limit{where}",
            line,
        )
    if code == types.ERR_DOCUMENT_END:
        return XmlRejected(
            XmlRejectReason.TRAILING_CONTENT,
            f"content after the root element is not allowed{where}",
            line,
        )
    if code in _ENTITY_ERRORS:
        return XmlRejected(
            XmlRejectReason.ENTITY, f"entity references are not allowed: {message}{where}", line
        )
    if code in _ENCODING_ERRORS:
        return XmlRejected(XmlRejectReason.NOT_UTF8, f"{message}{where}", line)
    return XmlRejected(XmlRejectReason.NOT_WELL_FORMED, f"not well-formed: {message}{where}", line)


_ENTITY_ERRORS: Final = frozenset(
    {
        etree.ErrorTypes.ERR_UNDECLARED_ENTITY,
        etree.ErrorTypes.WAR_UNDECLARED_ENTITY,
        etree.ErrorTypes.ERR_ENTITY_LOOP,
        etree.ErrorTypes.ERR_ENTITYREF_SEMICOL_MISSING,
        etree.ErrorTypes.ERR_ENTITY_PE_INTERNAL,
        etree.ErrorTypes.ERR_ENTITY_IS_EXTERNAL,
        etree.ErrorTypes.ERR_ENTITY_IS_PARAMETER,
        etree.ErrorTypes.ERR_UNPARSED_ENTITY,
        etree.ErrorTypes.ERR_EXT_ENTITY_STANDALONE,
    }
)
_ENCODING_ERRORS: Final = frozenset(
    {
        etree.ErrorTypes.ERR_INVALID_ENCODING,
        etree.ErrorTypes.ERR_UNKNOWN_ENCODING,
        etree.ErrorTypes.ERR_UNSUPPORTED_ENCODING,
    }
)


def schema_parser(resolver: etree.Resolver) -> etree.XMLParser:
    """The parser for schema files (XSD) of a pack: no network, no DTD, no entity expansion;
    imports and includes reach only what `resolver` serves (the pack's own folder)."""
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
    )
    parser.resolvers.add(resolver)
    return parser


def parse_schema_file(data: bytes, parser: etree.XMLParser, base_url: str) -> etree._Element:
    """Parse one schema document with a parser from `schema_parser`; XMLSyntaxError on bad
    input (the pack loader turns it into an error naming the file)."""
    return etree.fromstring(data, parser, base_url=base_url)


# --- writing ---------------------------------------------------------------------------------

_DECLARATION: Final = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def serialize(root: etree._Element) -> bytes:
    """UTF-8 bytes with an XML declaration; the same tree always gives the same bytes."""
    return _DECLARATION + etree.tostring(
        root, encoding="UTF-8", xml_declaration=False, with_tail=False
    )


def E(
    ns: str, tag: str, *children: etree._Element | None, text: str | None = None
) -> etree._Element:
    """Build `{ns}tag` with the message namespace as default namespace; None children are
    skipped so optional elements can be written inline."""
    el = etree.Element(f"{{{ns}}}{tag}", nsmap={None: ns})  # type: ignore[dict-item]
    if text is not None:
        el.text = text
    for c in children:
        if c is not None:
            el.append(c)
    return el
