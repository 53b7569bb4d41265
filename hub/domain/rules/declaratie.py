"""Declaratie rules on the declaration as a whole: totals, periods, keys across Prestaties."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Final

from lxml import etree

from hub.domain.rules.base import (
    Rule,
    RuleContext,
    is_named,
    names,
    parse_date,
    parse_int,
    path_of,
    rule,
)
from hub.domain.rules.prestatielines import SIGN, Line, lines
from hub.domain.xmlcodec import child, text_of

_AMOUNTS: Final = ("Bedrag", "TotaalBedrag")
# The classes whose amount is a CDT_BedragMetDC / CDT_TotaalBedragMetDC (CS325).
_AMOUNT_HOLDERS: Final = frozenset(
    {"IngediendBedrag", "TotaalIngediendBedrag", "TotaalToegekendBedrag"}
)
# Retourcodes that leave a class accepted (0200 geen opmerking, 8001 volledig toegewezen).
_ACCEPTED: Final = frozenset({"0200", "8001"})
_NOT_EVALUATED: Final = "0233"
# CS100: declarations under iWmo/iJw 3.x start with the month of January 2021.
_FIRST_DAY: Final = date(2021, 1, 1)


def _local(el: etree._Element) -> str:
    tag = el.tag
    return tag[tag.find("}") + 1 :] if isinstance(tag, str) else ""


def _amount(holder: etree._Element) -> tuple[etree._Element | None, etree._Element | None]:
    """(amount element, DebetCredit element) of a CDT_BedragMetDC-like holder."""
    amount = dc = None
    for c in holder:
        if is_named(c, "DebetCredit"):
            dc = c
        elif amount is None and any(is_named(c, name) for name in _AMOUNTS):
            amount = c
    return amount, dc


def _signed(holder: etree._Element | None) -> int | None:
    """The amount with D as + and C as −; None when either part is missing or malformed."""
    if holder is None:
        return None
    amount, dc = _amount(holder)
    value = parse_int(text_of(amount))
    sign = SIGN.get(text_of(dc) or "")
    return None if value is None or sign is None else sign * value


def _show(value: int) -> str:
    return f"{abs(value)} {'C' if value < 0 else 'D'}"


def _line_sum(ctx: RuleContext) -> int | None:
    """Σ signed Prestatie/IngediendBedrag; None when a line is malformed (no sum can be trusted)."""
    total = 0
    for line in lines(ctx):
        if line.signed is None:
            return None
        total += line.signed
    return total


# (name, Begindatum element, its date, Einddatum element, its date) of a closed period.
_Period = tuple[str, etree._Element | None, date | None, etree._Element | None, date | None]


def _periods(ctx: RuleContext, *, declaratie: bool) -> list[_Period]:
    """Every ProductPeriode, after the DeclaratiePeriode when `declaratie`."""
    found: list[_Period] = []
    if declaratie:
        for period in ctx.under("Declaratie", "DeclaratiePeriode"):
            fields = ctx.fields(period)
            begin, end = fields.get("Begindatum"), fields.get("Einddatum")
            found.append(
                (
                    "DeclaratiePeriode",
                    begin,
                    parse_date(text_of(begin)),
                    end,
                    parse_date(text_of(end)),
                )
            )
    found.extend(
        ("ProductPeriode", line.begin_el, line.begin, line.end_el, line.end) for line in lines(ctx)
    )
    return found


@rule(
    "TR358",
    "TotaalIngediendBedrag moet gelijk zijn aan de som van de IngediendBedragen (met debet/credit)",
    names(323),
)
def TR358(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    total_el = child(child(root, "Declaratie"), "TotaalIngediendBedrag")
    total = _signed(total_el)
    summed = _line_sum(ctx)
    if total_el is None or total is None or summed is None:
        return
    if summed != total:
        yield (
            path_of(total_el),
            f"TotaalIngediendBedrag is {_show(total)} but the IngediendBedragen add up to "
            f"{_show(summed)}",
        )


def _class_state(codes: list[str]) -> bool | None:
    """True: the class is rejected; False: accepted; None: not known (no codes, or only 0233)."""
    if not codes:
        return None
    if any(c not in _ACCEPTED and c != _NOT_EVALUATED for c in codes):
        return True
    if all(c in _ACCEPTED for c in codes):
        return False
    return None


@rule(
    "TR342",
    "Som van de ingediende bedragen van de afgewezen prestaties = TotaalIngediendBedrag − "
    "TotaalToegekendBedrag; een afgewezen DeclaratieAntwoord bevat geen prestaties",
    names(325),
)
def TR342(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    antwoord = child(root, "DeclaratieAntwoord")
    if antwoord is None:
        return  # a 325 refusing the 323 outright carries only its Header
    found = ctx.fields(antwoord)
    holder = found.get("RetourCodes")
    codes = [
        text_of(c) or ""
        for c in (holder if holder is not None else ())
        if is_named(c, "RetourCode")
    ]
    # The DeclaratieAntwoord's own RetourCodes tell whether the class is rejected: any code
    # other than 0200/8001 rejects it. 0233 (niet beoordeeld) on the class says neither, so a
    # class with only 0233 besides 0200/8001 is left alone rather than refused on a guess.
    rejected = _class_state(codes)
    toegekend_el = found.get("TotaalToegekendBedrag")
    toegekend = _signed(toegekend_el)
    if rejected:
        clienten = found.get("Clienten")
        if clienten is not None and lines(ctx):
            yield (
                path_of(clienten),
                f"DeclaratieAntwoord is rejected (RetourCode {', '.join(codes)}) but returns "
                "Prestaties; a rejected declaratie returns none",
            )
        if toegekend_el is not None and toegekend is not None and toegekend != 0:
            yield (
                path_of(toegekend_el),
                f"DeclaratieAntwoord is rejected but TotaalToegekendBedrag is {_show(toegekend)}, "
                "expected 0",
            )
        return
    if rejected is None or toegekend_el is None or toegekend is None:
        return
    ingediend = _signed(found.get("TotaalIngediendBedrag"))
    summed = _line_sum(ctx)
    if ingediend is None or summed is None:
        return
    if summed != ingediend - toegekend:
        yield (
            path_of(toegekend_el),
            f"TotaalIngediendBedrag {_show(ingediend)} less TotaalToegekendBedrag "
            f"{_show(toegekend)} is {_show(ingediend - toegekend)}, but the returned "
            f"(rejected) Prestaties add up to {_show(summed)}",
        )


@rule("CS325", "Als het bedrag 0 is, dan DebetCredit vullen met D", names(323, 325))
def CS325(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    for dc in ctx.each("DebetCredit"):
        holder = dc.getparent()
        if holder is None or text_of(dc) == "D" or _local(holder) not in _AMOUNT_HOLDERS:
            continue
        amount, _ = _amount(holder)
        if parse_int(text_of(amount)) == 0:
            yield path_of(dc), f"{_local(holder)}/DebetCredit must be D when the amount is 0"


@rule(
    "TR137",
    "Einddatum moet groter dan of gelijk zijn aan Begindatum en mag niet na de Dagtekening liggen",
    names(323, 325),
)
def TR137(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    dag = ctx.dagtekening
    for name, _, begin, end_el, end in _periods(ctx, declaratie=ctx.message.number == 323):
        if end_el is None or end is None:
            continue
        if begin is not None and end < begin:
            yield path_of(end_el), f"{name}/Einddatum {end} is before its Begindatum {begin}"
        if dag is not None and end > dag:
            yield (
                path_of(end_el),
                f"{name}/Einddatum {end} is later than the Dagtekening {dag}: a period can "
                "only be declared once it is over",
            )


@rule(
    "CS100", "De datums van DeclaratiePeriode en ProductPeriode zijn op of na 1-1-2021", names(323)
)
def CS100(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    for name, begin_el, begin, end_el, end in _periods(ctx, declaratie=True):
        for part, el, day in (("Begindatum", begin_el, begin), ("Einddatum", end_el, end)):
            if el is not None and day is not None and day < _FIRST_DAY:
                yield (
                    path_of(el),
                    f"{name}/{part} {day} is before {_FIRST_DAY}, the first day these "
                    "declarations may cover",
                )


def _last_day(day: date) -> date:
    """The last day of `day`'s month."""
    if day.month == 12:
        return day.replace(day=31)  # also for year 9999, which has no next month
    return date.fromordinal(day.replace(month=day.month + 1, day=1).toordinal() - 1)


