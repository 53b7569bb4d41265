"""Omvang and budget rules of the product lines of 301, 315 and 317 (CD041, CD075–CD080, CD095,
CD096, CS338, CS343)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from typing import Final

from lxml import etree

from hub.domain.rules.base import Check, Rule, RuleContext, names, path_of, rule
from hub.domain.rules.lines import (
    AANGEVRAAGD,
    BY_MESSAGE,
    NIEUW,
    TE_WIJZIGEN,
    TOEGEWEZEN,
    LineClass,
    lines,
    open_or_ends_after,
)
from hub.domain.xmlcodec import text_of

Classes = Mapping[int, tuple[LineClass, ...]]

# The classes that may name a Product (a TeWijzigenProduct points at its toewijzing instead).
_WITH_PRODUCT: Final[Classes] = {301: (TOEGEWEZEN,), 315: (AANGEVRAAGD,), 317: (NIEUW,)}
# CD076's trigger: a volume per week needs an end date.
_PER_WEEK: Final = "2"
# Etmaal, dagdeel, euro's and stuks (inspanning) are counted per week, per month or in total.
_COUNTED_UNITS: Final = frozenset({"14", "16", "83", "84"})
_COUNTED_FREQUENCIES: Final = frozenset({"2", "4", "6"})
# CD080/CD095/CD096 and CS338/CS343 hold for lines that end after this day (or not at all):
# older toewijzingen may still carry what 2021 on no longer allows.
_CUTOFF: Final = date(2020, 12, 31)


@rule("CD041", "Als Product/Code gevuld is, moet Omvang gevuld zijn", names(301, 315, 317))
def CD041(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    for cls, line, f in lines(ctx, _WITH_PRODUCT):
        code = text_of(ctx.fields(f.get("Product")).get("Code"))
        if code and "Omvang" not in f:
            yield (
                path_of(line) + "/Omvang",
                f"{cls.name} with Product/Code {code} must have an Omvang",
            )


@rule("CD075", "Als Budget gevuld is, moet de einddatum gevuld zijn", names(301, 315, 317))
def CD075(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    for cls, line, f in lines(ctx, BY_MESSAGE):
        if "Budget" in f and cls.end not in f:
            yield path_of(line) + "/" + cls.end, f"{cls.end} is mandatory when Budget is filled"


@rule(
    "CD076",
    "Als Frequentie 2 (per week) is, moet de einddatum gevuld zijn",
    names(301, 315, 317),
)
def CD076(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    for cls, line, f in lines(ctx, BY_MESSAGE):
        frequentie = text_of(ctx.fields(f.get("Omvang")).get("Frequentie"))
        if frequentie == _PER_WEEK and cls.end not in f:
            yield (
                path_of(line) + "/" + cls.end,
                f"{cls.end} is mandatory when Omvang/Frequentie is 2 (per week)",
            )


@rule("CD077", "Als Budget gevuld is, moet Omvang leeg zijn", names(301, 315, 317))
def CD077(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    for cls, _line, f in lines(ctx, BY_MESSAGE):
        omvang = f.get("Omvang")
        if omvang is not None and "Budget" in f:
            yield path_of(omvang), f"{cls.name} with a Budget may not have an Omvang"


@rule("CD078", "Als Omvang gevuld is, moet Budget leeg zijn", names(301, 315, 317))
def CD078(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    for cls, _line, f in lines(ctx, BY_MESSAGE):
        budget = f.get("Budget")
        if budget is not None and "Omvang" in f:
            yield path_of(budget), f"{cls.name} with an Omvang may not have a Budget"


@rule("CD079", "Als Budget leeg is, moet Product gevuld zijn", names(301, 315, 317))
def CD079(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    for cls, line, f in lines(ctx, _WITH_PRODUCT):
        if "Budget" not in f and "Product" not in f:
            yield (
                path_of(line) + "/Product",
                f"{cls.name} without a Budget must name a Product "
                "(only a budget line may be generic)",
            )


def _no_volume_without_code(classes: Classes) -> Check:
    """CD080's body on `classes`: a line without Product/Code carries no Omvang from 2021 on."""

    def body(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
        for cls, _line, f in lines(ctx, classes):
            omvang = f.get("Omvang")
            if omvang is None or ctx.fields(f.get("Product")).get("Code") is not None:
                continue
            if open_or_ends_after(cls, f, _CUTOFF):
                yield (
                    path_of(omvang),
                    f"{cls.name} without Product/Code may not have an Omvang when its "
                    f"{cls.end} is absent or after {_CUTOFF}",
                )

    return body


_NO_CODE_TEXT: Final = (
    "Als Product/Code leeg is en de einddatum leeg of na 31-12-2020, moet Omvang leeg zijn"
)
CD080: Final = rule("CD080", _NO_CODE_TEXT, names(301))(
    _no_volume_without_code({301: (TOEGEWEZEN,)})
)
CD095: Final = rule("CD095", _NO_CODE_TEXT, names(315))(
    _no_volume_without_code({315: (AANGEVRAAGD,)})
)
CD096: Final = rule("CD096", _NO_CODE_TEXT, names(317))(_no_volume_without_code({317: (NIEUW,)}))


def _counted_frequency(classes: Classes) -> Check:
    """CS338's body on `classes`: counted units go per week, per month or in total from 2021 on."""

    def body(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
        for cls, _line, f in lines(ctx, classes):
            omvang = ctx.fields(f.get("Omvang"))
            eenheid = text_of(omvang.get("Eenheid"))
            frequentie = omvang.get("Frequentie")
            if eenheid not in _COUNTED_UNITS or frequentie is None:
                continue
            value = text_of(frequentie)
            if value not in _COUNTED_FREQUENCIES and open_or_ends_after(cls, f, _CUTOFF):
                yield (
                    path_of(frequentie),
                    f"Frequentie must be 2, 4 or 6 when Eenheid is {eenheid} and {cls.end} is "
                    f"absent or after {_CUTOFF}, got {value!r}",
                )

    return body


_COUNTED_TEXT: Final = (
    "Bij Eenheid 14, 16, 83 of 84 en een einddatum leeg of na 31-12-2020 "
    "mag Frequentie alleen 2, 4 of 6 zijn"
)
CS338: Final = rule("CS338", _COUNTED_TEXT, names(301, 317))(
    _counted_frequency({301: (TOEGEWEZEN,), 317: (TE_WIJZIGEN, NIEUW)})
)
CS343: Final = rule("CS343", _COUNTED_TEXT, names(315))(_counted_frequency({315: (AANGEVRAAGD,)}))


# This family's rules, in the order their findings are reported.
RULES: Final[tuple[Rule, ...]] = (
    CD041,
    CD075,
    CD076,
    CD077,
    CD078,
    CD079,
    CD080,
    CD095,
    CD096,
    CS338,
    CS343,
)
