"""The readers of `hub history import`: files, directories and ZIP archives, each input named
by where it came from, each one that cannot be read a problem with its reason."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from hub.ops.historyimport import sources
from hub.ops.historyimport.sources import Input, Problem


def _names(found: list[Input | Problem]) -> list[tuple[str, str]]:
    return [
        (f.name, "csv" if f.csv else "xml") if isinstance(f, Input) else (f.name, f.reason)
        for f in found
    ]


def test_files_and_directories_in_name_order_recursively(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.xml").write_bytes(b"<two/>")
    (tmp_path / "a.xml").write_bytes(b"<one/>")
    (tmp_path / "b" / "rows.CSV").write_bytes(b"x")
    single = tmp_path / "single.xml"
    single.write_bytes(b"<s/>")
    found = list(sources.read([tmp_path / "b", single, tmp_path / "a.xml"]))
    assert _names(found) == [
        (str(tmp_path / "b" / "2.xml"), "xml"),
        (str(tmp_path / "b" / "rows.CSV"), "csv"),
        (str(single), "xml"),
        (str(tmp_path / "a.xml"), "xml"),
    ]
    assert isinstance(found[0], Input)
    assert found[0].data == b"<two/>"


def test_a_missing_path_is_a_problem_and_the_rest_is_read(tmp_path: Path) -> None:
    (tmp_path / "a.xml").write_bytes(b"<a/>")
    found = list(sources.read([tmp_path / "gone", tmp_path / "a.xml"]))
    assert _names(found) == [
        (str(tmp_path / "gone"), "no such file or directory"),
        (str(tmp_path / "a.xml"), "xml"),
    ]


def test_zip_members_are_named_archive_bang_member(tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("2025/m1.xml", b"<m1/>")
        z.writestr("2025/", b"")  # a directory entry: nothing to read
        z.writestr("rows.csv", b"a,b")
    found = list(sources.read([tmp_path]))
    assert _names(found) == [(f"{archive}!2025/m1.xml", "xml"), (f"{archive}!rows.csv", "csv")]
    assert isinstance(found[0], Input)
    assert found[0].data == b"<m1/>"


def test_bad_zip_members_are_problems_and_the_good_ones_are_read(tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    inner = tmp_path / "inner.zip"
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("x.xml", b"<x/>")
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as z:
        z.writestr("good.xml", b"<good/>")
        z.writestr("corrupt.xml", b"<corrupt>abcdefgh</corrupt>")
        z.write(inner, "nested.zip")
        z.writestr("secret.xml", b"<s/>")
    data = bytearray(archive.read_bytes())
    # Flip a byte of corrupt.xml's content: its CRC no longer matches.
    at = data.index(b"abcdefgh")
    data[at] ^= 0xFF
    # Mark secret.xml encrypted (general purpose flag bit 0) in its central directory entry.
    entry = data.rindex(b"PK\x01\x02")  # the last entry is secret.xml's
    data[entry + 8] |= 0x1
    archive.write_bytes(bytes(data))
    inner.unlink()
    found = _names(list(sources.read([archive])))
    assert found[0] == (f"{archive}!good.xml", "xml")
    assert found[1][0] == f"{archive}!corrupt.xml"
    assert found[1][1].startswith("ZIP member cannot be read:")
    assert "CRC" in found[1][1]
    assert found[2] == (
        f"{archive}!nested.zip",
        "ZIP archive inside a ZIP archive: unpack it first",
    )
    assert found[3] == (f"{archive}!secret.xml", "ZIP member is encrypted")


def test_a_member_larger_than_a_message_stays_packed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "big.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("big.xml", b"<a>" + b"x" * 5000 + b"</a>")
    monkeypatch.setattr(sources, "MAX_MEMBER_BYTES", 1000)
    found = _names(list(sources.read([archive])))
    assert found == [
        (f"{archive}!big.xml", "ZIP member is larger than a message may be (1000 bytes)")
    ]


def test_a_file_named_zip_that_is_none_is_a_problem(tmp_path: Path) -> None:
    fake = tmp_path / "fake.zip"
    fake.write_bytes(b"not a zip at all")
    assert _names(list(sources.read([fake]))) == [
        (str(fake), "not a readable ZIP archive: File is not a zip file")
    ]
