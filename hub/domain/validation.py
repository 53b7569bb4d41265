"""The validation engine: one verdict per message from the hardened parser, the schema packs
(compiled once) and the in-message rules. Never raises on bad input; every problem is a
finding with a rule id, a place and a sentence."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import cached_property
from typing import Final, cast
from zoneinfo import ZoneInfo

from lxml import etree

from hub.domain import rules, xmlcodec
from hub.domain.findings import Finding, Level
from hub.domain.messages import MessageType
from hub.domain.packs import PackMessage, PackRegistry
from hub.domain.rules.base import path_of

AMSTERDAM: Final = ZoneInfo("Europe/Amsterdam")

# Rule ids for what happens before the iStandaarden rules can run. They have no retourcode:
# such a message gets no retour, its sender hears it from the node (as IB001/IB014/BRS13).
RULE_XML: Final = "XML"  # not readable XML, or hostile XML
RULE_PACK: Final = "PACK"  # no loaded pack for the namespace / release
RULE_CODE: Final = "BERICHTCODE"  # right namespace, wrong BerichtCode
RULE_XSD: Final = "XSD"
NO_RETOURCODE: Final = ""
_VERSIONS_CHECKED: Final = frozenset({"CS025", "CS015"})


class Outcome(StrEnum):
    VALID = "valid"
    INVALID = "invalid"  # schema or rules say no; a retour may answer it (not for XSD)
    UNKNOWN = "unknown"  # no pack knows this namespace, release or BerichtCode
    UNREADABLE = "unreadable"  # not XML, hostile XML, too large, too deep, wrong encoding


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    findings: tuple[Finding, ...]
    pack_message: PackMessage | None = field(default=None, repr=False)
    root: etree._Element | None = field(default=None, repr=False, compare=False)
    # The root's Header children by local name, as validation read them (for the envelope).
    header: Mapping[str, etree._Element] | None = field(default=None, repr=False, compare=False)

    @cached_property
    def envelope(self) -> xmlcodec.Envelope | None:
        """The routing envelope, read on first use: validation alone does not need it."""
        return xmlcodec.read_envelope(self.root, self.header) if self.root is not None else None

    @property
    def valid(self) -> bool:
        return self.outcome is Outcome.VALID

    @property
    def message_type(self) -> MessageType | None:
        return self.pack_message.message_type if self.pack_message else None

    @cached_property
    def answerable(self) -> bool:
        """Whether the standard answers this verdict with a retour: the message was read and
        schema-valid (an XSD failure is answered by the node, not by a retour; IV028)."""
        return self.pack_message is not None and not any(
            f.level is Level.XSD for f in self.findings
        )


def today_in_amsterdam() -> date:
    return datetime.now(AMSTERDAM).date()


_VALUE_QUOTE: Final = re.compile(r"[Tt]he value '[^']*'")
_ATOMIC: Final = re.compile(r"'[^']*' is not a valid value")
_CLARK: Final = re.compile(r"\{[a-z][a-z0-9+.-]*:[^}]*\}")


def _sentence(message: str, element: etree._Element | None) -> str:
    """lxml's message without namespaces and without the offending value: a value may be a
    BSN or a birth date, and findings are logged and returned to parties."""
    text = _CLARK.sub("", message)
    text = _VALUE_QUOTE.sub("The value", text)
    text = _ATOMIC.sub("the value is not a valid value", text)
    if element is not None and element.text and element.text.strip():
        text = text.replace(element.text.strip(), "…")
    return text


class Validator:
    """Validates messages against the loaded packs and in-message rules.

    Not thread-safe: compiled lxml schemas keep an error log per object. Use one validator
    per thread (the hub's processes are single-threaded asyncio).
    """

    def __init__(
        self,
        packs: PackRegistry,
        *,
        clock: Callable[[], date] = today_in_amsterdam,
        max_bytes: int = xmlcodec.MAX_BYTES,
    ) -> None:
        self.packs = packs
        self.clock = clock
        self.max_bytes = max_bytes

    def validate(self, data: bytes) -> Verdict:
        try:
            root = xmlcodec.parse_message(data, max_bytes=self.max_bytes)
        except xmlcodec.XmlRejected as exc:
            where = f"line {exc.line}" if exc.line else "/"
            finding = Finding(
                rule=f"{RULE_XML}:{exc.reason.value}",
                retourcode=NO_RETOURCODE,
                level=Level.XSD,
                location=where,
                sentence=exc.detail,
            )
            return Verdict(Outcome.UNREADABLE, (finding,))
        return self.validate_tree(root)

    def validate_tree(self, root: etree._Element) -> Verdict:
        tag = root.tag if isinstance(root.tag, str) else ""
        namespace = tag[1 : tag.find("}")] if tag.startswith("{") else None
        matched = self.packs.match(namespace) if namespace else None
        if matched is None:
            return self._unknown(root, self._no_pack_sentence(xmlcodec.read_envelope(root)))
        # Only what matching needs is read here; the full envelope is read when asked for.
        header = xmlcodec.children_by_name(xmlcodec.child(root, "Header"))
        pack = matched.pack
        versions = (
            xmlcodec.text_of(header.get("BerichtVersie")),
            xmlcodec.text_of(header.get("BerichtSubversie")),
        )
        expected = (str(pack.bericht_versie), str(pack.bericht_subversie))
        if (
            pack.bericht_versie is not None
            and versions != expected  # fast path: the usual, canonical "3" / "2"
            and _as_int_str(versions) != expected
        ):
            return self._unknown(
                root,
                f"BerichtVersie/BerichtSubversie {versions[0]}/{versions[1]} is not release "
                f"{pack.release} of {pack.standard.value} ({expected[0]}/{expected[1]}); "
                "no loaded pack has that release",
                location="/Bericht/Header/BerichtVersie",
                header=header,
            )
        bericht_code = xmlcodec.text_of(header.get("BerichtCode"))
        if bericht_code != matched.bericht_code:
            finding = Finding(
                rule=RULE_CODE,
                retourcode=NO_RETOURCODE,
                level=Level.XSD,
                location="/Bericht/Header/BerichtCode",
                sentence=f"BerichtCode {bericht_code or '(missing)'} does not belong "
                f"to {matched.name} (expected {matched.bericht_code})",
            )
            return Verdict(Outcome.UNKNOWN, (finding,), matched, root, header)

        schema = matched.schema
        if not schema.validate(root):
            xsd = self._xsd_findings(schema, root)
            return Verdict(Outcome.INVALID, xsd, matched, root, header)
        # The header versions were matched to the pack above: CS025/CS015 cannot fail here.
        found = rules.check_message(
            root, matched.name, today=self.clock(), skip=_VERSIONS_CHECKED, header=header
        )
        return Verdict(Outcome.INVALID if found else Outcome.VALID, found, matched, root, header)

    def _unknown(
        self,
        root: etree._Element,
        sentence: str,
        location: str = "/Bericht",
        header: Mapping[str, etree._Element] | None = None,
    ) -> Verdict:
        finding = Finding(RULE_PACK, NO_RETOURCODE, Level.XSD, location, sentence)
        return Verdict(Outcome.UNKNOWN, (finding,), None, root, header)

    def _no_pack_sentence(self, envelope: xmlcodec.Envelope) -> str:
        if envelope.standard is None:
            return f"namespace {envelope.namespace!r} is not an iStandaarden message namespace"
        known = self.packs.releases(envelope.standard)
        if envelope.release not in known:
            listed = ", ".join(known) or "none"
            return (
                f"release {envelope.release} of {envelope.standard.value} is not loaded "
                f"(loaded: {listed})"
            )
        return f"{envelope.standard.value} {envelope.release} has no message {envelope.segment}"

    def _xsd_findings(self, schema: etree.XMLSchema, root: etree._Element) -> tuple[Finding, ...]:
        tree = root.getroottree()
        out: list[Finding] = []
        # lxml-stubs lack _ErrorLog.__iter__; at runtime it yields _LogEntry objects.
        for error in cast("Iterable[etree._LogEntry]", schema.error_log):
            element: etree._Element | None = None
            if error.path:
                try:
                    hits = tree.xpath(error.path)
                except etree.XPathError:
                    hits = []
                if isinstance(hits, list) and hits and isinstance(hits[0], etree._Element):
                    element = hits[0]
            location = path_of(element) if element is not None else f"line {error.line}"
            out.append(
                Finding(
                    RULE_XSD,
                    NO_RETOURCODE,
                    Level.XSD,
                    location,
                    _sentence(error.message, element),
                )
            )
        return tuple(out)


def _as_int_str(values: tuple[str | None, str | None]) -> tuple[str, str]:
    """Header versions compared as numbers ("03" is 3); unreadable ones stay as they are."""
    out: list[str] = []
    for v in values:
        text = (v or "").strip()
        out.append(str(int(text)) if text.isdigit() else text)
    return out[0], out[1]
