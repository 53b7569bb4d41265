"""Invalid variants of the valid fixtures, one (or more) per rule, as checked-in files.

`python -m tests.invalid_fixtures` rewrites tests/fixtures/invalid/; the tests check that the
files on disk are what this module makes, and that each gets the verdict it is meant to.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from hub.domain import xmlcodec

FIXTURES = Path(__file__).parent / "fixtures"
OUT = Path(__file__).parent / "invalid-fixtures"

Mutation = Callable[[etree._Element], None]


@dataclass(frozen=True)
class Variant:
    name: str
    base: str  # path below tests/fixtures
    expect_rule: str  # a rule id that must be among the findings
    expect_code: str  # its retourcode ("" for failures that get no retour)
    outcome: str
    mutate: Mutation | None = None
    raw: bytes | None = None  # for variants that are not well-formed at all


def _all(root: etree._Element, name: str) -> list[etree._Element]:
    return [e for e in root.iter() if xmlcodec.local_name(e) == name]


def _first(root: etree._Element, name: str) -> etree._Element:
    return _all(root, name)[0]


def _set(name: str, value: str, index: int = 0) -> Mutation:
    def apply(root: etree._Element) -> None:
        _all(root, name)[index].text = value

    return apply


def _steps(*mutations: Mutation) -> Mutation:
    def apply(root: etree._Element) -> None:
        for m in mutations:
            m(root)

    return apply


def _remove(name: str, index: int = 0) -> Mutation:
    def apply(root: etree._Element) -> None:
        el = _all(root, name)[index]
        parent = el.getparent()
        assert parent is not None
        parent.remove(el)

    return apply


def _duplicate_first(name: str) -> Mutation:
    def apply(root: etree._Element) -> None:
        el = _first(root, name)
        el.addnext(copy.deepcopy(el))

    return apply


def _budget_without_end(root: etree._Element) -> None:
    product = _first(root, "ToegewezenProduct")
    for tag in ("Einddatum", "Omvang"):
        product.remove(_all(product, tag)[0])
    budget = etree.SubElement(product, f"{{{product.nsmap[None]}}}Budget")
    budget.text = "50000"


def _rename_namespace(old: str, new: str) -> Mutation:
    def apply(root: etree._Element) -> None:
        for el in root.iter():
            if isinstance(el.tag, str) and old in el.tag:
                el.tag = el.tag.replace(old, new)

    return apply


W305, W307, W301, W323 = (f"iwmo-3.2/WMO{n}.xml" for n in (305, 307, 301, 323))

VARIANTS: tuple[Variant, ...] = (
    Variant("CS002-bsn-11-proef", W305, "CS002", "0001", "invalid", _set("Bsn", "174285918")),
    Variant("CS058-status-2", W305, "CS058", "0001", "invalid", _set("StatusAanlevering", "2")),
    Variant(
        "TR018-end-before-start", W307, "TR018", "0001", "invalid", _set("Einddatum", "2025-03-01")
    ),
    Variant(
        "TR134-start-after-dagtekening",
        W305,
        "TR134",
        "0001",
        "invalid",
        _set("Begindatum", "2025-12-01"),
    ),
    Variant(
        "TR135-dagtekening-future",
        W305,
        "TR135",
        "8848",
        "invalid",
        _set("Dagtekening", "2099-01-01"),
    ),
    Variant(
        "TR002-born-too-long-ago", W305, "TR002", "0001", "invalid", _set("Datum", "1890-01-01")
    ),
    Variant(
        "TR101-duplicate-start-line",
        W305,
        "TR101",
        "0001",
        "invalid",
        _duplicate_first("StartProduct"),
    ),
    Variant(
        "TR358-total-mismatch", W323, "TR358", "0001", "invalid", _set("TotaalBedrag", "187801")
    ),
    Variant(
        "CS325-zero-credit",
        W323,
        "CS325",
        "0001",
        "invalid",
        _steps(_set("Bedrag", "0"), _set("DebetCredit", "C", 1)),
    ),
    Variant(
        "CD075-budget-without-einddatum", W301, "CD075", "0001", "invalid", _budget_without_end
    ),
    Variant(
        "CD076-per-week-without-einddatum", W301, "CD076", "0001", "invalid", _remove("Einddatum")
    ),
    Variant(
        "CS338-etmaal-per-dag",
        W301,
        "CS338",
        "0001",
        "invalid",
        _steps(_set("Eenheid", "14"), _set("Frequentie", "1")),
    ),
    # CS025/CS015: the packs fix BerichtVersie/Subversie, so a wrong version names no loaded
    # release and the message is matched to no pack at all.
    Variant("CS025-versie-4", W305, "PACK", "", "unknown", _set("BerichtVersie", "4")),
    Variant("CS015-subversie-1", W305, "PACK", "", "unknown", _set("BerichtSubversie", "1")),
    Variant(
        "BERICHTCODE-wrong-for-namespace",
        W305,
        "BERICHTCODE",
        "",
        "unknown",
        _set("BerichtCode", "420"),
    ),
    Variant(
        "PACK-unknown-release",
        W305,
        "PACK",
        "",
        "unknown",
        _rename_namespace("/3_2/wmo305/", "/2_4/wmo305/"),
    ),
    Variant("XSD-bsn-ten-digits", W305, "XSD", "", "invalid", _set("Bsn", "1742859170")),
    Variant(
        "XSD-date-with-timezone", W305, "XSD", "", "invalid", _set("Begindatum", "2025-04-01Z")
    ),
    Variant("XSD-missing-begindatum", W305, "XSD", "", "invalid", _remove("Begindatum")),
    Variant(
        "XML-not-well-formed",
        W305,
        "XML:not_well_formed",
        "",
        "unreadable",
        raw=b"<?xml version='1.0'?>\n<Bericht><Header></Bericht>\n",
    ),
    Variant(
        "XML-doctype-xxe",
        W305,
        "XML:doctype",
        "",
        "unreadable",
        raw=b'<?xml version="1.0"?>\n<!DOCTYPE Bericht [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        b"<Bericht>&x;</Bericht>\n",
    ),
)


def build(variant: Variant) -> bytes:
    if variant.raw is not None:
        return variant.raw
    root = xmlcodec.parse_message((FIXTURES / variant.base).read_bytes())
    assert variant.mutate is not None
    variant.mutate(root)
    return xmlcodec.serialize(root) + b"\n"


def expectations() -> dict[str, dict[str, str]]:
    return {
        f"{v.name}.xml": {"rule": v.expect_rule, "retourcode": v.expect_code, "verdict": v.outcome}
        for v in VARIANTS
    }


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for variant in VARIANTS:
        (OUT / f"{variant.name}.xml").write_bytes(build(variant))
    (OUT / "expected.json").write_text(json.dumps(expectations(), indent=2) + "\n")


if __name__ == "__main__":
    main()
