"""The built-in iWmo/iJw 3.2 packs agree type for type with the published schema facts.

The facts live beside the repository (`../shared/docs/xsd-facts/*.md`); the generated XSDs are
read back with lxml. Every difference fails unless `docs/pack-differences.md` lists it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from lxml import etree

from hub.domain.messages import CATALOGUE
from hub.ops.packgen.output import SCHEMAS_DIR

REPO_ROOT = Path(__file__).resolve().parents[2]
FACTS_DIR = REPO_ROOT.parent / "shared" / "docs" / "xsd-facts"
DIFFERENCES_DOC = REPO_ROOT / "docs" / "pack-differences.md"
XS = "http://www.w3.org/2001/XMLSchema"
FACETS = ("minLength", "maxLength", "minInclusive", "maxInclusive")
# iWmo retours and the 325 are not in the published iWmo set: compare with the iJw ones.
IWMO_FROM_IJW = (302, 306, 308, 316, 318, 320, 325)

pytestmark = pytest.mark.skipif(
    not FACTS_DIR.is_dir(),
    reason=f"schema facts not found at {FACTS_DIR} (a clone without shared/ beside it)",
)


@dataclass(frozen=True)
class SimpleFact:
    base: str
    facets: tuple[tuple[str, str], ...]
    patterns: tuple[str, ...]
    enum: tuple[str, ...]


@dataclass(frozen=True)
class Elem:
    name: str
    type: str  # "xs:date", "basis:LDT_Datum" or "local:Client"
    min: int
    max: str  # "1" or "n"
    patterns: tuple[str, ...] = ()


@dataclass
class SchemaFacts:
    """What one XSD file says: simple types, complex types, root element and appinfo."""

    namespace: str = ""
    appinfo: dict[str, str] = field(default_factory=dict)
    root: str = ""
    simples: dict[str, SimpleFact] = field(default_factory=dict)
    complexes: dict[str, tuple[Elem, ...]] = field(default_factory=dict)


# --- the facts markdown ----------------------------------------------------------------------

_SECTION = re.compile(r"^## (\S+)\.xsd\s+\(targetNamespace (\S+)\)")
_CARD = re.compile(r"\[(\d+)\.\.(\d+|n)\]")


def _md_type(token: str) -> str:
    prefix, _, local = token.partition(":")
    if prefix == "xs":
        return token
    return f"basis:{local}" if prefix in ("iwmo", "ijw") else f"local:{local}"


def _md_simple(text: str) -> SimpleFact:
    base, *rest = text.split(" ")
    facets, patterns = [], []
    enum: tuple[str, ...] = ()
    for token in rest:
        if token.startswith("enum{"):
            enum = tuple(token[5:-1].split(","))
        elif token.startswith("pattern="):
            patterns.append(token[len("pattern=") :])
        else:
            name, _, value = token.partition("=")
            facets.append((name, value))
    return SimpleFact(base, tuple(sorted(facets)), tuple(patterns), enum)


def _md_elem(line: str) -> Elem:
    name, _, rest = line.strip()[2:].partition(": ")
    type_, *more = rest.split(" ")
    low, high, patterns = 1, "1", []
    for token in more:
        if m := _CARD.fullmatch(token):
            low, high = int(m[1]), m[2]
        elif token.startswith("pattern="):
            patterns.append(token[len("pattern=") :])
    return Elem(name, _md_type(type_), low, high, tuple(patterns))


def parse_facts(path: Path) -> dict[str, SchemaFacts]:
    """File name (lower case) → its facts."""
    out: dict[str, SchemaFacts] = {}
    current: SchemaFacts | None = None
    complex_name = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if m := _SECTION.match(line):
            current = out.setdefault(f"{m[1].lower()}.xsd", SchemaFacts(namespace=m[2]))
            continue
        if current is None:
            continue
        if line.startswith("appinfo: "):
            pairs = (p.partition("=") for p in line[len("appinfo: ") :].split(", "))
            current.appinfo = {k: v for k, _, v in pairs}
        elif line.startswith("root element "):
            current.root = line.rpartition(" ")[2].partition(":")[2]
        elif line.startswith("- simpleType "):
            name, _, rest = line[len("- simpleType ") :].partition(": ")
            current.simples[name] = _md_simple(rest)
        elif line.startswith("- complexType "):
            complex_name = line[len("- complexType ") :].rstrip(":")
            current.complexes[complex_name] = ()
        elif line.startswith("  - ") and complex_name:
            current.complexes[complex_name] += (_md_elem(line),)
    return out


# --- the generated XSDs ----------------------------------------------------------------------


def _xsd_type(node: etree._Element, qname: str, basis_ns: str) -> str:
    prefix, _, local = qname.rpartition(":")
    namespace = node.nsmap.get(prefix or None)
    if namespace == XS:
        return f"xs:{local}"
    return f"basis:{local}" if namespace == basis_ns else f"local:{local}"


def _xsd_simple(node: etree._Element, basis_ns: str) -> SimpleFact:
    (restriction,) = node.findall(f"{{{XS}}}restriction")
    base = _xsd_type(restriction, restriction.get("base", ""), basis_ns)
    facets = tuple(
        sorted(
            (f, str(restriction.find(f"{{{XS}}}{f}").get("value")))  # type: ignore[union-attr]
            for f in FACETS
            if restriction.find(f"{{{XS}}}{f}") is not None
        )
    )
    patterns = tuple(str(p.get("value")) for p in restriction.findall(f"{{{XS}}}pattern"))
    enum = tuple(str(e.get("value")) for e in restriction.findall(f"{{{XS}}}enumeration"))
    return SimpleFact(base, facets, patterns, enum)


def _xsd_elem(node: etree._Element, basis_ns: str) -> Elem:
    high = node.get("maxOccurs", "1")
    low = int(node.get("minOccurs", "1"))
    inline = node.find(f"{{{XS}}}simpleType")
    if inline is not None:
        local = _xsd_simple(inline, basis_ns)
        return Elem(node.get("name", ""), local.base, low, "n" if high == "unbounded" else high,
                    local.patterns)  # fmt: skip
    type_ = _xsd_type(node, node.get("type", ""), basis_ns)
    return Elem(node.get("name", ""), type_, low, "n" if high == "unbounded" else high)


def read_xsd(path: Path, basis_ns: str) -> SchemaFacts:
    doc = etree.parse(str(path)).getroot()
    facts = SchemaFacts(namespace=doc.get("targetNamespace", ""))
    for info in doc.findall(f"{{{XS}}}annotation/{{{XS}}}appinfo/*"):
        facts.appinfo[etree.QName(info).localname] = (info.text or "").strip()
    for element in doc.findall(f"{{{XS}}}element"):
        facts.root = element.get("type", "").partition(":")[2]
    for simple in doc.findall(f"{{{XS}}}simpleType"):
        facts.simples[simple.get("name", "")] = _xsd_simple(simple, basis_ns)
    for complex_ in doc.findall(f"{{{XS}}}complexType"):
        elems = complex_.findall(f"{{{XS}}}sequence/{{{XS}}}element")
        facts.complexes[complex_.get("name", "")] = tuple(_xsd_elem(e, basis_ns) for e in elems)
    return facts


# --- comparison ------------------------------------------------------------------------------


def compare(expected: SchemaFacts, actual: SchemaFacts) -> list[tuple[str, str]]:
    """(type or aspect, what differs) for everything that is not equal."""
    out: list[tuple[str, str]] = []
    for aspect, want, got in (
        ("targetNamespace", expected.namespace, actual.namespace),
        ("root", expected.root, actual.root),
    ):
        if want != got:
            out.append((aspect, f"expected {want!r}, pack has {got!r}"))
    for key, value in expected.appinfo.items():
        if actual.appinfo.get(key) != value:
            out.append(("appinfo", f"{key}: expected {value}, pack has {actual.appinfo.get(key)}"))
    kinds: tuple[tuple[dict[str, object], dict[str, object]], ...] = (
        (dict(expected.simples), dict(actual.simples)),
        (dict(expected.complexes), dict(actual.complexes)),
    )
    for want_types, got_types in kinds:
        for name in sorted(set(want_types) | set(got_types)):
            if name not in got_types:
                out.append((name, "missing from the pack"))
            elif name not in want_types:
                out.append((name, "not in the published schema"))
            elif want_types[name] != got_types[name]:
                out.append((name, f"expected {want_types[name]}, pack has {got_types[name]}"))
    return out


def _without_ijw_extras(
    retour: SchemaFacts, jw_heen: SchemaFacts | None, wmo_heen: SchemaFacts | None
) -> SchemaFacts:
    """The iJw retour with what only the iJw heenbericht has (e.g. GezagsdragerBekend) removed."""
    if jw_heen is None or wmo_heen is None:
        return retour
    complexes: dict[str, tuple[Elem, ...]] = {}
    for name, elems in retour.complexes.items():
        if name in jw_heen.complexes and name not in wmo_heen.complexes:
            continue
        if name in jw_heen.complexes:
            wmo_names = {e.name for e in wmo_heen.complexes[name]}
            jw_only = {e.name for e in jw_heen.complexes[name]} - wmo_names
            elems = tuple(e for e in elems if e.name not in jw_only)
        complexes[name] = elems
    return SchemaFacts(retour.namespace, retour.appinfo, retour.root, retour.simples, complexes)


def _as_iwmo(jw: SchemaFacts, number: int, iwmo_facts: dict[str, SchemaFacts]) -> SchemaFacts:
    """JWnnn facts with iWmo's namespace, BerichtCode and versions (iwmo-3.2.md's inference)."""
    mt = CATALOGUE[f"WMO{number}"]
    heen = CATALOGUE[mt.answers] if mt.answers and number != 325 else None
    jw_heen = parse_ijw().get(f"jw{heen.number}.xsd") if heen else None
    wmo_heen = iwmo_facts.get(f"wmo{heen.number}.xsd") if heen else None
    trimmed = _without_ijw_extras(jw, jw_heen, wmo_heen)
    versions = iwmo_facts["wmo301.xsd"].appinfo
    appinfo = {**trimmed.appinfo, "standaard": "iwmo", "bericht": f"wmo{number}"}
    appinfo.update({k: v for k, v in versions.items() if "Versie" in k})
    complexes = dict(trimmed.complexes)
    complexes["Header"] = tuple(
        Elem(e.name, e.type, e.min, e.max, (mt.bericht_code,)) if e.name == "BerichtCode" else e
        for e in complexes["Header"]
    )
    return SchemaFacts(mt.namespace("3.2"), appinfo, trimmed.root, trimmed.simples, complexes)


_PARSED: dict[str, dict[str, SchemaFacts]] = {}


def parse_ijw() -> dict[str, SchemaFacts]:
    if "ijw" not in _PARSED:
        _PARSED["ijw"] = parse_facts(FACTS_DIR / "ijw-3.2.md")
    return _PARSED["ijw"]


def parse_iwmo() -> dict[str, SchemaFacts]:
    if "iwmo" not in _PARSED:
        _PARSED["iwmo"] = parse_facts(FACTS_DIR / "iwmo-3.2.md")
    return _PARSED["iwmo"]


def expected_files() -> dict[tuple[str, str], SchemaFacts]:
    """(pack folder, file) → the facts the pack's file must show."""
    out = {("ijw-3.2", name): facts for name, facts in parse_ijw().items()}
    iwmo = parse_iwmo()
    out.update({("iwmo-3.2", name): facts for name, facts in iwmo.items()})
    for number in IWMO_FROM_IJW:
        out[("iwmo-3.2", f"wmo{number}.xsd")] = _as_iwmo(
            parse_ijw()[f"jw{number}.xsd"], number, iwmo
        )
    return out


