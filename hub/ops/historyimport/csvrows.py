"""The toewijzingen CSV of `hub history import` (docs/history-import.md): one active toewijzing
per row, read into the same ToewijzingLine a 301 gives, or a problem naming the line."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Final

from hub.domain.eigenbijdrage.lines import BirthDate
from hub.domain.history.facts import Scope, StartKey, ToewijzingLine
from hub.domain.history.reading import toewijzing_nummer
from hub.domain.history.request_facts import Omvang
from hub.domain.messages import Standard
from hub.domain.privacy import person_key
from hub.domain.rules.base import parse_date

REQUIRED: Final = (
    "domein",
    "gemeente",
    "aanbieder",
    "bsn",
    "toewijzing_nummer",
    "product_categorie",
    "ingangsdatum",
    "toewijzingsdatum",
)
OPTIONAL: Final = (
    "product_code",
    "einddatum",
    "toewijzingstijd",
    "reden_wijziging",
    "omvang_volume",
    "omvang_eenheid",
    "omvang_frequentie",
    "budget",
    "referentie_aanbieder",
    "start_begindatum",
    "geboortedatum",
    "geboortedatum_gebruik",
)
_DOMAINS: Final = {Standard.IWMO.value: Standard.IWMO, Standard.IJW.value: Standard.IJW}
_BSN: Final = re.compile(r"\d{9}")
_DIGITS: Final = re.compile(r"\d{1,8}")  # LDT_Volume / LDT_Budget: 0-99 999 999


class CsvError(ValueError):
    """A file that is no toewijzingen CSV (a missing column): the whole file is skipped."""


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One row: the toewijzing as a 301 line, and the start already delivered on it, if any."""

    line_number: int
    standard: Standard
    scope: Scope
    toewijzing: ToewijzingLine
    start: StartKey | None
    birth: BirthDate | None  # only to route the start's eigen bijdrage; never stored


@dataclass(frozen=True, slots=True)
class RowProblem:
    line_number: int
    reason: str


def read_rows(data: bytes, secret: bytes) -> Iterator[CsvRow | RowProblem]:
    """The rows of one CSV (UTF-8, header line, `,` or `;`); raises CsvError for the file."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvError(f"not UTF-8 text (byte {exc.start})") from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip().lower() for h in reader.fieldnames or ()]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise CsvError(f"line 1: missing column(s) {', '.join(missing)}")
    reader.fieldnames = header
    for raw in reader:
        line = reader.line_num
        values = {k: (v or "").strip() for k, v in raw.items() if isinstance(k, str)}
        if None in raw:
            yield RowProblem(line, "more fields than the header has columns")
            continue
        try:
            yield _row(line, values, secret)
        except ValueError as exc:
            yield RowProblem(line, str(exc))


def _row(line: int, v: dict[str, str], secret: bytes) -> CsvRow:
    for column in REQUIRED:
        if column != "product_categorie" and not v.get(column):
            raise ValueError(f"{column} is empty")
    standard = _DOMAINS.get(v["domein"].lower())
    if standard is None:
        raise ValueError("domein is not iwmo or ijw")
    if not _BSN.fullmatch(v["bsn"]):
        raise ValueError("bsn is not 9 digits")  # the value itself is never repeated
    nummer = toewijzing_nummer(v["toewijzing_nummer"])
    ingang = _date(v, "ingangsdatum")
    assert ingang is not None
    toegewezen = _date(v, "toewijzingsdatum")
    assert toegewezen is not None
    toewijzing = ToewijzingLine(
        location=f"line {line}",
        nummer=nummer,
        categorie=v["product_categorie"],
        code=v.get("product_code", ""),
        ingangsdatum=ingang,
        einddatum=_date(v, "einddatum"),
        toegewezen_op=datetime.combine(toegewezen, _time(v)),
        reden_wijziging=v.get("reden_wijziging", ""),
        omvang=_omvang(v),
        budget=_int(v, "budget"),
        referentie=v.get("referentie_aanbieder", ""),
    )
    start_on = _date(v, "start_begindatum")
    start = (
        None
        if start_on is None
        else StartKey(nummer, toewijzing.categorie, toewijzing.code, start_on)
    )
    born = _date(v, "geboortedatum")
    birth = None if born is None else BirthDate(born, v.get("geboortedatum_gebruik") or None)
    scope = Scope(v["gemeente"], v["aanbieder"], person_key(v["bsn"], secret))
    return CsvRow(line, standard, scope, toewijzing, start, birth)


def _date(v: dict[str, str], column: str) -> date | None:
    text = v.get(column, "")
    if not text:
        return None
    found = parse_date(text)
    if found is None:
        raise ValueError(f"{column} is not a date (YYYY-MM-DD)")
    return found


def _time(v: dict[str, str]) -> time:
    """Toewijzingstijd; a system without one gives midnight (only the order of versions of
    one ToewijzingNummer depends on it)."""
    text = v.get("toewijzingstijd", "")
    if not text:
        return time(0, 0)
    try:
        return time.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        raise ValueError("toewijzingstijd is not a time (HH:MM:SS)") from None


def _int(v: dict[str, str], column: str) -> int | None:
    text = v.get(column, "")
    if not text:
        return None
    if not _DIGITS.fullmatch(text):
        raise ValueError(f"{column} is not a whole number of at most 8 digits")
    return int(text)


def _omvang(v: dict[str, str]) -> Omvang | None:
    volume = _int(v, "omvang_volume")
    eenheid, frequentie = v.get("omvang_eenheid", ""), v.get("omvang_frequentie", "")
    given = [volume is not None, bool(eenheid), bool(frequentie)]
    if not any(given):
        return None
    if not all(given):
        raise ValueError("omvang_volume, omvang_eenheid and omvang_frequentie go together")
    assert volume is not None
    return Omvang(volume, eenheid, frequentie)
