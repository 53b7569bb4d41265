"""The checks of an uploaded ZIP archive (hub/domain/ziparchive.py), pure: every hostile kind is
refused whole with its reason, in bounded time, and a good archive gives its members back."""

from __future__ import annotations

import io
import struct
import time
import warnings
import zipfile
from pathlib import Path

import pytest

from hub.domain import ziparchive
from hub.domain.ziparchive import ArchiveRefused, Limits

FIXTURES = Path(__file__).parent / "fixtures" / "iwmo-3.2"
WMO305 = (FIXTURES / "WMO305.xml").read_bytes()
MB = 1024 * 1024


def zipped(*members: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate name on purpose
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in members:
                archive.writestr(name, data)
    return buffer.getvalue()


def encrypted(data: bytes) -> bytes:
    """`data` with its one member flagged encrypted (zipfile cannot write real encryption)."""
    out = bytearray(data)
    for signature, at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        where = out.find(signature) + at
        struct.pack_into("<H", out, where, struct.unpack_from("<H", out, where)[0] | 0x1)
    return bytes(out)


def lying(data: bytes, claimed: int) -> bytes:
    """`data` with every size header of its one member claiming `claimed` uncompressed bytes."""
    out = bytearray(data)
    local = out.find(b"PK\x03\x04")
    struct.pack_into("<I", out, local + 22, claimed)
    central = out.find(b"PK\x01\x02")
    struct.pack_into("<I", out, central + 24, claimed)
    return bytes(out)


BOMB = zipped(("bomb.xml", b"<" + b"\0" * (5 * MB)))  # 5 MB of zeros in ~5 KB

HOSTILE: dict[str, tuple[bytes, str]] = {
    "not a zip": (b"<Bericht/>", "not_a_zip"),
    "truncated": (zipped(("a.xml", WMO305))[:-30], "not_a_zip"),
    "empty": (zipped(), "empty"),
    "traversal": (zipped(("../evil.xml", WMO305)), "unsafe_name"),
    "deep traversal": (zipped(("a/../../evil.xml", WMO305)), "unsafe_name"),
    "absolute": (zipped(("/etc/evil.xml", WMO305)), "unsafe_name"),
    "backslash": (zipped(("..\\evil.xml", WMO305)), "unsafe_name"),
    "drive": (zipped(("C:evil.xml", WMO305)), "unsafe_name"),
    "folder": (zipped(("sub/a.xml", WMO305)), "folder"),
    "nested by name": (
        zipped(("a.xml", WMO305), ("inner.zip", zipped(("b.xml", WMO305)))),
        "nested_zip",
    ),
    "nested by content": (zipped(("inner.xml", zipped(("b.xml", WMO305)))), "nested_zip"),
    "non-xml name": (zipped(("a.xml", WMO305), ("notes.txt", b"hello")), "not_xml"),
    "non-xml content": (zipped(("a.xml", b"\x00\x01\x02binary")), "not_xml"),
    "duplicate": (zipped(("a.xml", WMO305), ("a.xml", WMO305)), "duplicate_name"),
    "duplicate by case": (zipped(("a.xml", WMO305), ("A.XML", WMO305)), "duplicate_name"),
    "encrypted": (encrypted(zipped(("a.xml", WMO305))), "encrypted"),
    "too many": (zipped(*((f"m{i}.xml", WMO305) for i in range(101))), "too_many_members"),
    "ratio bomb": (BOMB, "compression_ratio"),
    "header lies small": (lying(BOMB, 1000), "not_a_zip"),
    "header lies under the ratio": (lying(BOMB, 1_000_000), "not_a_zip"),
    "member over 25 MB": (zipped(("big.xml", b"<" + b" " * (26 * MB))), "member_too_large"),
}


@pytest.mark.parametrize(("body", "reason"), HOSTILE.values(), ids=list(HOSTILE))
def test_a_hostile_archive_is_refused_whole_with_its_reason(body: bytes, reason: str) -> None:
    started = time.monotonic()
    with pytest.raises(ArchiveRefused) as refused:
        ziparchive.read_archive(body, Limits())
    assert refused.value.reason == reason, refused.value.detail
    assert refused.value.detail
    assert time.monotonic() - started < 2


def test_the_files_together_are_bounded() -> None:
    body = zipped(*((f"m{i}.xml", b"<" + bytes(range(256)) * 2048) for i in range(3)))  # 3 x 0.5 MB
    assert len(ziparchive.read_archive(body, Limits(max_total_bytes=2 * MB))) == 3
    with pytest.raises(ArchiveRefused) as refused:
        ziparchive.read_archive(body, Limits(max_total_bytes=1 * MB))
    assert refused.value.reason == "total_too_large"


def test_a_good_archive_gives_each_member_back() -> None:
    body = zipped(("a.xml", WMO305), ("b.XML", b"\xef\xbb\xbf  <x/>"))
    members = ziparchive.read_archive(body, Limits())
    assert [(m.name, m.payload) for m in members] == [
        ("a.xml", WMO305),
        ("b.XML", b"\xef\xbb\xbf  <x/>"),
    ]


def test_declaraties_at_most_30_and_never_mixed() -> None:
    limits = Limits()
    thirty = [(f"d{i}.xml", 323) for i in range(30)]
    ziparchive.check_kinds(thirty, limits)
    ziparchive.check_kinds([("a.xml", 305), ("b.xml", 307), ("c.xml", None)], limits)
    ziparchive.check_kinds([*thirty, ("broken.xml", None)], limits)  # its own refusal tells
    with pytest.raises(ArchiveRefused) as refused:
        ziparchive.check_kinds([*thirty, ("d30.xml", 323)], limits)
    assert refused.value.reason == "too_many_declaraties"
    with pytest.raises(ArchiveRefused) as refused:
        ziparchive.check_kinds([("d.xml", 323), ("a.xml", 305)], limits)
    assert (refused.value.reason, refused.value.member) == ("mixed_declaraties", "a.xml")
