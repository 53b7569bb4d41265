"""The shared "same product" and period-overlap logic of rules.md §0."""

from __future__ import annotations

from datetime import date

import pytest

from hub.domain.messages import Standard
from hub.domain.rules.overlap import (
    Line,
    clashes,
    is_deleted,
    overlaps,
    periods_overlap,
    same_product,
)

IWMO = Standard.IWMO
IJW = Standard.IJW
JAN = date(2025, 1, 1)
MAR = date(2025, 3, 1)
JUN = date(2025, 6, 1)
DEC = date(2025, 12, 31)


def line(categorie: str | None = "02", code: str | None = "02A04", begin: date = JAN,
         end: date | None = DEC, ref: object = None) -> Line:  # fmt: skip
    return Line(categorie, code, begin, end, ref)


def test_periods_touching_on_one_day_overlap() -> None:
    assert periods_overlap(JAN, MAR, MAR, JUN)


def test_periods_one_day_apart_do_not_overlap() -> None:
    assert not periods_overlap(JAN, date(2025, 2, 28), MAR, JUN)


def test_an_open_end_reaches_every_later_period() -> None:
    assert periods_overlap(JAN, None, date(2030, 1, 1), None)
    assert not periods_overlap(JUN, None, JAN, MAR)


def test_same_categorie_and_code_is_the_same_product() -> None:
    assert same_product(line(), line(), IWMO)


def test_another_code_is_another_product() -> None:
    assert not same_product(line(code="02A04"), line(code="02A05"), IWMO)


def test_another_categorie_is_another_product() -> None:
    assert not same_product(line("02", "02A04"), line("03", "02A04"), IJW)


def test_a_missing_code_compares_on_categorie() -> None:
    assert same_product(line(code=None), line(code="02A05"), IWMO)
    assert not same_product(line(code=None), line("03", None), IWMO)


def test_a_generic_line_is_the_same_product_as_any() -> None:
    assert same_product(line(None, None), line("07", "07A01"), IJW)


@pytest.mark.parametrize("categorie", ["11", "12", "13", "14"])
def test_iwmo_hulpmiddelen_are_exempt_even_against_a_generic_line(categorie: str) -> None:
    assert not same_product(line(categorie, None), line(categorie, None), IWMO)
    assert not same_product(line(categorie, "X"), line(None, None), IWMO)


def test_ijw_has_no_exempt_categories() -> None:
    assert same_product(line("11", None), line("11", None), IJW)
    assert same_product(line("12", "A"), line(None, None), IJW)


def test_overlaps_needs_same_product_and_period() -> None:
    assert overlaps(line(end=MAR), line(begin=MAR), IWMO)
    assert not overlaps(line(end=MAR), line(begin=JUN), IWMO)
    assert not overlaps(line(code="A"), line(code="B"), IWMO)


def test_is_deleted_needs_equal_dates_and_reason_13_or_01() -> None:
    assert is_deleted(JAN, JAN, "13")
    assert is_deleted(JAN, JAN, "01")
    assert not is_deleted(JAN, JAN, "02")
    assert not is_deleted(JAN, JAN, None)
    assert not is_deleted(JAN, MAR, "13")
    assert not is_deleted(JAN, None, "13")


def test_clashes_reports_each_later_line_once_against_its_first_clash() -> None:
    lines = [line(ref=1), line(ref=2), line(ref=3)]
    assert [(a.ref, b.ref) for a, b in clashes(lines, IWMO)] == [(1, 2), (1, 3)]


def test_clashes_finds_a_generic_line_after_specific_ones() -> None:
    lines = [line("03", "03A01", ref=1), line("05", None, ref=2), line(None, None, ref=3)]
    assert [(a.ref, b.ref) for a, b in clashes(lines, IJW)] == [(1, 3)]


def test_clashes_finds_a_specific_line_after_a_generic_one_in_document_order() -> None:
    lines = [line(None, None, ref=1), line("03", "03A01", ref=2), line("03", "03A01", ref=3)]
    assert [(a.ref, b.ref) for a, b in clashes(lines, IJW)] == [(1, 2), (1, 3)]


def test_clashes_is_quiet_on_consecutive_periods() -> None:
    lines = [line(end=date(2025, 2, 28)), line(begin=MAR, end=None)]
    assert list(clashes(lines, IWMO)) == []


def test_clashes_skips_iwmo_exempt_lines_but_not_ijw() -> None:
    lines = [line(None, None), line("12", "12A01")]
    assert list(clashes(lines, IWMO)) == []
    assert len(list(clashes(lines, IJW))) == 1