@rule("CS340", "De DeclaratiePeriode is exact gelijk aan 1 hele kalendermaand", names(323))
def CS340(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    for period in ctx.under("Declaratie", "DeclaratiePeriode"):
        found = ctx.fields(period)
        begin = parse_date(text_of(found.get("Begindatum")))
        end = parse_date(text_of(found.get("Einddatum")))
        if begin is None or end is None:
            continue
        first = begin.replace(day=1)
        if begin != first or end != _last_day(first):
            yield (
                path_of(period),
                f"DeclaratiePeriode {begin} – {end} is not one whole calendar month "
                f"(expected {first} – {_last_day(first)})",
            )


@rule("TR315", "Een VorigReferentieNummer mag maar één keer voorkomen in een bericht", names(323))
def TR315(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    seen: set[str] = set()
    for line in lines(ctx):
        vorig = line.vorig
        if line.vorig_el is None or not vorig:
            continue
        if vorig in seen:
            yield (
                path_of(line.vorig_el),
                f"VorigReferentieNummer {vorig} is credited by more than one Prestatie in this "
                "message",
            )
        seen.add(vorig)


@rule(
    "TR316",
    "Een VorigReferentieNummer mag niet gelijk zijn aan een ReferentieNummer in hetzelfde bericht",
    names(323),
)
def TR316(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    read = lines(ctx)
    refs: dict[str, int] = {}
    for line in read:
        if line.ref:
            refs[line.ref] = refs.get(line.ref, 0) + 1
    for line in read:
        vorig = line.vorig
        if line.vorig_el is None or not vorig or vorig not in refs:
            continue
        # A Prestatie's own ReferentieNummer does not count: the rule is about crediting a
        # debet carried in the same message, and reuse of a number is TR314's (history) verdict.
        if vorig == line.ref and refs[vorig] == 1:
            continue
        yield (
            path_of(line.vorig_el),
            f"VorigReferentieNummer {vorig} is the ReferentieNummer of another Prestatie in this "
            "message: a debet cannot be credited in the message that carries it",
        )


def _debet_key(line: Line) -> tuple[int, str, str, date, date] | None:
    """(ToewijzingNummer, ProductCategorie, ProductCode, period) of a debet Prestatie, else None."""
    if line.dc != "D" or line.nummer is None or not line.categorie or not line.code:
        return None
    if line.begin is None or line.end is None:
        return None
    return line.nummer, line.categorie, line.code, line.begin, line.end


@rule(
    "TR416",
    "Per ToewijzingNummer, ProductCategorie, ProductCode en ProductPeriode mag maar één debet "
    "prestatie in het bericht voorkomen",
    names(323),
)
def TR416(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    # READING (rules.md §6.6): per message, not per Client; the rule text names no client.
    # ToewijzingNummer compares as an integer (012 is 12), the period as calendar dates.
    seen: set[tuple[int, str, str, date, date]] = set()
    for line in lines(ctx):
        key = _debet_key(line)
        if key is None:
            continue
        if key in seen:
            nummer, categorie, code, begin, end = key
            yield (
                path_of(line.el),
                f"A second debet Prestatie for ToewijzingNummer {nummer}, ProductCategorie "
                f"{categorie}, ProductCode {code} and ProductPeriode {begin} – {end}; at most one "
                "is allowed per message",
            )
        seen.add(key)


# This family's rules, in the order their findings are reported.
RULES: Final[tuple[Rule, ...]] = (TR137, CS100, CS340, TR358, TR342, CS325, TR315, TR316, TR416)
