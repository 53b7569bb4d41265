"""The README walkthrough's messages (`hub example`): a toewijzing (WMO301) between any two
parties and the start message (WMO305) that answers it, new each time they are made."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator

from lxml import etree

from hub.domain import xmlcodec
from hub.domain.errors import ConfigError
from hub.domain.messages import Standard, by_name
from hub.ops.packgen.packspec import PACKS
from hub.ops.packgen.samples import samples


def _template(number: str) -> bytes:
    # The built-in samples the demo and the test fixtures are made from (valid, iWmo 3.2).
    spec = next(p for p in PACKS if p.standard is Standard.IWMO)
    return samples(spec, by_name(f"WMO{number}"))


def fresh_identificatie() -> str:
    """Unique per sender for every run (TR056): 12 characters from the clock in milliseconds."""
    return f"WT{time.time_ns() // 1_000_000 % 10**10:010d}"


def fresh_bsn() -> str:
    """A made-up client, new each time, so the history rules see a first toewijzing: eight
    random digits (from 8xxxxxxx) and the check digit of the 11-proef (9·d1 + … + 2·d8 − d9
    ≡ 0 mod 11)."""
    while True:
        body = f"8{secrets.randbelow(10_000_000):07d}"
        check = sum(int(d) * w for d, w in zip(body, range(9, 1, -1), strict=True)) % 11
        if check < 10:
            return body + str(check)


def _named(root: etree._Element, name: str) -> Iterator[etree._Element]:
    return (el for el in root.iter() if isinstance(el.tag, str) and xmlcodec.local_name(el) == name)


def _set(root: etree._Element, name: str, value: str) -> None:
    for el in _named(root, name):
        el.text = value


def toewijzing(gemeente: str, aanbieder: str) -> bytes:
    """The sample WMO301 from `gemeente` to `aanbieder`, with a fresh Identificatie, client
    and ToewijzingNummers (a number names one toewijzing in the gemeente: TR332)."""
    root = xmlcodec.parse_message(_template("301"))
    bsn = fresh_bsn()
    _set(root, "Afzender", gemeente)
    _set(root, "Ontvanger", aanbieder)
    _set(root, "Identificatie", fresh_identificatie())
    _set(root, "Bsn", bsn)
    for n, el in enumerate(_named(root, "ToewijzingNummer"), 1):
        el.text = f"{bsn[:8]}{n}"  # the client's own: no two valid BSNs share 8 digits
    return xmlcodec.serialize(root)


def start(heen: bytes) -> bytes:
    """The sample WMO305 that starts the care of the toewijzing `heen` (a WMO301 made by
    toewijzing()): from its provider to its gemeente, about its client and numbers."""
    given = xmlcodec.parse_message(heen)
    envelope = xmlcodec.read_envelope(given)
    if envelope.message_name != "WMO301":
        raise ConfigError(f"--toewijzing: expected a WMO301, got {envelope.message_name or '?'}")
    numbers = [el.text or "" for el in _named(given, "ToewijzingNummer")]
    bsn = next((el.text or "" for el in _named(given, "Bsn")), "")
    root = xmlcodec.parse_message(_template("305"))
    _set(root, "Afzender", envelope.ontvanger or "")
    _set(root, "Ontvanger", envelope.afzender or "")
    _set(root, "Identificatie", fresh_identificatie())
    _set(root, "Bsn", bsn)
    # The sample 305 starts the sample 301's products in the same order.
    for el, number in zip(_named(root, "ToewijzingNummer"), numbers, strict=False):
        el.text = number
    return xmlcodec.serialize(root)
