"""Rules of the antwoordbericht 319: the reason of a refusal (CD085, CD086) and, in iJw only, the
responsible gemeente under the woonplaatsbeginsel (TR377, TR409)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from lxml import etree

from hub.messages import Standard
from hub.rules.base import Rule, RuleContext, names, path_of, rule
from hub.xmlcodec import text_of

_AFGEWEZEN: Final = "1"
_IN_ONDERZOEK: Final = "2"
_WOONPLAATSBEGINSEL: Final = "8"  # RedenAfwijzingVerzoek: another gemeente is responsible
_JW319: Final = names(319, standards=(Standard.IJW,))


@rule(
    "CD085",
    "Als VerzoekAntwoord 1 (afgewezen) is, moet RedenAfwijzingVerzoek gevuld zijn",
    names(319),
)
def CD085(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    for antwoord_el in ctx.under("Antwoord", "VerzoekAntwoord"):
        antwoord = antwoord_el.getparent()
        if text_of(antwoord_el) != _AFGEWEZEN or antwoord is None:
            continue
        if "RedenAfwijzingVerzoek" not in ctx.fields(antwoord):
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
    for reden in ctx.under("Antwoord", "RedenAfwijzingVerzoek"):
        antwoord = reden.getparent()
        verzoek_antwoord = text_of(ctx.fields(antwoord).get("VerzoekAntwoord"))
        if verzoek_antwoord == _IN_ONDERZOEK:
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
    for reden in ctx.under("Antwoord", "RedenAfwijzingVerzoek"):
        antwoord = reden.getparent()
        if antwoord is None or text_of(reden) != _WOONPLAATSBEGINSEL:
            continue
        if "Woonplaatsbeginsel" not in ctx.fields(antwoord):
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
    for woonplaats in ctx.under("Antwoord", "Woonplaatsbeginsel"):
        antwoord = woonplaats.getparent()
        reden = text_of(ctx.fields(antwoord).get("RedenAfwijzingVerzoek"))
        if reden is not None and reden != _WOONPLAATSBEGINSEL:
            yield (
                path_of(woonplaats),
                f"Woonplaatsbeginsel must be absent when RedenAfwijzingVerzoek is {reden} "
                "(only reason 8 names another gemeente)",
            )


# This family's rules, in the order their findings are reported.
RULES: Final[tuple[Rule, ...]] = (CD085, CD086, TR377, TR409)
