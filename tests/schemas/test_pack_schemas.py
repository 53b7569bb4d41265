"""Every generated XSD compiles and says what the standard says (domain.md §1–§3)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from hub.domain.messages import CATALOGUE, Standard
from hub.domain.packs import PackMessage, PackRegistry
from hub.ops.packgen.output import FIXTURES_DIR, SCHEMAS_DIR
from tests.packkit import default_packs

XS = "http://www.w3.org/2001/XMLSchema"
RELEASE = {Standard.IWMO: "3.2", Standard.IJW: "3.2", Standard.IEB: "4.0"}


def _nodes(node: etree._Element, path: str) -> list[etree._Element]:
    found = node.xpath(path, namespaces={"xs": XS})
    assert isinstance(found, list)
    return [n for n in found if isinstance(n, etree._Element)]


def _strings(node: etree._Element, path: str) -> list[str]:
    found = node.xpath(path, namespaces={"xs": XS})
    assert isinstance(found, list)
    return [str(s) for s in found]


@pytest.fixture(scope="module")
def registry() -> PackRegistry:
    return default_packs()


def test_default_dirs_are_the_three_builtin_packs() -> None:
    assert [p.name for p in PackRegistry.default_dirs()] == ["ieb-4.0", "ijw-3.2", "iwmo-3.2"]


def test_every_catalogue_message_has_a_compiled_schema(registry: PackRegistry) -> None:
    assert len(registry) == len(CATALOGUE) == 32
    for mt in CATALOGUE.values():
        pm = registry.get(mt.standard, RELEASE[mt.standard], mt.name)
        assert pm.message_type is mt
        assert pm.bericht_code == mt.bericht_code
        assert pm.namespace == mt.namespace(RELEASE[mt.standard])
        assert registry.match(pm.namespace) is pm
        assert isinstance(pm.schema, etree.XMLSchema)


@pytest.mark.parametrize("folder", ["iwmo-3.2", "ijw-3.2", "ieb-4.0"])
def test_basisschema_compiles_on_its_own(folder: str) -> None:
    etree.XMLSchema(etree.parse(str(SCHEMAS_DIR / folder / "basisschema.xsd")))


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_message_xsd_conventions(name: str, registry: PackRegistry) -> None:
    mt = CATALOGUE[name]
    pm = registry.get(mt.standard, RELEASE[mt.standard], name)
    doc = etree.parse(str(pm.xsd)).getroot()
    ns = {"xs": XS}
    assert doc.get("targetNamespace") == pm.namespace
    assert doc.get("elementFormDefault") == "qualified"
    (imp,) = doc.findall("xs:import", ns)
    assert imp.get("schemaLocation") == "basisschema.xsd"
    (bericht,) = doc.findall("xs:element", ns)
    assert (bericht.get("name"), bericht.get("type")) == ("Bericht", f"{mt.namespace_segment}:Root")
    code = "xs:complexType[@name='Header']//xs:element[@name='BerichtCode']"
    pattern = _strings(doc, f"{code}/xs:simpleType/xs:restriction/xs:pattern/@value")
    assert pattern == [mt.bericht_code]
    header = _strings(doc, "xs:complexType[@name='Header']//xs:element/@name")
    assert header[:7] == [
        "BerichtCode", "BerichtVersie", "BerichtSubversie", "Afzender", "Ontvanger",
        "BerichtIdentificatie", "XsdVersie",
    ]  # fmt: skip


def _sequences(path: Path) -> dict[str, list[str]]:
    doc = etree.parse(str(path)).getroot()
    return {
        str(c.get("name")): _strings(c, "xs:sequence/xs:element/@name")
        for c in _nodes(doc, "xs:complexType")
    }


@pytest.mark.parametrize(
    "number", [301, 302, 305, 306, 307, 308, 315, 316, 317, 318, 319, 320, 323, 325]
)
def test_ijw_is_derived_from_the_same_structures(number: int, registry: PackRegistry) -> None:
    wmo = registry.get("iwmo", "3.2", f"WMO{number}")
    jw = registry.get("ijw", "3.2", f"JW{number}")
    # What only iJw has: Client/GezagsdragerBekend (315/316), Antwoord/Woonplaatsbeginsel (319/320).
    ijw_only = {"GezagsdragerBekend", "Woonplaatsbeginsel"}
    wmo_types, jw_types = _sequences(wmo.xsd), _sequences(jw.xsd)
    assert set(wmo_types) == set(jw_types) - ijw_only
    for name, elements in wmo_types.items():
        assert elements == [n for n in jw_types[name] if n not in ijw_only], name


def test_retour_classes_carry_retourcodes_and_body_is_optional(registry: PackRegistry) -> None:
    doc = etree.parse(str(registry.get("iwmo", "3.2", "WMO302").xsd)).getroot()
    root_client = _nodes(doc, "xs:complexType[@name='Root']//xs:element[@name='Client']")
    assert root_client[0].get("minOccurs") == "0"
    for cls in ("Client", "Relatie", "Contact", "ToegewezenProduct"):
        last = _nodes(doc, f"xs:complexType[@name='{cls}']/xs:sequence/xs:element[last()]")
        assert last[0].get("name") == "RetourCodes", cls
        assert last[0].get("minOccurs") is None, cls  # mandatory [1..1]
    for wrapper in ("Relaties", "Contactgegevens", "ToegewezenProducten"):
        names = _strings(doc, f"xs:complexType[@name='{wrapper}']//xs:element/@name")
        assert "RetourCodes" not in names


# --- negative cases: one change to a valid fixture makes it invalid --------------------------


def _fixture(name: str) -> etree._ElementTree:
    folder = "ijw-3.2" if name.startswith("JW") else "iwmo-3.2"
    if name in ("WMO405", "WMO406", "WMO407", "WMO408"):
        folder = "ieb-4.0"
    return etree.parse(str(FIXTURES_DIR / folder / f"{name}.xml"))


def _set(local_path: str, value: str) -> Callable[[etree._ElementTree], None]:
    """Set the text of the first element matching a namespace-blind path like 'Header/Afzender'."""
    steps = "/".join(f"*[local-name()='{step}']" for step in local_path.split("/"))

    def change(doc: etree._ElementTree) -> None:
        (node, *_) = _nodes(doc.getroot(), steps)
        node.text = value

    return change


def _schema_of(doc: etree._ElementTree, registry: PackRegistry) -> PackMessage:
    pm = registry.match(etree.QName(doc.getroot()).namespace or "")
    assert pm is not None
    return pm


@pytest.mark.parametrize(
    ("name", "change", "reason"),
    [
        ("WMO305", _set("Client/Bsn", "17428591"), "BSN of 8 digits"),
        ("WMO305", _set("Client/Bsn", "1742859170"), "BSN of 10 digits"),
        ("WMO305", _set("Header/BerichtIdentificatie/Dagtekening", "2025-04-05+02:00"), "tz"),
        ("WMO305", _set("Header/BerichtIdentificatie/Dagtekening", "2025-04-05Z"), "UTC"),
        ("WMO305", _set("Header/BerichtCode", "419"), "retour code in a heen namespace"),
        ("WMO305", _set("Header/BerichtCode", "438"), "iJw code in an iWmo namespace"),
        ("JW305", _set("Header/BerichtCode", "418"), "iWmo code in an iJw namespace"),
        ("WMO305", _set("Header/BerichtVersie", "2"), "wrong BerichtVersie"),
        ("WMO305", _set("Header/BerichtSubversie", "1"), "wrong BerichtSubversie"),
        ("WMO305", _set("Header/Afzender", "0363"), "gemeente code where an AGB belongs"),
        ("WMO305", _set("Header/Ontvanger", "363"), "gemeente of 3 digits"),
        ("WMO305", _set("Client/StartProducten/StartProduct/StatusAanlevering", "5"), "status"),
        (
            "WMO301",
            _set("Client/ToegewezenProducten/ToegewezenProduct/Toewijzingstijd", "10:15:00Z"),
            "tz",
        ),
        ("WMO301", _set("Header/BerichtIdentificatie/Identificatie", "1234567890123"), "13 chars"),
        ("WMO306", _set("Header/RetourCodes/RetourCode", "XXXX"), "unknown retourcode"),
        ("WMO323", _set("Declaratie/DeclaratieNummer", "2025-04"), "declaratienummer pattern"),
        ("WMO405", _set("Header/Ontvanger", "0363"), "CAK party code of 4 digits"),
        ("WMO405", _set("Client/EigenBijdragen/EigenBijdrage/MeldingID", "not-a-uuid"), "uuid"),
    ],
)
def test_invalid_variants_are_rejected(
    name: str, change: Callable[[etree._ElementTree], None], reason: str, registry: PackRegistry
) -> None:
    doc = _fixture(name)
    pm = _schema_of(doc, registry)
    assert pm.schema.validate(doc), "the unchanged fixture must be valid"
    change(doc)
    assert not pm.schema.validate(doc), reason


def test_retour_class_without_retourcodes_is_rejected(registry: PackRegistry) -> None:
    doc = _fixture("WMO306")
    pm = _schema_of(doc, registry)
    (codes,) = _nodes(doc.getroot(), "*[local-name()='Client']/*[local-name()='RetourCodes']")
    parent = codes.getparent()
    assert parent is not None
    parent.remove(codes)
    assert not pm.schema.validate(doc)


def test_dates_pattern_matches_domain() -> None:
    text = (SCHEMAS_DIR / "iwmo-3.2" / "basisschema.xsd").read_text()
    assert re.search(
        r'name="LDT_Datum">.*?base="xs:date">\s*<xs:pattern value="\[\^:Z\]\*"/>', text, re.S
    )
    assert re.search(
        r'name="LDT_BurgerServicenummer">.*?<xs:pattern value="\[0-9\]\{9\}"/>', text, re.S
    )
