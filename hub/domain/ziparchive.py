"""The checks an uploaded ZIP archive of messages passes before any of its messages is judged.

Pure (stdlib zipfile only): the archive is refused whole (`ArchiveRefused`, with a reason and the
member it is about) for what the nodes refuse (rules.md §4: IB901–IB905, BRS15–21/29) and for what
would hurt the hub (path traversal, nested archives, zip bombs, encrypted or non-XML members).

Sizes are read from the central directory first (`ZipInfo.file_size`, cheap) and enforced again
while each member is decompressed, since a header may lie; nothing is extracted to disk.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from hub.domain.errors import HubError

MB: Final = 1024 * 1024
NODE_LIMIT_BYTES: Final = 25 * MB  # the nodes' limit, of the archive and of each file in it
MAX_DECLARATIES: Final = 30  # issue #20 point 2: at most 30 declaraties (323) per archive
DECLARATIE: Final = 323
_CHUNK: Final = 64 * 1024
_EOCD: Final = b"PK\x05\x06"
_ZIP_MAGIC: Final = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_BOM: Final = b"\xef\xbb\xbf"
# A name is a plain file name: no folder (BRS29), no drive, no control character.
_DRIVE: Final = re.compile(r"^[A-Za-z]:")
_ENCRYPTED: Final = 0x1  # general purpose flag bit 0 (APPNOTE 4.4.4)


@dataclass(frozen=True, slots=True)
class Limits:
    """How much one archive may hold. The nodes fix the 25 MB and the 30 declaraties; the rest
    are the hub's own bounds against abuse (HUB_ZIP_* settings)."""

    max_members: int = 100
    max_total_bytes: int = 100 * MB  # all members together, uncompressed
    max_ratio: int = 200  # uncompressed / compressed, for members above ratio_floor
    ratio_floor: int = 1 * MB  # below it a high ratio cannot hurt (a small file of blanks)
    max_member_bytes: int = NODE_LIMIT_BYTES
    max_declaraties: int = MAX_DECLARATIES


@dataclass(frozen=True, slots=True)
class Member:
    name: str
    payload: bytes


class ArchiveRefused(HubError):
    """The whole archive is refused: `reason` is the refusal's reason (nodecodes' `zip/...`)."""

    def __init__(self, reason: str, detail: str, member: str | None = None) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.member = member


def read_archive(data: bytes, limits: Limits) -> list[Member]:
    """Every member of the archive, checked: refused whole at the first problem."""
    _check_entry_count(data, limits)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zlib.error, ValueError, EOFError, OSError) as exc:
        raise ArchiveRefused(
            "not_a_zip", f"the body is not a readable ZIP archive ({exc})"
        ) from None
    with archive:
        infos = archive.infolist()
        check_directory(infos, limits)
        members: list[Member] = []
        budget = limits.max_total_bytes
        for info in infos:
            payload = _read_member(archive, info, limits, budget)
            budget -= len(payload)
            check_content(info.filename, payload)
            members.append(Member(info.filename, payload))
    return members


def check_directory(infos: Sequence[zipfile.ZipInfo], limits: Limits) -> None:
    """What the central directory shows, before anything is decompressed."""
    if not infos:
        raise ArchiveRefused("empty", "the archive holds no file")
    if len(infos) > limits.max_members:
        raise ArchiveRefused(
            "too_many_members",
            f"the archive holds {len(infos)} files; at most {limits.max_members} are taken",
        )
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        check_name(name, info.orig_filename)
        folded = name.casefold()
        if folded in seen:
            raise ArchiveRefused("duplicate_name", f"{name!r} is in the archive twice", name)
        seen.add(folded)
        if info.flag_bits & _ENCRYPTED:
            raise ArchiveRefused("encrypted", f"{name!r} is encrypted (password protected)", name)
        if name.lower().endswith(".zip"):
            raise ArchiveRefused("nested_zip", f"{name!r} is an archive inside the archive", name)
        if not name.lower().endswith(".xml"):
            raise ArchiveRefused("not_xml", f"{name!r} is not an .xml file", name)
        if info.file_size > limits.max_member_bytes:
            raise ArchiveRefused(
                "member_too_large",
                f"{name!r} is {info.file_size} bytes uncompressed; a file may hold at most 25 MB",
                name,
            )
        _check_ratio(name, info.file_size, info.compress_size, limits)
        total += info.file_size
        if total > limits.max_total_bytes:
            raise ArchiveRefused(
                "total_too_large",
                f"the files hold more than {limits.max_total_bytes} bytes uncompressed",
            )


