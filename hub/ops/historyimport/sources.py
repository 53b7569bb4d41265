"""What `hub history import` reads: message files, directories and ZIP archives as named inputs,
each either bytes to import or a problem (the name and why it could not be read)."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from hub.domain import xmlcodec

CSV_SUFFIX: Final = ".csv"
ZIP_SUFFIX: Final = ".zip"
# A member larger than a message may be is not read at all (a ZIP bomb stays packed).
MAX_MEMBER_BYTES: Final = xmlcodec.MAX_BYTES


@dataclass(frozen=True, slots=True)
class Input:
    """One message file or CSV to import; `name` says where it came from (archive!member)."""

    name: str
    data: bytes
    csv: bool = False


@dataclass(frozen=True, slots=True)
class Problem:
    """An input that could not be used, and why (never its content: it may hold a BSN)."""

    name: str
    reason: str


def read(paths: Iterable[Path]) -> Iterator[Input | Problem]:
    """Every input under `paths`, in the order given; directories in name order, recursively."""
    for path in paths:
        if path.is_dir():
            for found in sorted(p for p in path.rglob("*") if p.is_file()):
                yield from _file(found)
        elif path.exists():
            yield from _file(path)
        else:
            yield Problem(str(path), "no such file or directory")


def _file(path: Path) -> Iterator[Input | Problem]:
    suffix = path.suffix.lower()
    if suffix == ZIP_SUFFIX:
        yield from _archive(path)
        return
    try:
        data = path.read_bytes()
    except OSError as exc:
        yield Problem(str(path), f"cannot be read: {exc.strerror}")
        return
    yield Input(str(path), data, csv=suffix == CSV_SUFFIX)


def _archive(path: Path) -> Iterator[Input | Problem]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        yield Problem(str(path), f"not a readable ZIP archive: {exc}")
        return
    with archive:
        for info in archive.infolist():
            name = f"{path}!{info.filename}"
            if info.is_dir():
                continue
            problem = _member_problem(info)
            if problem is not None:
                yield Problem(name, problem)
                continue
            try:
                data = archive.read(info)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError,
                    RuntimeError, EOFError) as exc:  # fmt: skip
                # BadZipFile: a CRC or header error; RuntimeError: encrypted; NotImplemented:
                # an unknown compression method.
                yield Problem(name, f"ZIP member cannot be read: {exc}")
                continue
            yield Input(name, data, csv=info.filename.lower().endswith(CSV_SUFFIX))


def _member_problem(info: zipfile.ZipInfo) -> str | None:
    if info.flag_bits & 0x1:
        return "ZIP member is encrypted"
    if info.filename.lower().endswith(ZIP_SUFFIX):
        return "ZIP archive inside a ZIP archive: unpack it first"
    if info.file_size > MAX_MEMBER_BYTES:
        return f"ZIP member is larger than a message may be ({MAX_MEMBER_BYTES} bytes)"
    return None
