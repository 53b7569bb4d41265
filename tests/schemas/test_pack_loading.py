"""Loading packs: inference without a manifest, releases side by side, overrides, errors."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from lxml import etree

from hub.domain.errors import ConfigError
from hub.domain.packs import PackError, PackRegistry, load_default_packs, load_pack, load_packs
from hub.ops.packgen.output import FIXTURES_DIR, SCHEMAS_DIR

IWMO = SCHEMAS_DIR / "iwmo-3.2"


def _copy(tmp_path: Path, name: str = "pack") -> Path:
    target = tmp_path / name
    shutil.copytree(IWMO, target)
    return target


def _fixture(name: str) -> etree._ElementTree:
    return etree.parse(str(FIXTURES_DIR / "iwmo-3.2" / f"{name}.xml"))


def test_pack_without_manifest_and_capitalised_basisschema_is_inferred(tmp_path: Path) -> None:
    folder = _copy(tmp_path, "download")
    (folder / "manifest.json").unlink()
    (folder / "basisschema.xsd").rename(folder / "Basisschema.xsd")

    registry = load_packs([folder])
    (pack,) = registry.packs
    assert (pack.standard.value, pack.release) == ("iwmo", "3.2")
    assert (pack.bericht_versie, pack.bericht_subversie) == (3, 2)
    assert (pack.basisschema_xsd_versie, pack.bericht_xsd_versie) == ("1.0.0", "1.0.0")
    assert "inferred" in pack.origin
    assert not pack.hub_model
    assert pack.basisschema is not None
    assert pack.basisschema.name == "Basisschema.xsd"
    assert len(registry) == 14
    pm = registry.get("iwmo", "3.2", "WMO305")
    assert pm.bericht_code == "418"
    assert pm.schema.validate(_fixture("WMO305"))


def _renamespace(folder: Path, release: str, subversie: int) -> None:
    """Turn a copied 3.2 pack into another release, as a second official download would be."""
    tag = release.replace(".", "_")
    for xsd in folder.glob("*.xsd"):
        text = xsd.read_text().replace("/3_2/", f"/{tag}/")
        # The header fixes BerichtSubversie by a local pattern, as the published XSDs do.
        text = re.sub(
            r'(<xs:restriction base="iwmo:LDT_BerichtSubversie">\s*<xs:pattern value=)"2"',
            rf'\1"{subversie}"',
            text,
        )
        xsd.write_text(text)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest.update(release=release, bericht_subversie=subversie, origin="test copy")
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_two_releases_side_by_side(tmp_path: Path) -> None:
    old = _copy(tmp_path, "iwmo-3.1")
    _renamespace(old, "3.1", 1)
    registry = load_packs([*PackRegistry.default_dirs(), old])

    assert registry.releases("iwmo") == ("3.1", "3.2")
    new_pm = registry.match("http://www.istandaarden.nl/iwmo/3_2/wmo305/schema")
    old_pm = registry.match("http://www.istandaarden.nl/iwmo/3_1/wmo305/schema")
    assert new_pm is not None
    assert old_pm is not None
    assert (new_pm.pack.release, old_pm.pack.release) == ("3.2", "3.1")
    assert old_pm.pack.bericht_subversie == 1

    doc = _fixture("WMO305")
    assert new_pm.schema.validate(doc)
    assert not old_pm.schema.validate(doc)
    text = etree.tostring(doc).decode().replace("/3_2/", "/3_1/")
    old_doc = etree.ElementTree(etree.fromstring(text))
    assert not old_pm.schema.validate(old_doc)  # still says BerichtSubversie 2
    for sub in old_doc.getroot().iter("{*}BerichtSubversie"):
        sub.text = "1"
    assert old_pm.schema.validate(old_doc), old_pm.schema.error_log


def test_later_directory_overrides_the_same_release(tmp_path: Path) -> None:
    replacement = _copy(tmp_path, "official")
    (replacement / "manifest.json").unlink()
    registry = load_packs([*PackRegistry.default_dirs(), replacement])
    pack = registry.pack("iwmo", "3.2")
    assert pack is not None
    assert pack.dir == replacement.resolve()
    pm = registry.match("http://www.istandaarden.nl/iwmo/3_2/wmo301/schema")
    assert pm is not None
    assert pm.pack is pack
    assert len(registry) == 32


def test_lookups_that_miss() -> None:
    registry = load_default_packs()
    assert registry.match("http://www.istandaarden.nl/iwmo/3_0/wmo305/schema") is None
    assert registry.match("urn:something-else") is None
    assert registry.pack("iwmo", "3.0") is None
    assert registry.pack("nope", "3.2") is None
    with pytest.raises(KeyError, match="no pack"):
        registry.get("iwmo", "3.0", "WMO305")
    with pytest.raises(KeyError, match="WMO399"):
        registry.get("iwmo", "3.2", "WMO399")
    assert registry.get("iwmo", "3.2", "wmo305").name == "WMO305"


# --- bad packs -------------------------------------------------------------------------------


def test_pack_error_is_a_config_error() -> None:
    assert issubclass(PackError, ConfigError)


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(PackError, match="does not exist"):
        load_pack(tmp_path / "nowhere")


def test_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(PackError, match=r"no manifest\.json and no \.xsd"):
        load_pack(tmp_path)


def test_manifest_names_a_missing_file(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "wmo307.xsd").unlink()
    with pytest.raises(PackError, match=r"wmo307\.xsd: file not found"):
        load_pack(folder)


def test_unreadable_manifest(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "manifest.json").write_text("{not json")
    with pytest.raises(PackError, match=r"manifest\.json: unreadable manifest"):
        load_pack(folder)


def test_xsd_that_does_not_compile(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    xsd = folder / "wmo305.xsd"
    xsd.write_text(xsd.read_text().replace("iwmo:LDT_Geslacht", "iwmo:LDT_Bestaat_Niet"))
    with pytest.raises(PackError, match=r"wmo305\.xsd: XSD does not compile"):
        load_pack(folder)


def test_xsd_that_is_not_xml(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "wmo305.xsd").write_text("<xs:schema")
    with pytest.raises(PackError, match=r"wmo305\.xsd: cannot read XSD"):
        load_pack(folder)


def test_unknown_namespace(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "manifest.json").unlink()
    (folder / "extra.xsd").write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:other"/>'
    )
    with pytest.raises(PackError, match=r"extra\.xsd: unknown namespace 'urn:other'"):
        load_pack(folder)


def test_unknown_message_in_an_istandaarden_namespace(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "manifest.json").unlink()
    xsd = (folder / "wmo305.xsd").read_text().replace("/wmo305/", "/wmo399/")
    (folder / "wmo399.xsd").write_text(xsd)
    with pytest.raises(PackError, match=r"wmo399\.xsd: namespace names unknown iwmo message"):
        load_pack(folder)


def test_mixed_releases_in_one_folder(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "manifest.json").unlink()
    xsd = folder / "wmo305.xsd"
    xsd.write_text(xsd.read_text().replace("iwmo/3_2/wmo305", "iwmo/3_1/wmo305"))
    with pytest.raises(PackError, match="one release"):
        load_pack(folder)


def test_import_outside_the_folder_is_refused(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    shutil.copy(folder / "basisschema.xsd", tmp_path / "elsewhere" / "shared.xsd")
    for location in ("../elsewhere/shared.xsd", "http://example.invalid/basisschema.xsd"):
        xsd = folder / "wmo305.xsd"
        text = (IWMO / "wmo305.xsd").read_text()
        xsd.write_text(
            text.replace('schemaLocation="basisschema.xsd"', f'schemaLocation="{location}"')
        )
        with pytest.raises(PackError, match="refused to load"):
            load_pack(folder)


def test_manifest_that_lists_a_file_under_the_wrong_name(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["messages"]["WMO305"] = "wmo307.xsd"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(PackError, match="listed as WMO305"):
        load_pack(folder)
