"""Reads the XSDs of one pack folder: locked-down parsing, case-blind imports, inference."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from lxml import etree

from hub.domain import xmlcodec
from hub.domain.errors import ConfigError
from hub.domain.messages import CATALOGUE, MessageType, Standard

XS: Final = "http://www.w3.org/2001/XMLSchema"
BASISSCHEMA_SEGMENT: Final = "basisschema"
_NS: Final = {"xs": XS}
# http://www.istandaarden.nl/<std>/<major>_<minor>/<segment>/schema
_NAMESPACE: Final = re.compile(
    r"^http://www\.istandaarden\.nl/(?P<std>[a-z]+)/(?P<major>\d+)_(?P<minor>\d+)"
    r"/(?P<segment>[a-z0-9]+)/schema$"
)
_CODE: Final = re.compile(r"[0-9A-Za-z]{1,4}")


class PackError(ConfigError):
    """A pack folder cannot be used: missing file, XSD that does not compile, unknown namespace."""


@dataclass(frozen=True, slots=True)
class ParsedNamespace:
    standard: Standard
    release: str  # "3.2"
    segment: str  # "wmo305", "basisschema"


def parse_namespace(namespace: str) -> ParsedNamespace | None:
    """Standard, release and segment of an iStandaarden namespace; None if it is not one."""
    m = _NAMESPACE.match(namespace)
    if m is None:
        return None
    try:
        standard = Standard(m["std"])
    except ValueError:
        return None
    return ParsedNamespace(standard, f"{m['major']}.{m['minor']}", m["segment"])


class _FolderResolver(etree.Resolver):
    """Resolves schemaLocation to files of one folder only, ignoring case.

    Official downloads import `basisschema.xsd` while shipping `Basisschema.xsd`; on a
    case-sensitive file system that import would fail. Anything outside the folder (another
    directory, http, …) is refused and remembered, so the error can say what was asked for.
    """

    def __init__(self, folder: Path, index: dict[str, Path]) -> None:
        super().__init__()
        self._folder = folder
        self._index = index
        self.refused: list[str] = []

    def resolve(self, system_url: str, public_id: str, context: Any = None) -> Any:
        target = self._local(system_url)
        if target is None:
            self.refused.append(system_url)
            return self.resolve_string(b"", context, base_url=system_url)
        return self.resolve_string(target.read_bytes(), context, base_url=str(target))

    def _local(self, url: str) -> Path | None:
        parts = urlsplit(url)
        if parts.scheme not in ("", "file") and len(parts.scheme) > 1:
            return None  # a network scheme; a one-letter scheme is a Windows drive
        raw = Path(unquote(parts.path) if parts.scheme == "file" else url)
        if raw.is_absolute() and raw.parent.resolve() != self._folder:
            return None
        return self._index.get(raw.name.lower())


@dataclass(frozen=True, slots=True)
class MessageXsd:
    """What one message XSD says about itself, and its compiled schema."""

    path: Path
    ns: ParsedNamespace
    message_type: MessageType
    bericht_code: str
    versie: int | None
    subversie: int | None
    xsd_versie: str | None
    basis_xsd_versie: str | None
    schema: etree.XMLSchema


@dataclass(frozen=True, slots=True)
class BasisXsd:
    """The basisschema of a folder: only its namespace and version matter to the registry."""

    path: Path
    ns: ParsedNamespace
    xsd_versie: str | None


class FolderReader:
    """Parses and compiles the XSDs of one folder with a parser that cannot reach out."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()
        if not self.folder.is_dir():
            raise PackError(f"pack directory {folder} does not exist")
        self.index = {p.name.lower(): p for p in sorted(self.folder.iterdir()) if p.is_file()}
        self._resolver = _FolderResolver(self.folder, self.index)
        # No network, no DTD, no entity expansion: an XSD only ever reaches its own folder.
        self._parser = xmlcodec.schema_parser(self._resolver)

    def find(self, name: str) -> Path:
        path = self.index.get(name.lower())
        if path is None:
            raise PackError(f"{self.folder / name}: file not found")
        return path

    def xsd_files(self) -> list[Path]:
        return [p for name, p in sorted(self.index.items()) if name.endswith(".xsd")]

    def read(self, path: Path) -> MessageXsd | BasisXsd:
        """A compiled message XSD, or what the basisschema says about itself.

        The basisschema is compiled as part of every message that imports it.
        """
        doc = self._parse(path)
        ns = _target_namespace(path, doc)
        if ns.segment == BASISSCHEMA_SEGMENT:
            return BasisXsd(path, ns, _appinfo(doc, "BasisschemaXsdVersie"))
        mt = CATALOGUE.get(ns.segment.upper())
        if mt is None or mt.standard is not ns.standard:
            raise PackError(f"{path}: namespace names unknown {ns.standard.value} message")
        code = _fixed_value(doc, "BerichtCode")
        if code is None:
            raise PackError(f"{path}: Header/BerichtCode is not fixed by a pattern")
        return MessageXsd(
            path=path,
            ns=ns,
            message_type=mt,
            bericht_code=code,
            versie=_as_int(path, "BerichtVersie", _fixed_value(doc, "BerichtVersie")),
            subversie=_as_int(path, "BerichtSubversie", _fixed_value(doc, "BerichtSubversie")),
            xsd_versie=_appinfo(doc, "BerichtXsdVersie"),
            basis_xsd_versie=_appinfo(doc, "BasisschemaXsdVersie"),
            schema=self._compile(path, doc),
        )

    def _parse(self, path: Path) -> etree._Element:
        try:
            return xmlcodec.parse_schema_file(path.read_bytes(), self._parser, str(path))
        except (OSError, etree.XMLSyntaxError) as exc:
            raise PackError(f"{path}: cannot read XSD: {exc}") from None

    def _compile(self, path: Path, doc: etree._Element) -> etree.XMLSchema:
        self._resolver.refused.clear()
        try:
            return etree.XMLSchema(doc)
        except etree.XMLSchemaParseError as exc:
            refused = self._resolver.refused
            extra = f" (refused to load {', '.join(refused)})" if refused else ""
            raise PackError(f"{path}: XSD does not compile: {exc}{extra}") from None


