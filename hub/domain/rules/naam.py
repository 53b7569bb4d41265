"""Name rules of the 301: NaamGebruik fits the Partnernaam (CS050) and suits a client (CS318)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Final

from lxml import etree

from hub.domain.rules.base import Rule, RuleContext, names, path_of, rule
from hub.domain.xmlcodec import text_of

# CS050, literally (rules.md §6 reading 12): with a Partnernaam the partner's name is used in
# some way (1–4); without one only the own name (1) or a non-natural person (6). NaamGebruik 5
# (pseudoniem) therefore never passes.
_WITH_PARTNER: Final = frozenset({"1", "2", "3", "4"})
_WITHOUT_PARTNER: Final = frozenset({"1", "6"})
_NIET_NATUURLIJK: Final = "6"


def _namen(
    ctx: RuleContext,
) -> Iterator[tuple[str, etree._Element, Mapping[str, etree._Element]]]:
    """(owner "Client" or "Relatie", its NaamGebruik, the Naam's children), from cached child
    maps: no walk of the tree."""
    client = ctx.fields(ctx.fields(ctx.root).get("Client"))
    owners = [("Client", client.get("Naam"))]
    owners += [("Relatie", ctx.fields(r).get("Naam")) for r in ctx.under("Relaties", "Relatie")]
    for owner, naam in owners:
        f = ctx.fields(naam)
        gebruik = f.get("NaamGebruik")
        if gebruik is not None:
            yield owner, gebruik, f


@rule(
    "CS050",
    "NaamGebruik moet passen bij het al dan niet gevuld zijn van Partnernaam",
    names(301),
)
def CS050(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    for _, gebruik, naam in _namen(ctx):
        value = text_of(gebruik)
        if "Partnernaam" in naam:
            if value not in _WITH_PARTNER:
                yield (
                    path_of(gebruik),
                    f"NaamGebruik must be 1, 2, 3 or 4 when Partnernaam is filled, got {value!r}",
                )
        elif value not in _WITHOUT_PARTNER:
            yield (
                path_of(gebruik),
                f"NaamGebruik must be 1 or 6 when Partnernaam is absent, got {value!r}",
            )


@rule(
    "CS318", "NaamGebruik 6 (niet-natuurlijk persoon) is niet toegestaan voor de client", names(301)
)
def CS318(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    for owner, gebruik, _ in _namen(ctx):
        if owner == "Client" and text_of(gebruik) == _NIET_NATUURLIJK:
            yield (
                path_of(gebruik),
                "NaamGebruik 6 (niet-natuurlijk persoon) is not allowed for the Client",
            )


# This family's rules, in the order their findings are reported.
RULES: Final[tuple[Rule, ...]] = (CS050, CS318)
