"""A pack set is complete or refused: every message the hub may have to build (the answer to
each heenbericht, the eigen-bijdrage notices for iWmo) must be loaded, or `hub up`, `hub core`
and `hub packs` stop with the missing names."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hub.domain.errors import ConfigError
from hub.domain.packs import (
    PackError,
    PackRegistry,
    load_complete_packs,
    load_default_packs,
    load_packs,
    missing_messages,
    require_complete,
)

BUILTIN = {p.name: p for p in PackRegistry.default_dirs()}


def _copy(tmp_path: Path, name: str, *, drop: tuple[str, ...] = ()) -> Path:
    """A built-in pack as a dropped-in download (no manifest), less the files in `drop`."""
    target = tmp_path / name
    shutil.copytree(BUILTIN[name], target)
    (target / "manifest.json").unlink()
    for file_name in drop:
        (target / file_name).unlink()
    return target


def _hub(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_the_built_in_packs_are_complete() -> None:
    registry = load_default_packs()
    assert missing_messages(registry) == {}
    assert require_complete(registry) is registry


def test_a_pack_without_retour_xsds_is_refused_naming_them(tmp_path: Path) -> None:
    folder = _copy(tmp_path, "iwmo-3.2", drop=("wmo302.xsd", "wmo325.xsd"))
    registry = load_packs([*PackRegistry.default_dirs(), folder])  # overrides iwmo 3.2
    missing = {
        (p.standard.value, p.release): names for p, names in missing_messages(registry).items()
    }
    assert missing == {("iwmo", "3.2"): ("WMO302 (answer to WMO301)", "WMO325 (answer to WMO323)")}
    with pytest.raises(PackError) as refused:
        load_complete_packs([*PackRegistry.default_dirs(), folder])
    text = str(refused.value)
    assert "iwmo 3.2" in text
    assert str(folder.resolve()) in text
    assert "WMO302 (answer to WMO301)" in text
    assert "WMO325 (answer to WMO323)" in text
    assert isinstance(refused.value, ConfigError)  # the CLI's one-line error


def test_a_manifest_pack_without_a_retour_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "ijw-3.2"
    shutil.copytree(BUILTIN["ijw-3.2"], folder)
    (folder / "jw320.xsd").unlink()
    manifest = json.loads((folder / "manifest.json").read_text())
    del manifest["messages"]["JW320"]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(PackError, match=r"ijw 3\.2 .* lacks JW320 \(answer to JW319\)"):
        load_complete_packs([*PackRegistry.default_dirs(), folder])


def test_iwmo_without_an_ieb_pack_lacks_the_notices(tmp_path: Path) -> None:
    iwmo = _copy(tmp_path, "iwmo-3.2")
    (missing,) = missing_messages(load_packs([iwmo])).values()
    assert missing == (
        "WMO405 (eigen-bijdrage notice, from an iEb pack)",
        "WMO407 (eigen-bijdrage notice, from an iEb pack)",
    )
    # iJw has no eigen bijdrage; an iEb pack alone needs only its own retours.
    assert missing_messages(load_packs([BUILTIN["ijw-3.2"], BUILTIN["ieb-4.0"]])) == {}


def test_an_ieb_pack_without_the_cak_retour_is_refused(tmp_path: Path) -> None:
    ieb = _copy(tmp_path, "ieb-4.0", drop=("wmo406.xsd",))
    missing = missing_messages(load_packs([*PackRegistry.default_dirs(), ieb]))
    assert {(p.standard.value, names) for p, names in missing.items()} == {
        ("ieb", ("WMO406 (answer to WMO405)",))
    }


def test_a_retour_without_its_heenbericht_asks_for_nothing(tmp_path: Path) -> None:
    folder = _copy(tmp_path, "iwmo-3.2", drop=("wmo301.xsd", "wmo323.xsd"))
    assert missing_messages(load_packs([*PackRegistry.default_dirs(), folder])) == {}


# --- the commands ---------------------------------------------------------------------------


def test_hub_packs_lists_the_built_in_packs() -> None:
    done = _hub("packs")
    assert done.returncode == 0, done.stderr
    assert "iwmo 3.2" in done.stdout
    assert "WMO302" in done.stdout


def test_hub_packs_refuses_an_incomplete_pack(tmp_path: Path) -> None:
    folder = _copy(tmp_path, "iwmo-3.2", drop=("wmo302.xsd",))
    done = _hub("packs", "--pack", str(folder))
    assert done.returncode == 2
    assert done.stderr.startswith("hub: error: incomplete schema packs")
    assert "WMO302 (answer to WMO301)" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize("command", ["core", "up"])
def test_core_and_up_refuse_an_incomplete_pack_before_starting(
    tmp_path: Path, command: str
) -> None:
    folder = _copy(tmp_path, "iwmo-3.2", drop=("wmo316.xsd",))
    env = {
        "HUB_PACK_DIRS": str(folder),
        # Nothing listens here: the refusal comes before any connection is tried.
        "HUB_KAFKA_BOOTSTRAP": "127.0.0.1:9",
        "HUB_DATABASE_URL": "postgresql://hub@127.0.0.1:9/hub",
        "HUB_DATA_DIR": str(tmp_path / "data"),
    }
    done = _hub(command, env=env)
    assert done.returncode == 2, done.stderr
    assert "incomplete schema packs" in done.stderr
    assert "WMO316 (answer to WMO315)" in done.stderr
    assert "Traceback" not in done.stderr