def listed_differences() -> set[tuple[str, str, str]]:
    """(pack, file, type) rows of the differences table in docs/pack-differences.md."""
    rows = set()
    for line in DIFFERENCES_DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and cells[0] in ("iwmo-3.2", "ijw-3.2"):
            rows.add((cells[0], cells[1], cells[2]))
    return rows


def _differences(folder: str, name: str, facts: SchemaFacts) -> list[tuple[str, str]]:
    basis_ns = (parse_iwmo() if folder == "iwmo-3.2" else parse_ijw())["basisschema.xsd"].namespace
    path = SCHEMAS_DIR / folder / name
    if not path.is_file():
        return [("file", "missing from the pack")]
    return compare(facts, read_xsd(path, basis_ns))


def _cases() -> list[tuple[str, str]]:
    if not FACTS_DIR.is_dir():
        return []
    return sorted(expected_files())


def test_facts_files_are_parsed() -> None:
    files = expected_files()
    assert len(files) == 2 * 15
    assert len(parse_ijw()["basisschema.xsd"].simples) == 60
    assert parse_iwmo()["wmo301.xsd"].complexes["Contact"][2] == Elem(
        "Organisatie", "basis:LDT_Organisatienaam", 0, "1"
    )


@pytest.mark.parametrize(("folder", "name"), _cases())
def test_pack_file_matches_the_facts(folder: str, name: str) -> None:
    allowed = listed_differences()
    found = _differences(folder, name, expected_files()[(folder, name)])
    unlisted = [f"{type_}: {what}" for type_, what in found if (folder, name, type_) not in allowed]
    assert not unlisted, f"{folder}/{name} differs from the facts:\n" + "\n".join(unlisted)


def test_differences_table_lists_only_real_differences() -> None:
    files = expected_files()
    stale = []
    for folder, name, type_ in sorted(listed_differences()):
        facts = files.get((folder, name))
        found = {t for t, _ in _differences(folder, name, facts)} if facts else set()
        if type_ not in found:
            stale.append(f"{folder} {name} {type_}")
    assert not stale, "docs/pack-differences.md lists differences that are gone: " + ", ".join(
        stale
    )
