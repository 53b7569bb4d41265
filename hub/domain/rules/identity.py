"""Identity rules: the BSN 11-proef (CS002) on every Bsn of the messages the rule names."""

from __future__ import annotations

from collections.abc import Iterator
from operator import mul
from typing import Final

from lxml import etree

from hub.domain.messages import Standard
from hub.domain.rules.base import Rule, RuleContext, names, path_of, rule

_WEIGHTS: Final = (9, 8, 7, 6, 5, 4, 3, 2, -1)
# Weighting the ASCII codes instead of the digits adds 48 · Σweights; take it off once.
_ASCII_OFFSET: Final = ord("0") * sum(_WEIGHTS)


def passes_elfproef(bsn: str | None) -> bool:
    """9 digits d9..d1 with (9·d9 + 8·d8 + … + 2·d2 − d1) mod 11 == 0."""
    if bsn is None or len(bsn) != 9 or not bsn.isascii() or not bsn.isdigit():
        return False
    weighted: int = sum(map(mul, _WEIGHTS, bsn.encode()))
    return (weighted - _ASCII_OFFSET) % 11 == 0


# rules.md §1.1: the heenberichten that carry a Bsn and the 325; no rule is attached to a retour
# or to the 319, so a retour is never refused for it. The iEb notices (the hub's own model, which
# the hub itself builds from 305/307) keep the check, so a notice is never built on a bad Bsn.
_CS002_MESSAGES: Final = names(301, 305, 307, 315, 317, 323, 325) | names(
    405, 407, standards=(Standard.IEB,)
)


@rule("CS002", "Bsn moet voldoen aan de 11-proef", _CS002_MESSAGES)
def CS002(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    texts = ctx.texts("Bsn")
    for i, bsn in enumerate(ctx.each("Bsn")):
        if not passes_elfproef(texts[i]):
            # The value itself stays out of the sentence: a BSN is personal data.
            yield path_of(bsn), "Bsn does not pass the 11-proef"


# This family's rules, in the order their findings are reported.
RULES: Final[tuple[Rule, ...]] = (CS002,)
