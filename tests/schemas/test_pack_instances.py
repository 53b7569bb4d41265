"""Maximal and minimal instances of every iWmo/iJw message validate under lxml, xmllint and
xmlschema, and every generated XSD is valid against the XSD meta-schema."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import xmlschema
from lxml import etree

from hub.domain.messages import MessageType
from hub.domain.packs import PackRegistry
from hub.ops.packgen.instances import Kind, Model, build, python_pattern, serialize
from hub.ops.packgen.output import SCHEMAS_DIR
from hub.ops.packgen.packspec import PACKS, PackSpec
from tests.packkit import default_packs

SPECS = [spec for spec in PACKS if not spec.hub_model]
CASES = [(spec, mt) for spec in SPECS for mt in spec.messages()]
IDS = [mt.name for _, mt in CASES]
XMLLINT = shutil.which("xmllint")


@pytest.fixture(scope="module")
def registry() -> PackRegistry:
    return default_packs()


@pytest.fixture(scope="module")
def instances(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, Kind], Path]:
    """Every instance written once: (message name, kind) → file."""
    folder = tmp_path_factory.mktemp("instances")
    out = {}
    for spec, mt in CASES:
        model = Model(spec, mt)
        for kind in Kind:
            path = folder / f"{mt.name}-{kind.value}.xml"
            path.write_bytes(serialize(build(model, kind)[0]))
            out[(mt.name, kind)] = path
    return out


@pytest.fixture(scope="module")
def xmlschemas() -> dict[str, xmlschema.XMLSchema]:
    """One xmlschema per pack holding all its message XSDs (building it is the slow part)."""
    return {
        spec.folder: xmlschema.XMLSchema(
            [str(p.resolve()) for p in sorted((SCHEMAS_DIR / spec.folder).glob("*.xsd"))]
        )
        for spec in SPECS
    }


def test_every_message_has_both_instances() -> None:
    assert len(CASES) == 28


@pytest.mark.parametrize(("spec", "mt"), CASES, ids=IDS)
def test_maximal_instance_uses_every_field_and_the_longest_values(
    spec: PackSpec, mt: MessageType
) -> None:
    model = Model(spec, mt)
    root, leaves = build(model, Kind.MAXIMAL)
    names = {etree.QName(e).localname for e in root.iter()}
    assert {f.name for _, f in model.fields()} <= names
    for leaf in leaves:
        text = list(root.iter())[leaf.index].text or ""
        facets = leaf.facets
        if facets.max_length is not None and not facets.enumeration:
            fixed = any(p.startswith("[0-9]{") for p in facets.patterns)
            assert fixed or len(text) == facets.max_length, leaf.path
        if facets.max_inclusive is not None and facets.base == "xs:integer":
            literal = any(p.isdigit() for p in facets.patterns)
            assert literal or text == str(facets.max_inclusive), leaf.path
        for pattern in facets.patterns:
            assert python_pattern(pattern).fullmatch(text), (leaf.path, pattern, text)


@pytest.mark.parametrize("kind", list(Kind))
@pytest.mark.parametrize(("spec", "mt"), CASES, ids=IDS)
def test_instance_validates_under_lxml_and_xmlschema(
    spec: PackSpec,
    mt: MessageType,
    kind: Kind,
    registry: PackRegistry,
    instances: dict[tuple[str, Kind], Path],
    xmlschemas: dict[str, xmlschema.XMLSchema],
) -> None:
    path = instances[(mt.name, kind)]
    schema = registry.get(spec.standard, spec.release, mt.name).schema
    doc = etree.parse(str(path))
    assert schema.validate(doc), schema.error_log
    xmlschemas[spec.folder].validate(str(path))


def test_xmlschema_refuses_what_lxml_refuses(
    instances: dict[tuple[str, Kind], Path], xmlschemas: dict[str, xmlschema.XMLSchema]
) -> None:
    # Guard against an xmlschema that silently accepts documents of a namespace it skipped.
    text = instances[("WMO305", Kind.MINIMAL)].read_text(encoding="utf-8")
    broken = text.replace("<Begindatum>", "<Einddatum>").replace("</Begindatum>", "</Einddatum>")
    assert not xmlschemas["iwmo-3.2"].is_valid(broken)


@pytest.mark.skipif(XMLLINT is None, reason="xmllint not installed (Debian libxml2-utils)")
@pytest.mark.parametrize(("spec", "mt"), CASES, ids=IDS)
def test_instances_validate_under_xmllint(
    spec: PackSpec, mt: MessageType, instances: dict[tuple[str, Kind], Path]
) -> None:
    assert XMLLINT is not None
    xsd = SCHEMAS_DIR / spec.folder / spec.xsd_file(mt)
    files = [str(instances[(mt.name, kind)]) for kind in Kind]
    done = subprocess.run(
        [XMLLINT, "--noout", "--nonet", "--schema", str(xsd), *files],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    "path",
    sorted(p for spec in SPECS for p in (SCHEMAS_DIR / spec.folder).glob("*.xsd")),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_generated_xsd_is_valid_against_the_meta_schema(path: Path) -> None:
    meta = xmlschema.XMLSchema.meta_schema
    assert meta is not None
    if not meta.built:
        # Built lazily by the first XMLSchema: under two test workers this test may be the
        # first of its process to need it.
        meta.build()
    meta.validate(str(path))
