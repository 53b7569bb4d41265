"""The complete generator output as relative paths and bytes, and writing or checking it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from hub.ops.packgen.basistypes import basis_types
from hub.ops.packgen.packspec import (
    BASISSCHEMA_FILE,
    PACKS,
    PackSpec,
    manifest,
    message_schema,
    readme,
)
from hub.ops.packgen.render import render_basisschema, render_message
from hub.ops.packgen.samples import samples

# Relative to the repository root (the parent of the `hub` package).
REPO_ROOT = Path(__file__).resolve().parents[3]
SCHEMAS_DIR = REPO_ROOT / "hub" / "schemas"
FIXTURES_DIR = REPO_ROOT / "tests" / "fixtures"

Files = Mapping[PurePosixPath, bytes]


def pack_files(spec: PackSpec) -> dict[PurePosixPath, bytes]:
    """Every file of one pack folder, relative to that folder."""
    files = {
        PurePosixPath(BASISSCHEMA_FILE): render_basisschema(spec, *basis_types(spec.standard)),
        PurePosixPath("manifest.json"): manifest(spec),
    }
    for mt in spec.messages():
        files[PurePosixPath(spec.xsd_file(mt))] = render_message(spec, message_schema(spec, mt))
    note = readme(spec)
    if note is not None:
        files[PurePosixPath("README.md")] = note
    return files


def schema_files() -> dict[PurePosixPath, bytes]:
    """All packs, relative to the schemas root."""
    return {
        PurePosixPath(spec.folder) / name: data
        for spec in PACKS
        for name, data in pack_files(spec).items()
    }


def fixture_files() -> dict[PurePosixPath, bytes]:
    """One sample per message per pack, relative to the fixtures root."""
    return {
        PurePosixPath(spec.folder) / f"{mt.name}.xml": samples(spec, mt)
        for spec in PACKS
        for mt in spec.messages()
    }


def write(root: Path, files: Files) -> list[Path]:
    """Write `files` under `root`; return the paths whose content changed."""
    changed = []
    for rel, data in sorted(files.items()):
        path = root / rel
        if path.is_file() and path.read_bytes() == data:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        changed.append(path)
    return changed


def check(root: Path, files: Files) -> list[str]:
    """Differences between `files` and what is on disk under `root`, one line each."""
    problems = []
    for rel, data in sorted(files.items()):
        path = root / rel
        if not path.is_file():
            problems.append(f"missing: {path}")
        elif path.read_bytes() != data:
            problems.append(f"differs: {path}")
    # Generated folders hold only generated files; a stray file there would be loaded as a pack.
    folders = {root / rel.parts[0] for rel in files}
    for folder in sorted(folders):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and PurePosixPath(path.relative_to(root).as_posix()) not in files:
                problems.append(f"not generated: {path}")
    return problems
