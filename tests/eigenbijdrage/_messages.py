"""Builds valid 301/305/307 messages (iWmo and iJw) from the fixtures, for scenario tests."""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from hub.domain import xmlcodec

FIXTURES = Path(__file__).parents[1] / "fixtures"
DAGTEKENING = "2025-07-21"
AANBIEDER = "65656055"
BSN = "174285917"
_IDENT = itertools.count(1)
_BLOCKS: dict[str, int] = {BSN: 0}  # client Bsn -> its block of ToewijzingNummers


def bsn(n: int) -> str:
    """The n-th BSN that passes the 11-proef (deterministic, never a real person's on purpose)."""
    found = 0
    for value in itertools.count(100000009):
        digits = [int(c) for c in f"{value:09d}"]
        total = sum(w * d for w, d in zip(range(9, 1, -1), digits[:8], strict=True)) - digits[8]
        if total % 11 == 0:
            found += 1
            if found == n:
                return f"{value:09d}"
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class T:
    """A ToegewezenProduct of a 301."""

    nr: int
    cat: str
    code: str | None = None


@dataclass(frozen=True)
class S:
    """A StartProduct (`end` None) or StopProduct; `cat` None: no Product element."""

    nr: int
    cat: str | None
    begin: str
    end: str | None = None
    reden: str = "19"
    status: str = "1"
    code: str | None = None


def start(nr: int, cat: str | None, begin: str, *, status: str = "1") -> S:
    return S(nr, cat, begin, status=status)


def stop(nr: int, cat: str | None, begin: str, end: str, reden: str = "19", *,
         status: str = "1") -> S:  # fmt: skip
    return S(nr, cat, begin, end, reden, status)


def _code(cat: str, code: str | None) -> str:
    return code or f"{cat}A01"


def _find(root: etree._Element, name: str) -> etree._Element:
    found = next(root.iter("{*}" + name), None)
    assert found is not None, name
    return found


def _set(parent: etree._Element, name: str, value: str | None) -> None:
    el = xmlcodec.child(parent, name)
    assert el is not None, name
    if value is None:
        parent.remove(el)
    else:
        el.text = value


def _product(line: etree._Element, cat: str | None, code: str | None) -> None:
    product = xmlcodec.child(line, "Product")
    assert product is not None
    if cat is None:
        line.remove(product)
        return
    _set(product, "Categorie", cat)
    _set(product, "Code", _code(cat, code))


def build(
    name: str,
    lines: list[T] | list[S],
    *,
    gemeente: str = "0363",
    aanbieder: str = AANBIEDER,
    client_bsn: str = BSN,
    born: str = "1950-05-17",
    identificatie: str | None = None,
) -> bytes:
    """A valid `name` (WMO301, WMO305, WMO307, JW301, JW305, JW307) with these lines."""
    std = "iwmo-3.2" if name.startswith("WMO") else "ijw-3.2"
    root = xmlcodec.parse_message((FIXTURES / std / f"{name}.xml").read_bytes())
    header = _find(root, "Header")
    gemeente_sends = name.endswith("301")
    _set(header, "Afzender", gemeente if gemeente_sends else aanbieder)
    _set(header, "Ontvanger", aanbieder if gemeente_sends else gemeente)
    _set(_find(root, "BerichtIdentificatie"), "Identificatie",
         identificatie or f"T{next(_IDENT):08d}")  # fmt: skip
    _set(_find(root, "BerichtIdentificatie"), "Dagtekening", DAGTEKENING)
    client = _find(root, "Client")
    _set(client, "Bsn", client_bsn)
    _set(_find(client, "Geboortedatum"), "Datum", born)
    container, line_name = {
        "301": ("ToegewezenProducten", "ToegewezenProduct"),
        "305": ("StartProducten", "StartProduct"),
        "307": ("StopProducten", "StopProduct"),
    }[name[-3:]]
    parent = _find(client, container)
    template = _find(parent, line_name)
    for old in list(parent):
        parent.remove(old)
    # A ToewijzingNummer names one toewijzing in the gemeente (TR332): each client's
    # numbers come from a block of its own.
    first = 300000 + 1000 * _BLOCKS.setdefault(client_bsn, len(_BLOCKS))
    for spec in lines:
        line = copy.deepcopy(template)
        if isinstance(spec, T):
            _set(line, "ToewijzingNummer", str(first + spec.nr))
            _product(line, spec.cat, spec.code)
            _set(line, "Ingangsdatum", "2024-10-01")
            _set(line, "Einddatum", "2025-12-31")
        else:
            _set(line, "ToewijzingNummer", str(first + spec.nr))
            _product(line, spec.cat, spec.code)
            _set(line, "ToewijzingIngangsdatum", "2024-10-01")
            _set(line, "Begindatum", spec.begin)
            if spec.end is not None:
                _set(line, "RedenBeeindiging", spec.reden)
                _set(line, "Einddatum", spec.end)
            _set(line, "StatusAanlevering", spec.status)
        parent.append(line)
    return xmlcodec.serialize(root)
