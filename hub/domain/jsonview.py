"""The JSON view of a message: its XML decoded by its schema to plain JSON values, and back.

The shape (docs/json.md): one object per message, `{"$message": "WMO301", "$release": "3.2",
"Header": {...}, "Client": {...}}`. The two `$` keys name the message and its pack (no XML
element can start with `$`); every other key is an element's local name, without namespace
(local names are unique among the children of any element of the packs). Values are typed by
the schema: xs:integer → number, every other simple type → string (dates as `2025-01-31`); an
element that may repeat (maxOccurs > 1) is always a list, even with one item; an optional
element that is absent is absent. xmlschema does the work (its default converter with
`strip_namespaces`, plus local names qualified again when encoding); it costs about a
millisecond per message, so it runs only on the JSON path, never for XML uploads.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any, Final, cast

import xmlschema
from lxml import etree
from xmlschema.converters import ElementData, XMLSchemaConverter
from xmlschema.validators import XsdElement, XsdGroup
from xmlschema.validators.validation import EncodeContext

from hub.domain import jsonshape, xmlcodec
from hub.domain.findings import Finding, Level
from hub.domain.messages import CATALOGUE, basisschema_namespace
from hub.domain.packs import Pack, PackMessage, PackRegistry
from hub.domain.validation import NO_RETOURCODE, RULE_XSD

MESSAGE_KEY: Final = "$message"
RELEASE_KEY: Final = "$release"
MEDIA_TYPE: Final = "application/json"
_MAX_FINDINGS: Final = 50
_QUALIFIED: Final = re.compile(r"\{[a-z]+:[^{}]*\}")  # "{http://…}Name" → "Name"
# xmlschema names a Python class where a person wants the kind of value ("<class 'str'>").
_PY_CLASS: Final = re.compile(r"<class '(?:[\w.]+\.)?(\w+)'>")
_KINDS: Final = {
    "str": "text", "int": "a whole number", "Decimal": "a number", "bool": "true or false",
    "Date10": "a date (2025-01-31)", "Date": "a date (2025-01-31)", "Time": "a time (13:45:00)",
    "DateTime10": "a date and time",
}  # fmt: skip
# Python's own words (an exception raised inside xmlschema), which tell a sender nothing.
_PY_WORDS: Final = re.compile(r"__\w+__|\bunpack\b|object is not|object has no|positional arg")


class JsonViewError(ValueError):
    """A JSON body that cannot become a message: `reason` is a short code (not_json,
    not_object, no_message, unknown_message, schema), `findings` the schema's complaints."""

    def __init__(self, reason: str, detail: str, findings: tuple[Finding, ...] = ()) -> None:
        super().__init__(detail)
        self.reason, self.detail, self.findings = reason, detail, findings


class _Converter(XMLSchemaConverter):
    """The default converter with local names; encoding qualifies them again from the schema
    and remembers where it is, so a complaint can name the element it is about."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.where: list[tuple[str, int, XsdElement]] = []  # (local name, position, decl)
        self.children: _Children = {}  # the JsonView's, set when it encodes

    def element_encode(self, obj: Any, xsd_element: XsdElement, level: int = 0) -> ElementData:
        name = xsd_element.local_name or ""
        here = self.where
        position = here[level][1] + 1 if len(here) > level and here[level][0] == name else 1
        del here[level:]
        here.append((name, position, xsd_element))
        data = super().element_encode(obj, xsd_element, level)
        if not data.content:
            return data
        children = _child_names(self.children, xsd_element)
        content = [
            (children.get(_local(key), key) if isinstance(key, str) else key, value)
            for key, value in data.content
        ]
        return ElementData(data.tag, data.text, content, data.attributes, data.xmlns)

    def location(self, error: xmlschema.XMLSchemaValidationError) -> str:
        """The element an encoding complaint is about: a content-model complaint is about the
        deepest open element with that model, any other about the element just encoded."""
        here = self.where
        if isinstance(error.validator, XsdGroup):
            for depth in range(len(here) - 1, -1, -1):
                if here[depth][2].type.model_group is error.validator:
                    here = here[: depth + 1]
                    break
        return "/" + "/".join(n if p == 1 else f"{n}[{p}]" for n, p, _ in here)


class _Encoding(EncodeContext):
    """An encoding that records each complaint with its location as it is raised."""

    def __init__(self, converter: _Converter, source: Any) -> None:
        super().__init__(source, converter)
        self.located: list[tuple[str, xmlschema.XMLSchemaValidationError]] = []

    def raise_or_collect(self, validation: str, error: Any) -> Any:
        converter = cast("_Converter", self.converter)
        self.located.append((converter.location(error), error))
        return super().raise_or_collect(validation, error)


# Per complex type (by id, with the type kept beside it, so an id is never reused while
# cached): its children's local name → qualified name. One per JsonView.
_Children = dict[int, tuple[Any, dict[str, str]]]


def _child_names(cache: _Children, xsd_element: XsdElement) -> dict[str, str]:
    """Local name → qualified name of an element's children (cached per complex type)."""
    xsd_type = xsd_element.type
    hit = cache.get(id(xsd_type))
    if hit is not None and hit[0] is xsd_type:
        return hit[1]
    group = xsd_type.model_group
    names = {} if group is None else {
        e.local_name: e.name for e in group.iter_elements() if e.local_name and e.name
    }  # fmt: skip
    cache[id(xsd_type)] = (xsd_type, names)
    return names


