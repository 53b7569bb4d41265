"""Duplicate lines (TR101): no two instances under one parent share a logical key (rules.md §0)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final, NamedTuple

from lxml import etree

from hub.domain.rules.base import Rule, RuleContext, fields, names, parse_int, path_of, rule
from hub.domain.xmlcodec import text_of


class _Key(NamedTuple):
    """A class whose key is one element, found from the line by a path of child names."""

    line: str
    path: tuple[str, ...]  # e.g. ("ProductReferentie", "ReferentieNummer")
    numeric: bool  # ToewijzingNummer is an xs:integer: "012" and "12" are the same key


_NUMMER: Final = ("ToewijzingNummer",)
_CLIENT: Final = _Key("Client", ("Bsn",), False)
_PRESTATIE: Final = _Key("Prestatie", ("ProductReferentie", "ReferentieNummer"), False)
# Per message number, the single-element keys. 305/307 keys span several elements (below).
# 317 NieuwProduct has no published key. Any key we picked, even its whole content, could
# refuse a request for two identical items that the standard allows, so it is not compared.
_SIMPLE: Final[dict[int, tuple[_Key, ...]]] = {
    301: (
        _Key("Relatie", ("Nummer",), False),
        # A Relatie's single Contact has its own parent: only Contactgegevens can repeat one.
        _Key("Contact", ("Soort",), False),
        _Key("ToegewezenProduct", _NUMMER, True),
    ),
    315: (_Key("AangevraagdProduct", ("ReferentieAanbieder",), False),),
    317: (_Key("OngewijzigdProduct", _NUMMER, True), _Key("TeWijzigenProduct", _NUMMER, True)),
    323: (_CLIENT, _PRESTATIE),
    325: (_CLIENT, _PRESTATIE),
}
# The line class of a 305 and a 307.
_LINE: Final = {305: "StartProduct", 307: "StopProduct"}


def _number(text: str | None) -> int | str | None:
    value = parse_int(text)
    return value if value is not None else text


def _step(el: etree._Element) -> str:
    return path_of(el).rsplit("/", 1)[-1]


def _simple(ctx: RuleContext, spec: _Key) -> Iterator[tuple[str, str]]:
    lines = ctx.each(spec.line)
    if len(lines) < 2:
        return
    seen: dict[tuple[etree._Element | None, object], etree._Element] = {}
    for line in lines:
        key: etree._Element | None = line
        for name in spec.path:
            key = ctx.fields(key).get(name)
        if key is None:
            continue  # the XSD requires every key: without one there is nothing to compare
        text = text_of(key)
        value: object = _number(text) if spec.numeric else text
        first = seen.setdefault((line.getparent(), value), line)
        if first is not line:
            # The key's value stays out: a Bsn is personal data, the position says enough.
            yield (
                path_of(line),
                f"{spec.line} repeats the {spec.path[-1]} of {_step(first)} (duplicate line)",
            )


def _line_key(line: etree._Element) -> tuple[object, ...]:
    """A StartProduct/StopProduct key apart from the Bsn (one client per message)."""
    f = fields(line)
    product = fields(f.get("Product"))
    return (
        _number(text_of(f.get("ToewijzingNummer"))),
        text_of(product.get("Categorie")),
        text_of(product.get("Code")),
        text_of(f.get("Begindatum")),
        text_of(f.get("RedenBeeindiging")),  # None on a StartProduct
        text_of(f.get("Einddatum")),
        # A delete (3) and a delivery (1) of one key are two lines, not one twice: IV008 corrects
        # a ToewijzingIngangsdatum (not part of the key) by a delete and its replacement, and
        # rules.md allows both in one message, evaluated in document order.
        text_of(f.get("StatusAanlevering")),
    )


def _start_stop(ctx: RuleContext, line_name: str) -> Iterator[tuple[str, str]]:
    begins = ctx.under(line_name, "Begindatum")
    if len(begins) < 2 or len({text_of(b) for b in begins}) == len(begins):
        return
    # Begindatum is part of every key: only lines sharing one (and a parent) can be duplicates,
    # so the full key is built for those few only. This is the 305's hot path.
    groups: dict[tuple[etree._Element | None, str | None], list[etree._Element]] = {}
    for begin in begins:
        line = begin.getparent()
        if line is not None:
            groups.setdefault((line.getparent(), text_of(begin)), []).append(line)
    for lines in groups.values():
        if len(lines) < 2:
            continue
        seen: dict[tuple[object, ...], etree._Element] = {}
        for line in lines:
            first = seen.setdefault(_line_key(line), line)
            if first is not line:
                yield path_of(line), f"{line_name} repeats the logical key of {_step(first)}"


@rule(
    "TR101",
    "Een bericht mag geen dubbele regels bevatten",
    names(301, 305, 307, 315, 317, 323, 325),
)
def TR101(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    number = ctx.message.number
    line_name = _LINE.get(number)
    if line_name is not None:
        texts = ctx.texts("Begindatum")
        # Begindatum is part of every key: all distinct, no duplicate (the usual 305).
        if len(set(texts)) != len(texts):
            yield from _start_stop(ctx, line_name)
        return
    for spec in _SIMPLE.get(number, ()):
        yield from _simple(ctx, spec)


# This family's rules, in the order their findings are reported.
RULES: Final[tuple[Rule, ...]] = (TR101,)
