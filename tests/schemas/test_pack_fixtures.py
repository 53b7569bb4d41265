"""Every fixture is a valid, realistic sample of its message in its pack."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from hub.domain.messages import CATALOGUE, Standard, of_standard
from hub.domain.packs import PackRegistry
from hub.ops.packgen.output import FIXTURES_DIR
from tests.packkit import default_packs

FIXTURES = sorted(FIXTURES_DIR.glob("*/*.xml"))
FOLDERS = {"iwmo-3.2": Standard.IWMO, "ijw-3.2": Standard.IJW, "ieb-4.0": Standard.IEB}


@pytest.fixture(scope="module")
def registry() -> PackRegistry:
    return default_packs()


def _strings(doc: etree._ElementTree, path: str) -> list[str]:
    found = doc.xpath(path)
    assert isinstance(found, list)
    return [str(s) for s in found]


def _texts(doc: etree._ElementTree, local: str) -> list[str]:
    return _strings(doc, f"//*[local-name()='{local}']/text()")


def _elfproef(bsn: str) -> bool:
    digits = [int(c) for c in bsn]
    return (
        sum(w * d for w, d in zip(range(9, 1, -1), digits[:8], strict=True)) % 11 == digits[8] % 11
    )


def test_one_fixture_per_message_per_pack() -> None:
    for folder, standard in FOLDERS.items():
        names = sorted(p.stem for p in (FIXTURES_DIR / folder).glob("*.xml"))
        assert names == sorted(mt.name for mt in of_standard(standard)), folder
    assert len(FIXTURES) == 32


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_fixture_is_valid_and_realistic(path: Path, registry: PackRegistry) -> None:
    doc = etree.parse(str(path))
    namespace = etree.QName(doc.getroot()).namespace or ""
    pm = registry.match(namespace)
    assert pm is not None, namespace
    assert pm.name == path.stem
    assert pm.pack.dir.name == path.parent.name
    assert pm.schema.validate(doc), pm.schema.error_log
    assert 500 <= path.stat().st_size <= 4096
    assert _texts(doc, "BerichtCode") == [pm.bericht_code]
    for bsn in _texts(doc, "Bsn"):
        assert _elfproef(bsn), bsn
    (dagtekening, *_) = _texts(doc, "Dagtekening")
    assert dagtekening.startswith("2025-")
    for begin in _strings(
        doc, "//*[local-name()='StartProduct']/*[local-name()='Begindatum']/text()"
    ):
        assert str(begin) <= dagtekening
    for end in _strings(doc, "//*[local-name()='StopProduct']/*[local-name()='Einddatum']/text()"):
        assert str(end) <= dagtekening


def test_retours_copy_the_heen_header_parties() -> None:
    for mt in CATALOGUE.values():
        if mt.direction.value != "retour" or mt.answers is None:
            continue
        folder = next(f for f, s in FOLDERS.items() if s is mt.standard)
        retour = etree.parse(str(FIXTURES_DIR / folder / f"{mt.name}.xml"))
        heen = etree.parse(str(FIXTURES_DIR / folder / f"{mt.answers}.xml"))
        for field in ("Afzender", "Ontvanger", "Identificatie"):
            assert _texts(retour, field)[:1] == _texts(heen, field)[:1], (mt.name, field)


def test_declaratie_totals_add_up() -> None:
    doc = etree.parse(str(FIXTURES_DIR / "iwmo-3.2" / "WMO323.xml"))
    total = int(_texts(doc, "TotaalBedrag")[0])
    assert total == sum(int(b) for b in _texts(doc, "Bedrag"))