def _local(name: str) -> str:
    return name[name.find("}") + 1 :] if name.startswith("{") else name.partition(":")[2] or name


def _strip_whitespace(root: etree._Element) -> None:
    """xmlschema indents what it builds; messages are element-only, so the padding goes."""
    for el in root.iter():
        if len(el):
            el.text = None
        el.tail = None


def compile_pack(packs: PackRegistry, pack: Pack) -> xmlschema.XMLSchema:
    """One xmlschema of every message XSD of `pack` (the basisschema is read once for all)."""
    files: list[Any] = [str(m.xsd.resolve()) for m in packs if m.pack.key == pack.key]
    basis = pack.basisschema
    # Named outright: an official pack imports `basisschema.xsd` but may ship `Basisschema.xsd`.
    locations = (
        [(basisschema_namespace(pack.standard, pack.release), str(basis.resolve()))]
        if basis else None
    )  # fmt: skip
    # allow="local": the XSDs import each other by file, never over a network.
    return xmlschema.XMLSchema(files, allow="local", locations=locations)


class JsonView:
    """XML ↔ JSON for the messages of a pack registry; each pack's XSDs are compiled by
    xmlschema on first use (half a second), once per process."""

    def __init__(self, packs: PackRegistry) -> None:
        self.packs = packs
        self._schemas: dict[tuple[str, str], xmlschema.XMLSchema] = {}
        self._lock = threading.Lock()  # a first use from two threads compiles once
        self._children: _Children = {}
        self._decls: jsonshape.Decls = {}

    def schema(self, pack: Pack) -> xmlschema.XMLSchema:
        """The compiled xmlschema of `pack`, built on first use."""
        key = (pack.standard.value, pack.release)
        found = self._schemas.get(key)
        if found is None:
            with self._lock:
                found = self._schemas.get(key)
                if found is None:
                    found = self._schemas[key] = compile_pack(self.packs, pack)
        return found

    def element(self, pm: PackMessage) -> XsdElement:
        return self.schema(pm.pack).maps.elements[f"{{{pm.namespace}}}Bericht"]

    # --- XML → JSON ------------------------------------------------------------------------

    def decode(self, xml: bytes) -> dict[str, Any]:
        """A stored (valid) message as its JSON object; ValueError when it is no known message."""
        try:
            root = xmlcodec.parse_message(xml)
        except xmlcodec.XmlRejected as exc:
            raise ValueError(f"not a readable message: {exc}") from None
        tag = str(root.tag)
        pm = self.packs.match(tag[1 : tag.find("}")])
        if pm is None:
            raise ValueError(f"no loaded pack has the message namespace of <{_local(tag)}>")
        return self.decode_tree(root, pm)

    def decode_tree(self, root: etree._Element, pm: PackMessage) -> dict[str, Any]:
        try:
            body: Any = self.element(pm).decode(
                cast("Any", root), validation="strict", converter=_Converter,
                strip_namespaces=True, decimal_type=str, dict_class=dict, list_class=list,
            )  # fmt: skip
        except xmlschema.XMLSchemaValidationError as exc:
            # xmlschema's own text starts with the offending value (a BSN, a birth date) and
            # the caller logs it: the reason and the place only, as the findings have them.
            where = exc.path or "/Bericht"
            raise ValueError(f"{where}: {_sentence(exc)}") from None
        return {MESSAGE_KEY: pm.name, RELEASE_KEY: pm.pack.release, **(body if body else {})}

    # --- JSON → XML ------------------------------------------------------------------------

    def message_of(self, data: Mapping[str, Any]) -> PackMessage:
        """The pack message a JSON object names with its `$message` and `$release` keys."""
        name, release = data.get(MESSAGE_KEY), data.get(RELEASE_KEY)
        if not isinstance(name, str) or not isinstance(release, str):
            detail = (f"the object needs {MESSAGE_KEY!r} (e.g. \"WMO301\") and {RELEASE_KEY!r} "
                      "(e.g. \"3.2\") as strings")  # fmt: skip
            raise JsonViewError("no_message", detail)
        mt = CATALOGUE.get(name.upper())
        if mt is None:
            raise JsonViewError("unknown_message", f"{MESSAGE_KEY} {name[:40]!r} is no message "
                                "the hub knows")  # fmt: skip
        try:
            return self.packs.get(mt.standard, release, mt.name)
        except KeyError as exc:
            raise JsonViewError("unknown_message", str(exc.args[0])) from None

    def encode(self, body: bytes) -> bytes:
        """A JSON upload as its XML message, or JsonViewError saying why it is none."""
        try:
            data = json.loads(body, parse_float=Decimal)
        except (ValueError, RecursionError) as exc:
            # json.JSONDecodeError and UnicodeDecodeError are ValueErrors.
            raise JsonViewError("not_json", f"the body is not JSON: {str(exc)[:200]}") from None
        if not isinstance(data, dict):
            raise JsonViewError("not_object", "the body must be one JSON object (a message)")
        return self.encode_object(data)

    def encode_object(self, data: Mapping[str, Any]) -> bytes:
        pm = self.message_of(data)
        body = {k: v for k, v in data.items() if k not in (MESSAGE_KEY, RELEASE_KEY)}
        # xmlschema writes null as an empty element; the view has no null (absent is absent).
        absent = "null is not a value: leave an absent element out"
        nulls = tuple(
            Finding(RULE_XSD, NO_RETOURCODE, Level.XSD, where, absent)
            for where in _nulls(body, "/Bericht")
        )[:_MAX_FINDINGS]
        if nulls:
            raise JsonViewError("schema", f"{nulls[0].location}: {nulls[0].sentence}", nulls)
        # The JSON types and lists the view has (docs/json.md), which xmlschema does not check.
        shape = tuple(
            Finding(RULE_XSD, NO_RETOURCODE, Level.XSD, where, sentence)
            for where, sentence in jsonshape.problems(self._decls, self.element(pm), body,
                                                      "/Bericht")
        )[:_MAX_FINDINGS]  # fmt: skip
        if shape:
            raise JsonViewError("schema", f"{shape[0].location}: {shape[0].sentence}", shape)
        prefix = pm.pack.standard.value
        converter = _Converter(
            namespaces={"": pm.namespace,
                        prefix: basisschema_namespace(pm.pack.standard, pm.pack.release)},
            etree_element_class=etree.Element,
        )  # fmt: skip
        converter.children = self._children
        context = _Encoding(converter, body)
        try:
            root: Any = self.element(pm).raw_encode(body, "lax", context)
        except (TypeError, ValueError, AttributeError, xmlschema.XMLSchemaException):
            # A value of a shape the encoder cannot take at all; the shape check above should
            # have named it, and Python's own words mean nothing to the sender.
            raise JsonViewError(
                "schema", f"not a {pm.name}: a value has a shape its element cannot take"
            ) from None
        if context.located or not isinstance(root, etree._Element):
            findings = tuple(
                Finding(RULE_XSD, NO_RETOURCODE, Level.XSD, where, _sentence(err))
                for where, err in context.located[:_MAX_FINDINGS]
            ) or (Finding(RULE_XSD, NO_RETOURCODE, Level.XSD, "/Bericht", "no message"),)
            first = findings[0]
            raise JsonViewError("schema", f"{first.location}: {first.sentence}", findings)
        _strip_whitespace(root)
        return xmlcodec.serialize(root)


def _nulls(value: Any, path: str) -> Iterator[str]:
    """The element path of every null in a JSON value."""
    if value is None:
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _nulls(item, f"{path}/{key}")
    elif isinstance(value, list):
        for n, item in enumerate(value, 1):
            yield from _nulls(item, f"{path}[{n}]" if len(value) > 1 else path)


def _sentence(error: xmlschema.XMLSchemaValidationError) -> str:
    """xmlschema's reason without namespaces and without the offending value, as the XML
    findings have it (hub/domain/validation.py): a value may be a BSN or a birth date, and
    findings are logged and returned to parties."""
    text = _QUALIFIED.sub("", str(error.reason or error.message))
    if _PY_WORDS.search(text):
        return "not a value this element can take"
    text = _PY_CLASS.sub(lambda m: _KINDS.get(m.group(1), m.group(1).lower()), text)
    value = error.obj
    if isinstance(value, (str, int, Decimal)):
        shown = str(value)
        for form in (repr(value), repr(shown), *((shown,) if len(shown.strip()) > 2 else ())):
            text = text.replace(form, "…")
    return text[:300]
