"""Duplicate lines (TR101): no two instances under one parent share a logical key (rules.md §0)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final, NamedTuple

from lxml import etree

from hub.rules.base import Rule, RuleContext, fields, names, parse_int, path_of, rule
from hub.xmlcodec import text_of


class _Key(NamedTuple):
    """A class whose key is one element: `line` is `key`'s ancestor `depth` levels up."""

    parent: str  # parent of the key element
    key: str
    depth: int  # 1: the key element is a child of the line
    numeric: bool  # ToewijzingNummer is an xs:integer: "012" and "12" are the same key


_NUMMER: Final = "ToewijzingNummer"
# Per message number, the single-element keys. 305/307 keys span several elements (below).
# 317 NieuwProduct has no published key. Any key we picked, even its whole content, could
# refuse a request for two identical items that the standard allows, so it is not compared.
_SIMPLE: Final[dict[int, tuple[_Key, ...]]] = {
    301: (
        _Key("Relatie", "Nummer", 1, False),
        # A Relatie's single Contact has its own parent: only Contactgegevens can repeat one.
        _Key("Contact", "Soort", 1, False),
        _Key("ToegewezenProduct", _NUMMER, 1, True),
    ),
    315: (_Key("AangevraagdProduct", "ReferentieAanbieder", 1, False),),
    317: (
        _Key("OngewijzigdProduct", _NUMMER, 1, True),
        _Key("TeWijzigenProduct", _NUMMER, 1, True),
    ),
    323: (
        _Key("Client", "Bsn", 1, False),
        _Key("ProductReferentie", "ReferentieNummer", 2, False),
    ),
    325: (
        _Key("Client", "Bsn", 1, False),
        _Key("ProductReferentie", "ReferentieNummer", 2, False),
    ),
}
# The line class of a 305 and a 307.
_LINE: Final = {305: "StartProduct", 307: "StopProduct"}


def _number(text: str | None) -> int | str | None:
    value = parse_int(text)
    return value if value is not None else text


def _local(el: etree._Element) -> str:
    tag = el.tag
    return tag[tag.find("}") + 1 :] if isinstance(tag, str) else ""


def _step(el: etree._Element) -> str:
    return path_of(el).rsplit("/", 1)[-1]


def _simple(ctx: RuleContext, spec: _Key) -> Iterator[tuple[str, str]]:
    keys = ctx.under(spec.parent, spec.key)
    if len(keys) < 2:
        return
    seen: dict[tuple[etree._Element | None, object], etree._Element] = {}
    for key in keys:
        line: etree._Element | None = key
        for _ in range(spec.depth):
            line = line.getparent() if line is not None else None
        if line is None:
            continue
        text = text_of(key)
        value: object = _number(text) if spec.numeric else text
        first = seen.setdefault((line.getparent(), value), line)
        if first is not line:
            # The key's value stays out: a Bsn is personal data, the position says enough.
            yield (
                path_of(line),
                f"{_local(line)} repeats the {spec.key} of {_step(first)} (duplicate line)",
            )


def _line_key(line: etree._Element) -> tuple[object, ...]:
    """A StartProduct/StopProduct key apart from the Bsn (one client per message)."""
    f = fields(line)
    product = fields(f.get("Product"))
    return (
        _number(text_of(f.get(_NUMMER))),
        text_of(product.get("Categorie")),
        text_of(product.get("Code")),
        text_of(f.get("Begindatum")),
        text_of(f.get("RedenBeeindiging")),  # None on a StartProduct
        text_of(f.get("Einddatum")),
    )


def _start_stop(ctx: RuleContext, line_name: str) -> Iterator[tuple[str, str]]:
    begins = ctx.under(line_name, "Begindatum")
    if len(begins) < 2:
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
        yield from _start_stop(ctx, line_name)
        return
    for spec in _SIMPLE.get(number, ()):
        yield from _simple(ctx, spec)


# This family's rules, in the order their findings are reported.
RULES: Final[tuple[Rule, ...]] = (TR101,)
