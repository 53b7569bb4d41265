"""Rules of the antwoordbericht 319: the reason of a refusal (CD085, CD086) and, in iJw only, the
responsible gemeente under the woonplaatsbeginsel (TR377, TR409)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Final

from lxml import etree

from hub.domain.messages import Standard
from hub.domain.rules.base import Rule, RuleContext, names, path_of, rule
from hub.domain.xmlcodec import text_of

_AFGEWEZEN: Final = "1"
_IN_ONDERZOEK: Final = "2"
_WOONPLAATSBEGINSEL: Final = "8"  # RedenAfwijzingVerzoek: another gemeente is responsible
_JW319: Final = names(319, standards=(Standard.IJW,))


def _antwoord(ctx: RuleContext) -> tuple[etree._Element | None, Mapping[str, etree._Element]]:
    """The Antwoord class (one per message) and its children by name."""
    antwoord = ctx.fields(ctx.root).get("Antwoord")
    return antwoord, ctx.fields(antwoord)


@rule(
    "CD085",
    "Als VerzoekAntwoord 1 (afgewezen) is, moet RedenAfwijzingVerzoek gevuld zijn",
    names(319),
)
def CD085(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    antwoord, f = _antwoord(ctx)
    if antwoord is None or text_of(f.get("VerzoekAntwoord")) != _AFGEWEZEN:
        return
    if "RedenAfwijzingVerzoek" not in f:
        yield (
            path_of(antwoord) + "/RedenAfwijzingVerzoek",
            "RedenAfwijzingVerzoek is mandatory when VerzoekAntwoord is 1 (afgewezen)",
        )


@rule(
    "CD086",
    "Als VerzoekAntwoord 2 (in onderzoek) is, moet RedenAfwijzingVerzoek leeg zijn",
    names(319),
)
def CD086(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    _antwoord_el, f = _antwoord(ctx)
    reden = f.get("RedenAfwijzingVerzoek")
    if reden is not None and text_of(f.get("VerzoekAntwoord")) == _IN_ONDERZOEK:
        yield (
            path_of(reden),
            "RedenAfwijzingVerzoek must be absent when VerzoekAntwoord is 2 (in onderzoek)",
        )


@rule(
    "TR377",
    "Als RedenAfwijzingVerzoek 8 (woonplaatsbeginsel) is, moet Woonplaatsbeginsel gevuld zijn",
    _JW319,
)
def TR377(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    antwoord, f = _antwoord(ctx)
    if antwoord is None or text_of(f.get("RedenAfwijzingVerzoek")) != _WOONPLAATSBEGINSEL:
        return
    if "Woonplaatsbeginsel" not in f:
        yield (
            path_of(antwoord) + "/Woonplaatsbeginsel",
            "Woonplaatsbeginsel (the responsible Gemeente) is mandatory when "
            "RedenAfwijzingVerzoek is 8 (woonplaatsbeginsel)",
        )


@rule(
    "TR409",
    "Als RedenAfwijzingVerzoek gevuld en niet 8 is, moet Woonplaatsbeginsel leeg zijn",
    _JW319,
)
def TR409(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    # rules.md §6 reading 10: without a RedenAfwijzingVerzoek the rule does not fire.
    _antwoord_el, f = _antwoord(ctx)
    woonplaats = f.get("Woonplaatsbeginsel")
    reden = text_of(f.get("RedenAfwijzingVerzoek"))
    if woonplaats is not None and reden is not None and reden != _WOONPLAATSBEGINSEL:
        yield (
            path_of(woonplaats),
            f"Woonplaatsbeginsel must be absent when RedenAfwijzingVerzoek is {reden} "
            "(only reason 8 names another gemeente)",
        )


# This family's rules, in the order their findings are reported.
RULES: Final[tuple[Rule, ...]] = (CD085, CD086, TR377, TR409)
