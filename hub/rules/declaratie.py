"""Declaratie rules on the declaration as a whole: totals, periods, keys across Prestaties."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Final

from lxml import etree

from hub.rules.base import Rule, RuleContext, is_named, names, parse_date, parse_int, path_of, rule
from hub.xmlcodec import child, text_of

_SIGN: Final = {"D": 1, "C": -1}
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


def signed(holder: etree._Element | None) -> int | None:
    """The amount with D as + and C as −; None when either part is missing or malformed."""
    if holder is None:
        return None
    amount, dc = _amount(holder)
    value = parse_int(text_of(amount))
    sign = _SIGN.get(text_of(dc) or "")
    return None if value is None or sign is None else sign * value


def _show(value: int) -> str:
    return f"{abs(value)} {'C' if value < 0 else 'D'}"


def _line_sum(ctx: RuleContext) -> int | None:
    """Σ signed Prestatie/IngediendBedrag; None when a line is malformed (no sum can be trusted)."""
    total = 0
    for bedrag in ctx.under("Prestatie", "IngediendBedrag"):
        value = signed(bedrag)
        if value is None:
            return None
        total += value
    return total


def _period(ctx: RuleContext, period: etree._Element) -> tuple[date | None, date | None]:
    found = ctx.fields(period)
    return parse_date(text_of(found.get("Begindatum"))), parse_date(text_of(found.get("Einddatum")))


def _periods(ctx: RuleContext, *, declaratie: bool) -> list[etree._Element]:
    """Every ProductPeriode, after the DeclaratiePeriode when `declaratie`."""
    head = ctx.under("Declaratie", "DeclaratiePeriode") if declaratie else []
    return [*head, *ctx.under("Prestatie", "ProductPeriode")]


@rule(
    "TR358",
    "TotaalIngediendBedrag moet gelijk zijn aan de som van de IngediendBedragen (met debet/credit)",
    names(323),
)
def TR358(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    total_el = child(child(root, "Declaratie"), "TotaalIngediendBedrag")
    total = signed(total_el)
    lines = _line_sum(ctx)
    if total_el is None or total is None or lines is None:
        return
    if lines != total:
        yield (
            path_of(total_el),
            f"TotaalIngediendBedrag is {_show(total)} but the IngediendBedragen add up to "
            f"{_show(lines)}",
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
    toegekend = signed(toegekend_el)
    if rejected:
        clienten = found.get("Clienten")
        if clienten is not None and ctx.under("Prestaties", "Prestatie"):
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
    ingediend = signed(found.get("TotaalIngediendBedrag"))
    lines = _line_sum(ctx)
    if ingediend is None or lines is None:
        return
    if lines != ingediend - toegekend:
        yield (
            path_of(toegekend_el),
            f"TotaalIngediendBedrag {_show(ingediend)} less TotaalToegekendBedrag "
            f"{_show(toegekend)} is {_show(ingediend - toegekend)}, but the returned "
            f"(rejected) Prestaties add up to {_show(lines)}",
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
    for period in _periods(ctx, declaratie=ctx.message.number == 323):
        end_el = ctx.fields(period).get("Einddatum")
        begin, end = _period(ctx, period)
        if end_el is None or end is None:
            continue
        name = _local(period)
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
    for period in _periods(ctx, declaratie=True):
        found = ctx.fields(period)
        for part in ("Begindatum", "Einddatum"):
            el = found.get(part)
            day = parse_date(text_of(el))
            if el is not None and day is not None and day < _FIRST_DAY:
                yield (
                    path_of(el),
                    f"{_local(period)}/{part} {day} is before {_FIRST_DAY}, the first day "
                    "these declarations may cover",
                )


def _last_day(day: date) -> date:
    """The last day of `day`'s month."""
    first_next = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return date.fromordinal(first_next.toordinal() - 1)


