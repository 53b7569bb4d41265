"""Renders the schema model to XSD bytes: deterministic order, UTF-8, trailing newline."""

from __future__ import annotations

from lxml import etree

from hub.ops.packgen.model import Complex, Field, MessageSchema, Simple, is_basis
from hub.ops.packgen.packspec import BASISSCHEMA_FILE, PackSpec

XS = "http://www.w3.org/2001/XMLSchema"
GENERATED = "Gegenereerd door `python -m hub.ops.packgen`; niet met de hand wijzigen."


def _xs(tag: str) -> str:
    return f"{{{XS}}}{tag}"


class _Writer:
    """Builds one schema document; knows which prefix a type name resolves to."""

    def __init__(self, spec: PackSpec, prefix: str, namespace: str) -> None:
        self.spec = spec
        self.prefix = prefix  # prefix of this schema's own target namespace
        nsmap = {"xs": XS, spec.prefix: spec.basis_namespace, prefix: namespace}
        self.root = etree.Element(_xs("schema"), nsmap=nsmap)
        self.root.set("targetNamespace", namespace)
        self.root.set("elementFormDefault", "qualified")
        self.root.set("attributeFormDefault", "unqualified")
        self.namespace = namespace

    def ref(self, type_name: str) -> str:
        if type_name.startswith("xs:"):
            return type_name
        if is_basis(type_name):
            return f"{self.spec.prefix}:{type_name}"
        return f"{self.prefix}:{type_name}"

    @staticmethod
    def _doc(parent: etree._Element, text: str) -> None:
        if text:
            ann = etree.SubElement(parent, _xs("annotation"))
            etree.SubElement(ann, _xs("documentation")).text = text

    def header_annotation(self, doc: str, appinfo: tuple[tuple[str, str], ...]) -> None:
        ann = etree.SubElement(self.root, _xs("annotation"))
        etree.SubElement(ann, _xs("documentation")).text = doc
        info = etree.SubElement(ann, _xs("appinfo"))
        for name, value in appinfo:
            etree.SubElement(info, f"{{{self.namespace}}}{name}").text = value

    def simple(self, s: Simple, parent: etree._Element | None = None) -> None:
        # With a parent: an anonymous type inside an element declaration.
        if parent is None:
            node = etree.SubElement(self.root, _xs("simpleType"), name=s.name)
        else:
            node = etree.SubElement(parent, _xs("simpleType"))
        self._doc(node, s.doc)
        restriction = etree.SubElement(node, _xs("restriction"), base=self.ref(s.base))
        facets: list[tuple[str, object]] = [
            ("minLength", s.min_length),
            ("maxLength", s.max_length),
            ("minInclusive", s.min_inclusive),
            ("maxInclusive", s.max_inclusive),
        ]
        for facet, value in facets:
            if value is not None:
                etree.SubElement(restriction, _xs(facet), value=str(value))
        for pattern in s.patterns:
            etree.SubElement(restriction, _xs("pattern"), value=pattern)
        for code in s.codes:
            enum = etree.SubElement(restriction, _xs("enumeration"), value=code.value)
            self._doc(enum, code.meaning)

    def complex(self, c: Complex) -> None:
        node = etree.SubElement(self.root, _xs("complexType"), name=c.name)
        self._doc(node, c.doc)
        sequence = etree.SubElement(node, _xs("sequence"))
        for f in c.fields:
            self.element(sequence, f)

    def element(self, parent: etree._Element, f: Field) -> None:
        node = etree.SubElement(parent, _xs("element"), name=f.name)
        if not f.patterns:
            node.set("type", self.ref(f.type))
        if f.min != 1:
            node.set("minOccurs", str(f.min))
        if f.max != 1:
            node.set("maxOccurs", "unbounded" if f.max is None else str(f.max))
        self._doc(node, f.doc)
        if f.patterns:
            self.simple(Simple("", f.type, patterns=f.patterns), node)

    def bytes(self) -> bytes:
        etree.indent(self.root, space="  ")
        # lxml writes the declaration with single quotes; write the customary one ourselves.
        body: bytes = etree.tostring(self.root, encoding="UTF-8", pretty_print=True)
        return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body


def _origin_note(spec: PackSpec) -> str:
    return f"Herkomst: {spec.origin}." + (" Eigen model van isd-hub." if spec.hub_model else "")


def render_basisschema(
    spec: PackSpec, simples: tuple[Simple, ...], complexes: tuple[Complex, ...]
) -> bytes:
    w = _Writer(spec, spec.prefix, spec.basis_namespace)
    w.header_annotation(
        f"Basisschema {spec.standard.value} {spec.release}. {_origin_note(spec)} {GENERATED}",
        (
            ("standaard", spec.standard.value),
            ("bericht", "basisschema"),
            ("release", spec.release),
            ("BasisschemaXsdVersie", spec.xsd_version),
            ("BasisschemaXsdMinVersie", spec.xsd_version),
            ("BasisschemaXsdMaxVersie", spec.xsd_version),
        ),
    )
    for s in simples:
        w.simple(s)
    for c in complexes:
        w.complex(c)
    return w.bytes()


def render_message(spec: PackSpec, ms: MessageSchema) -> bytes:
    w = _Writer(spec, ms.segment, ms.namespace)
    w.header_annotation(
        f"{ms.segment.upper()} {ms.title} ({spec.standard.value} {spec.release}). "
        f"{_origin_note(spec)} {GENERATED}",
        (
            ("standaard", spec.standard.value),
            ("bericht", ms.segment),
            ("release", spec.release),
            ("BerichtXsdVersie", ms.xsd_version),
            ("BerichtXsdMinVersie", ms.xsd_version),
            ("BerichtXsdMaxVersie", ms.xsd_version),
            ("BasisschemaXsdVersie", ms.xsd_version),
            ("BasisschemaXsdMinVersie", ms.xsd_version),
            ("BasisschemaXsdMaxVersie", ms.xsd_version),
        ),
    )
    etree.SubElement(
        w.root, _xs("import"), namespace=spec.basis_namespace, schemaLocation=BASISSCHEMA_FILE
    )
    etree.SubElement(w.root, _xs("element"), name="Bericht", type=w.ref("Root"))
    for c in ms.complexes():
        w.complex(c)
    for s in ms.body.simples:
        w.simple(s)
    return w.bytes()
