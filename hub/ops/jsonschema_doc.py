"""docs/json/<pack>/<MESSAGE>.schema.json: the JSON Schema of every message's JSON view, generated
by walking the pack's XSDs with xmlschema (`hub docs json-schemas --out docs/json`).

The shape is hub/domain/jsonview.py's (docs/json.md): an object per element with complex
content (its children by local name, `additionalProperties: false`, `required` for the ones
with minOccurs ≥ 1), a list for an element that may repeat (minItems / maxItems from its
occurs), xs:integer types as JSON integers (min/max, enumerations and literal patterns as
values), every other simple type as a string with its length, pattern and enumeration facets.
Named types become `$defs` entries (`<segment>.<name>`, e.g. `basisschema.CDT_VolledigeNaam`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Final

from xmlschema.validators import XsdAtomicBuiltin, XsdElement, XsdGroup

from hub.domain.jsonview import MESSAGE_KEY, RELEASE_KEY, JsonView
from hub.domain.packread import parse_namespace
from hub.domain.packs import PackMessage, load_default_packs

COMMAND: Final = "hub docs json-schemas --out docs/json"
DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
_XS: Final = "{http://www.w3.org/2001/XMLSchema}"
_INTEGERS: Final = frozenset(
    f"{_XS}{n}"
    for n in ("integer", "int", "long", "short", "byte", "nonNegativeInteger",
              "positiveInteger", "nonPositiveInteger", "negativeInteger", "unsignedLong",
              "unsignedInt", "unsignedShort", "unsignedByte")
)  # fmt: skip
_LITERAL: Final = re.compile(r"-?[0-9]+")


def folder_of(pm: PackMessage) -> str:
    return f"{pm.pack.standard.value}-{pm.pack.release}"


def file_of(pm: PackMessage) -> str:
    """The schema's path under docs/json/, e.g. `iwmo-3.2/WMO301.schema.json`."""
    return f"{folder_of(pm)}/{pm.name}.schema.json"


class _Walker:
    """Turns one message's XSD components into JSON Schema, collecting named types in $defs."""

    def __init__(self) -> None:
        self.defs: dict[str, dict[str, Any]] = {}

    def element(self, decl: XsdElement) -> dict[str, Any]:
        one = self._type(decl.type)
        if decl.max_occurs == 1:
            return one
        out: dict[str, Any] = {"type": "array", "items": one, "minItems": max(1, decl.min_occurs)}
        if decl.max_occurs is not None:
            out["maxItems"] = decl.max_occurs
        return out

    def _type(self, xsd_type: Any) -> dict[str, Any]:
        name = xsd_type.name
        if name is None or name.startswith(_XS):
            return self._complex(xsd_type) if xsd_type.is_complex() else _simple(xsd_type)
        ns, local = name[1:].split("}", 1)
        parsed = parse_namespace(ns)
        key = f"{parsed.segment if parsed else 'xs'}.{local}"
        if key not in self.defs:
            self.defs[key] = {}  # reserved first: a type that refers to itself terminates
            body = self._complex(xsd_type) if xsd_type.is_complex() else _simple(xsd_type)
            self.defs[key] = {**_doc(xsd_type), **body}
        return {"$ref": f"#/$defs/{key}"}

    def _complex(self, xsd_type: Any) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        required: list[str] = []
        group = xsd_type.model_group
        if group is not None:
            self._group(group, properties, required, optional=False)
        out: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            out["required"] = required
        out["additionalProperties"] = False
        return out

    def _group(
        self, group: XsdGroup, properties: dict[str, Any], required: list[str], *, optional: bool
    ) -> None:
        # A choice (none in the packs so far) makes its elements optional: the schema then
        # says less than the XSD, never more.
        optional = optional or group.model == "choice" or group.min_occurs == 0
        for item in group:
            if isinstance(item, XsdGroup):
                self._group(item, properties, required, optional=optional)
                continue
            if not isinstance(item, XsdElement):
                raise ValueError(f"{item!r}: a wildcard (xs:any) has no JSON view")
            local = item.local_name or ""
            properties[local] = self.element(item)
            if item.min_occurs > 0 and not optional:
                required.append(local)


def _builtin(xsd_type: Any) -> Any:
    while not isinstance(xsd_type, XsdAtomicBuiltin) and xsd_type.base_type is not None:
        xsd_type = xsd_type.base_type
    return xsd_type


