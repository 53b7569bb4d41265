"""The toewijzingen CSV of `hub history import`: rows read into the ToewijzingLine a 301 would
give; a missing column refuses the file, a bad row is named by its line and skipped."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from hub.domain.eigenbijdrage.lines import BirthDate
from hub.domain.history.facts import StartKey
from hub.domain.history.request_facts import Omvang
from hub.domain.messages import Standard
from hub.domain.privacy import person_key
from hub.ops.historyimport import prepare
from hub.ops.historyimport.csvrows import CsvError, CsvRow, RowProblem, read_rows

SECRET = b"csv-test-secret"
HEADER = (
    "domein,gemeente,aanbieder,bsn,toewijzing_nummer,product_categorie,product_code,"
    "ingangsdatum,einddatum,toewijzingsdatum,toewijzingstijd,start_begindatum,geboortedatum"
)
GOOD = (
    "iwmo,0363,65656055,174285917,300201,02,02A04,2025-04-01,,2025-03-24,10:15:00,2025-04-01,"
    "1950-05-06"
)


def _rows(text: str) -> list[CsvRow | RowProblem]:
    return list(read_rows(text.encode(), SECRET))


def test_a_row_is_the_toewijzing_a_301_gives_and_its_start() -> None:
    (row,) = _rows(f"{HEADER}\n{GOOD}\n")
    assert isinstance(row, CsvRow)
    assert row.line_number == 2
    assert row.standard is Standard.IWMO
    assert row.scope.gemeente == "0363"
    assert row.scope.aanbieder == "65656055"
    assert row.scope.person == person_key("174285917", SECRET)
    t = row.toewijzing
    assert (t.nummer, t.categorie, t.code) == ("300201", "02", "02A04")
    assert t.ingangsdatum == date(2025, 4, 1)
    assert t.einddatum is None
    assert t.toegewezen_op == datetime(2025, 3, 24, 10, 15)
    assert row.start == StartKey("300201", "02", "02A04", date(2025, 4, 1))
    assert row.birth == BirthDate(date(1950, 5, 6))


def test_semicolons_optional_columns_and_a_bom() -> None:
    text = (
        "\ufeffDomein;Gemeente;Aanbieder;BSN;Toewijzing_Nummer;Product_Categorie;Ingangsdatum;"
        "Toewijzingsdatum;Omvang_Volume;Omvang_Eenheid;Omvang_Frequentie;Budget;Reden_Wijziging\n"
        "ijw;0344;41125003;239157461;0042;45;2025-01-01;2024-12-20;4;04;2;1200;04\n"
    )
    (row,) = _rows(text)
    assert isinstance(row, CsvRow)
    assert row.standard is Standard.IJW
    t = row.toewijzing
    assert t.nummer == "42"  # an xs:integer, compared as intake does
    assert t.code == ""
    assert t.toegewezen_op == datetime(2024, 12, 20, 0, 0)  # no time: midnight
    assert t.omvang == Omvang(4, "04", "2")
    assert t.budget == 1200
    assert t.reden_wijziging == "04"
    assert row.start is None
    assert row.birth is None


def test_a_missing_column_refuses_the_file_naming_it() -> None:
    header = HEADER.replace("toewijzingsdatum,", "")
    with pytest.raises(CsvError, match=r"line 1: missing column\(s\) toewijzingsdatum"):
        _rows(f"{header}\n")


def test_a_file_that_is_not_utf8_is_refused() -> None:
    with pytest.raises(CsvError, match="not UTF-8"):
        list(read_rows(b"domein\n\xff\xfe\n", SECRET))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (("2025-04-01,,2025", "01-04-2025,,2025"), "ingangsdatum is not a date (YYYY-MM-DD)"),
        (("2025-03-24,10:15", "2025-02-30,10:15"), "toewijzingsdatum is not a date (YYYY-MM-DD)"),
        (("10:15:00", "25:99"), "toewijzingstijd is not a time (HH:MM:SS)"),
        (("174285917", "17428591X"), "bsn is not 9 digits"),
        (("iwmo,", "wlz,"), "domein is not iwmo or ijw"),
        ((",300201,", ",,"), "toewijzing_nummer is empty"),
        (("1950-05-06", "1950-5-6"), "geboortedatum is not a date (YYYY-MM-DD)"),
    ],
)
def test_a_bad_row_names_its_line_and_the_next_row_is_read(
    change: tuple[str, str], reason: str
) -> None:
    bad = GOOD.replace(*change)
    rows = _rows(f"{HEADER}\n{GOOD}\n{bad}\n{GOOD.replace('300201', '300202')}\n")
    assert [type(r).__name__ for r in rows] == ["CsvRow", "RowProblem", "CsvRow"]
    problem = rows[1]
    assert isinstance(problem, RowProblem)
    assert problem == RowProblem(3, reason)
    assert "174285917" not in problem.reason  # a BSN is never repeated in a report


def test_omvang_is_all_three_or_none() -> None:
    header = f"{HEADER},omvang_volume,omvang_eenheid"
    (row,) = _rows(f"{header}\n{GOOD},4,04\n")
    assert row == RowProblem(2, "omvang_volume, omvang_eenheid and omvang_frequentie go together")


def test_more_fields_than_columns() -> None:
    (row,) = _rows(f"{HEADER}\n{GOOD},extra\n")
    assert row == RowProblem(2, "more fields than the header has columns")


def test_a_row_becomes_the_facts_of_a_301_and_a_305_with_stable_ids() -> None:
    (row,) = _rows(f"{HEADER}\n{GOOD}\n")
    assert isinstance(row, CsvRow)
    first = prepare.csv_row("rows.csv", row, 7)
    again = prepare.csv_row("rows.csv", row, 9)
    assert [p.facts.message_name for p in first] == ["WMO301", "WMO305"]
    assert [p.message_id for p in first] == [p.message_id for p in again]
    toewijzing, start = first
    assert toewijzing.facts.sender == "0363"
    assert start.facts.sender == "65656055"
    assert toewijzing.facts.toewijzingen == (row.toewijzing,)
    assert [s.key for s in start.facts.starts] == [row.start]
    assert toewijzing.order < start.order
    assert toewijzing.name == "rows.csv line 2"