def check_name(name: str, original: str | None = None) -> None:
    """A member is a plain file name: no path (traversal, absolute, folders, backslashes)."""
    for shown in {name, original or name}:
        unsafe = (
            ".." in shown.split("/")
            or ".." in shown.split("\\")
            or shown.startswith(("/", "\\"))
            or bool(_DRIVE.match(shown))
            or any(ord(c) < 0x20 or c == "\x7f" for c in shown)
        )
        if unsafe or "\\" in shown:
            raise ArchiveRefused(
                "unsafe_name",
                f"{shown!r} is not a plain file name (a path "
                "outside the archive, absolute, or with backslashes)",
                shown,
            )
        if "/" in shown:
            raise ArchiveRefused(
                "folder",
                f"{shown!r} is in a folder; the archive must hold only files at its top level",
                shown,
            )
        if not shown.strip() or len(shown) > 255:
            raise ArchiveRefused(
                "unsafe_name",
                f"{shown[:80]!r} is not a file name (empty or over 255 characters)",
                shown[:80],
            )


def check_content(name: str, payload: bytes) -> None:
    """A member is an XML message: not an archive, and it opens like XML."""
    if payload.startswith(_ZIP_MAGIC):
        raise ArchiveRefused("nested_zip", f"{name!r} is an archive inside the archive", name)
    head = payload[:64].removeprefix(_BOM)
    if not head.lstrip().startswith(b"<"):
        raise ArchiveRefused("not_xml", f"{name!r} is not XML (it does not begin with '<')", name)


def check_kinds(kinds: Sequence[tuple[str, int | None]], limits: Limits) -> None:
    """The nodes' rule on declaraties: at most `max_declaraties` (323) per archive, and never
    with other messages. `kinds` is each member's name and message number (None: unknown, which
    its own refusal will tell)."""
    declaraties = [name for name, number in kinds if number == DECLARATIE]
    if not declaraties:
        return
    others = [name for name, number in kinds if number is not None and number != DECLARATIE]
    if others:
        raise ArchiveRefused(
            "mixed_declaraties",
            f"the archive mixes {len(declaraties)} "
            f"declaratie(s) with {len(others)} other message(s) (e.g. "
            f"{others[0]!r}); send declaraties in an archive of their own",
            others[0],
        )
    if len(declaraties) > limits.max_declaraties:
        raise ArchiveRefused(
            "too_many_declaraties",
            f"the archive holds {len(declaraties)} "
            f"declaraties; at most {limits.max_declaraties} per archive",
        )


def _check_ratio(name: str, size: int, compressed: int, limits: Limits) -> None:
    if size > limits.ratio_floor and size > limits.max_ratio * max(compressed, 1):
        raise ArchiveRefused(
            "compression_ratio",
            f"{name!r} expands {size} bytes from "
            f"{compressed} (more than {limits.max_ratio}:1): refused as a zip "
            "bomb",
            name,
        )


def _read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits, budget: int
) -> bytes:
    """The member decompressed in chunks, stopped as soon as it passes what its header claims,
    the member limit, the archive's remaining budget or the ratio limit: a lying header
    costs at most one chunk beyond the limit, never the bomb's full size."""
    name = info.filename
    cap = min(info.file_size, limits.max_member_bytes, budget)
    chunks: list[bytes] = []
    size = 0
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > cap:
                    raise ArchiveRefused(
                        "member_too_large",
                        f"{name!r} expands beyond {cap} bytes (its header says {info.file_size})",
                        name,
                    )
                _check_ratio(name, size, info.compress_size, limits)
                chunks.append(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        # A CRC or size mismatch: the data is not what the header says (a lying header).
        raise ArchiveRefused(
            "not_a_zip", f"{name!r} cannot be read as its header describes it ({exc})", name
        ) from None
    except (NotImplementedError, RuntimeError) as exc:
        # An unsupported compression method, or a password the flag bits did not show.
        raise ArchiveRefused("not_a_zip", f"{name!r} cannot be read ({exc})", name) from None
    return b"".join(chunks)


def _check_entry_count(data: bytes, limits: Limits) -> None:
    """Refuses an archive whose end record claims more entries than allowed before zipfile
    reads the whole central directory (a 25 MB directory of empty entries costs seconds)."""
    at = data.rfind(_EOCD, max(0, len(data) - 65_557))
    if at < 0 or at + 22 > len(data):
        return  # zipfile says what is wrong
    (entries,) = struct.unpack_from("<H", data, at + 10)
    if entries != 0xFFFF and entries > limits.max_members:
        raise ArchiveRefused(
            "too_many_members",
            f"the archive holds {entries} files; at most {limits.max_members} are taken",
        )