@rule("CS340", "De DeclaratiePeriode is exact gelijk aan 1 hele kalendermaand", names(323))
def CS340(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    for period in ctx.under("Declaratie", "DeclaratiePeriode"):
        begin, end = _period(ctx, period)
        if begin is None or end is None:
            continue
        first = begin.replace(day=1)
        if begin != first or end != _last_day(first):
            yield (
                path_of(period),
                f"DeclaratiePeriode {begin} – {end} is not one whole calendar month "
                f"(expected {first} – {_last_day(first)})",
            )


def _referentie(
    ctx: RuleContext, prestatie: etree._Element
) -> tuple[str | None, etree._Element | None]:
    """(ReferentieNummer, VorigReferentieNummer element) of a Prestatie."""
    ref = ctx.fields(ctx.fields(prestatie).get("ProductReferentie"))
    return text_of(ref.get("ReferentieNummer")), ref.get("VorigReferentieNummer")


@rule("TR315", "Een VorigReferentieNummer mag maar één keer voorkomen in een bericht", names(323))
def TR315(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    seen: set[str] = set()
    for vorig in ctx.under("ProductReferentie", "VorigReferentieNummer"):
        value = text_of(vorig)
        if not value:
            continue
        if value in seen:
            yield (
                path_of(vorig),
                f"VorigReferentieNummer {value} is credited by more than one Prestatie in this "
                "message",
            )
        seen.add(value)


@rule(
    "TR316",
    "Een VorigReferentieNummer mag niet gelijk zijn aan een ReferentieNummer in hetzelfde bericht",
    names(323),
)
def TR316(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    prestaties = ctx.under("Prestaties", "Prestatie")
    refs: dict[str, int] = {}
    for prestatie in prestaties:
        ref, _ = _referentie(ctx, prestatie)
        if ref:
            refs[ref] = refs.get(ref, 0) + 1
    for prestatie in prestaties:
        ref, vorig_el = _referentie(ctx, prestatie)
        vorig = text_of(vorig_el)
        if vorig_el is None or not vorig or vorig not in refs:
            continue
        # A Prestatie's own ReferentieNummer does not count: the rule is about crediting a
        # debet carried in the same message, and reuse of a number is TR314's (history) verdict.
        if vorig == ref and refs[vorig] == 1:
            continue
        yield (
            path_of(vorig_el),
            f"VorigReferentieNummer {vorig} is the ReferentieNummer of another Prestatie in this "
            "message: a debet cannot be credited in the message that carries it",
        )


def _debet_key(ctx: RuleContext, prestatie: etree._Element) -> tuple[object, ...] | None:
    """(ToewijzingNummer, ProductCategorie, ProductCode, period) of a debet Prestatie, else None."""
    found = ctx.fields(prestatie)
    if text_of(ctx.fields(found.get("IngediendBedrag")).get("DebetCredit")) != "D":
        return None
    nummer = parse_int(text_of(found.get("ToewijzingNummer")))  # 012 is 12
    categorie = text_of(found.get("ProductCategorie"))
    code = text_of(found.get("ProductCode"))
    periode = found.get("ProductPeriode")
    if nummer is None or not categorie or not code or periode is None:
        return None
    begin, end = _period(ctx, periode)
    if begin is None or end is None:
        return None
    return nummer, categorie, code, begin, end


@rule(
    "TR416",
    "Per ToewijzingNummer, ProductCategorie, ProductCode en ProductPeriode mag maar één debet "
    "prestatie in het bericht voorkomen",
    names(323),
)
def TR416(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    # READING (rules.md §6.6): per message, not per Client; the rule text names no client.
    seen: set[tuple[object, ...]] = set()
    for prestatie in ctx.under("Prestaties", "Prestatie"):
        key = _debet_key(ctx, prestatie)
        if key is None:
            continue
        if key in seen:
            nummer, categorie, code, begin, end = key
            yield (
                path_of(prestatie),
                f"A second debet Prestatie for ToewijzingNummer {nummer}, ProductCategorie "
                f"{categorie}, ProductCode {code} and ProductPeriode {begin} – {end}; at most one "
                "is allowed per message",
            )
        seen.add(key)


# This family's rules, in the order their findings are reported.
RULES: Final[tuple[Rule, ...]] = (TR137, CS100, CS340, TR358, TR342, CS325, TR315, TR316, TR416)