def _chain(xsd_type: Any) -> list[Any]:
    """The type and every type it restricts, nearest first."""
    out = []
    while xsd_type is not None and not isinstance(xsd_type, XsdAtomicBuiltin):
        out.append(xsd_type)
        xsd_type = xsd_type.base_type
    return out


def _simple(xsd_type: Any) -> dict[str, Any]:
    chain = _chain(xsd_type)
    patterns = [list(t.patterns.regexps) for t in chain if getattr(t, "patterns", None)]
    enumeration = next((t.enumeration for t in chain if getattr(t, "enumeration", None)), None)
    builtin = _builtin(xsd_type)
    if builtin.name in _INTEGERS:
        return _integer(xsd_type, patterns, enumeration)
    out: dict[str, Any] = {"type": "string"}
    if builtin.name == f"{_XS}date":
        out["format"] = "date"
    elif builtin.name == f"{_XS}time":
        out["format"] = "time"
    if enumeration:
        out["enum"] = [str(v) for v in enumeration]
    if xsd_type.min_length is not None:
        out["minLength"] = xsd_type.min_length
    if xsd_type.max_length is not None:
        out["maxLength"] = xsd_type.max_length
    # XSD patterns match the whole value; each level of restriction must hold (allOf), and
    # several patterns of one level are alternatives.
    anchored = ["^(?:" + "|".join(level) + ")$" for level in patterns]
    if len(anchored) == 1:
        out["pattern"] = anchored[0]
    elif anchored:
        out["allOf"] = [{"pattern": p} for p in anchored]
    return out


def _integer(xsd_type: Any, patterns: list[list[str]], enumeration: Any) -> dict[str, Any]:
    """A JSON integer: a pattern constrains the lexical form, which JSON numbers lack, so only
    a literal pattern ("3": BerichtVersie) is kept, as the one value."""
    literals = [int(p) for level in patterns for p in level if _LITERAL.fullmatch(p)]
    if literals:
        return {"type": "integer", "const": literals[0]}
    out: dict[str, Any] = {"type": "integer"}
    if enumeration:
        out["enum"] = [int(v) for v in enumeration]
    if xsd_type.min_value is not None:
        out["minimum"] = int(xsd_type.min_value)
    if xsd_type.max_value is not None:
        out["maximum"] = int(xsd_type.max_value)
    return out


def _doc(xsd_type: Any) -> dict[str, str]:
    annotation = getattr(xsd_type, "annotation", None)
    docs = [(d.text or "").strip() for d in getattr(annotation, "documentation", None) or []]
    text = " ".join(d for d in docs if d)
    return {"description": text} if text else {}


def message_schema(pm: PackMessage, root: XsdElement) -> dict[str, Any]:
    """The JSON Schema of one message's JSON view."""
    walker = _Walker()
    body = walker._complex(root.type)
    release = pm.pack.release
    return {
        "$schema": DIALECT,
        "$id": f"urn:isd-hub:json:{folder_of(pm)}:{pm.name}",
        "title": f"{pm.name} {pm.message_type.title} ({pm.pack.standard.value} {release}), "
        "JSON view",
        "description": f"Generated from the XSDs of {folder_of(pm)} by `{COMMAND}`; do not edit "
        "by hand. The shape: docs/json.md.",
        "type": "object",
        "properties": {
            MESSAGE_KEY: {"const": pm.name},
            RELEASE_KEY: {"const": release},
            **body["properties"],
        },
        "required": [MESSAGE_KEY, RELEASE_KEY, *body.get("required", [])],
        "additionalProperties": False,
        "$defs": dict(sorted(walker.defs.items())),
    }


def render(view: JsonView | None = None) -> dict[str, str]:
    """Every schema file's text by its path under docs/json/ (the built-in packs by default)."""
    view = view or JsonView(load_default_packs())
    out: dict[str, str] = {}
    for pm in view.packs.messages():
        root = view.element(pm)
        out[file_of(pm)] = json.dumps(message_schema(pm, root), indent=2, ensure_ascii=False) + "\n"
    return dict(sorted(out.items()))


def write(folder: Path, view: JsonView | None = None) -> list[Path]:
    """Write every schema under `folder`; a schema file of a message no longer there goes."""
    files = render(view)
    written = []
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    for old in folder.glob("*/*.schema.json"):
        if old.relative_to(folder).as_posix() not in files:
            old.unlink()
    return written