def _target_namespace(path: Path, doc: etree._Element) -> ParsedNamespace:
    namespace = doc.get("targetNamespace")
    if doc.tag != f"{{{XS}}}schema" or not namespace:
        raise PackError(f"{path}: not an XSD with a targetNamespace")
    parsed = parse_namespace(namespace)
    if parsed is None:
        raise PackError(f"{path}: unknown namespace {namespace!r}")
    return parsed


def _elements(node: etree._Element, path: str, **variables: Any) -> list[etree._Element]:
    found = node.xpath(path, namespaces=_NS, **variables)
    return [f for f in found if isinstance(f, etree._Element)] if isinstance(found, list) else []


def _strings(node: etree._Element, path: str, **variables: Any) -> list[str]:
    found = node.xpath(path, namespaces=_NS, **variables)
    return [str(f).strip() for f in found] if isinstance(found, list) else []


def _element_decl(doc: etree._Element, name: str) -> etree._Element | None:
    # Prefer the declaration inside the Header; fall back to any declaration of that name.
    found = _elements(
        doc,
        ".//xs:complexType[@name='Header']//xs:element[@name=$n]"
        " | .//xs:element[@name='Header']//xs:element[@name=$n]",
        n=name,
    ) or _elements(doc, ".//xs:element[@name=$n]", n=name)
    return found[0] if found else None


def _fixed_value(doc: etree._Element, name: str) -> str | None:
    """The one value an element may take: @fixed, or the single pattern/enumeration of its type."""
    decl = _element_decl(doc, name)
    if decl is None:
        return None
    fixed = decl.get("fixed")
    if fixed is not None:
        return fixed.strip()
    simple = decl.find(f"{{{XS}}}simpleType")
    if simple is None:
        type_name = (decl.get("type") or "").rpartition(":")[2]
        named = _elements(doc, "xs:simpleType[@name=$t]", t=type_name)
        simple = named[0] if named else None
    if simple is None:
        return None
    values = _strings(
        simple, "xs:restriction/xs:pattern/@value | xs:restriction/xs:enumeration/@value"
    )
    return values[0] if len(values) == 1 and _CODE.fullmatch(values[0]) else None


def _appinfo(doc: etree._Element, local_name: str) -> str | None:
    found = _strings(doc, "xs:annotation/xs:appinfo//*[local-name()=$n]/text()", n=local_name)
    return found[0] if found else None


def _as_int(path: Path, label: str, value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise PackError(f"{path}: {label} {value!r} is not a number") from None
