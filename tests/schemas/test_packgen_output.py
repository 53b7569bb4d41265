"""The generator's output is byte-stable and equal to the checked-in packs and fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hub.domain.messages import Standard, of_standard
from hub.ops.packgen.__main__ import main
from hub.ops.packgen.output import FIXTURES_DIR, SCHEMAS_DIR, check, fixture_files, schema_files


def test_checked_in_schemas_match_the_generator() -> None:
    assert check(SCHEMAS_DIR, schema_files()) == []


def test_checked_in_fixtures_match_the_generator() -> None:
    assert check(FIXTURES_DIR, fixture_files()) == []


def test_output_is_byte_stable_utf8_with_trailing_newline() -> None:
    first = {**schema_files(), **fixture_files()}
    second = {**schema_files(), **fixture_files()}
    assert first == second
    for name, data in first.items():
        assert data.endswith(b"\n"), name
        assert not data.endswith(b"\n\n"), name
        data.decode("utf-8")


def test_cli_writes_then_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--out", str(tmp_path / "schemas"), "--fixtures", str(tmp_path / "fixtures")]
    assert main(args) == 0
    assert main([*args, "--check"]) == 0

    manifest = tmp_path / "schemas" / "iwmo-3.2" / "manifest.json"
    manifest.write_text(manifest.read_text() + " ")
    (tmp_path / "schemas" / "iwmo-3.2" / "stray.xsd").write_text("<x/>")
    capsys.readouterr()
    assert main([*args, "--check"]) == 1
    err = capsys.readouterr().err
    assert "differs" in err
    assert "manifest.json" in err
    assert "not generated" in err
    assert "stray.xsd" in err


@pytest.mark.parametrize(
    ("folder", "standard", "release", "versie", "subversie", "xsd"),
    [
        ("iwmo-3.2", "iwmo", "3.2", 3, 2, "1.0.0"),
        ("ijw-3.2", "ijw", "3.2", 3, 2, "0.1.0"),  # the published iJw XSDs are 0.1.0
        ("ieb-4.0", "ieb", "4.0", 4, 0, "1.0.0"),
    ],
)
def test_manifests(
    folder: str, standard: str, release: str, versie: int, subversie: int, xsd: str
) -> None:
    data = json.loads((SCHEMAS_DIR / folder / "manifest.json").read_text())
    assert data["standard"] == standard
    assert data["release"] == release
    assert (data["bericht_versie"], data["bericht_subversie"]) == (versie, subversie)
    assert data["basisschema_xsd_versie"] == data["bericht_xsd_versie"] == xsd
    assert data["basisschema"] == "basisschema.xsd"
    assert data["origin"].startswith("isd-hub")
    expected = {mt.name: f"{mt.name.lower()}.xsd" for mt in of_standard(Standard(standard))}
    assert data["messages"] == expected
    for file_name in expected.values():
        assert (SCHEMAS_DIR / folder / file_name).is_file()


def test_ieb_pack_is_marked_as_the_hubs_own_model() -> None:
    data = json.loads((SCHEMAS_DIR / "ieb-4.0" / "manifest.json").read_text())
    assert data["hub_model"] is True
    readme = (SCHEMAS_DIR / "ieb-4.0" / "README.md").read_text()
    assert "own model" in readme
    assert "official pack" in readme
    for folder in ("iwmo-3.2", "ijw-3.2"):
        assert (
            json.loads((SCHEMAS_DIR / folder / "manifest.json").read_text())["hub_model"] is False
        )
