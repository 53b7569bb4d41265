"""Header rules: fixed BerichtVersie and BerichtSubversie (CS025, CS015), Dagtekening (TR135)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Final

from lxml import etree

from hub.domain.findings import Level
from hub.domain.rules.base import (
    ALL_MESSAGES,
    IWMO_IJW_MESSAGES,
    Rule,
    RuleContext,
    parse_date,
    parse_int,
    path_of,
    rule,
)
from hub.domain.xmlcodec import child, local_name, text_of

_RELEASE: Final = re.compile(r"/([0-9]+)_([0-9]+)/")
# The release the facts describe; used when the namespace carries no release.
_DEFAULT_RELEASE: Final = (3, 2)


@lru_cache(maxsize=64)
def _release_of(tag: str) -> tuple[int, int]:
    match = _RELEASE.search(tag)
    return (int(match.group(1)), int(match.group(2))) if match else _DEFAULT_RELEASE


def _release(root: etree._Element) -> tuple[int, int]:
    """(major, minor) of the namespace: BerichtVersie / BerichtSubversie must equal these."""
    return _release_of(root.tag)


def _fixed(ctx: RuleContext, name: str, expected: int) -> Iterator[tuple[str, str]]:
    el = ctx.header_field(name)
    if el is None:
        return  # absence is the XSD's verdict
    if parse_int(text_of(el)) != expected:
        yield path_of(el), f"{name} must be {expected}, got {text_of(el)!r}"


@rule("CS025", "BerichtVersie vullen met 3", IWMO_IJW_MESSAGES)
def CS025(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    yield from _fixed(ctx, "BerichtVersie", _release(root)[0])


@rule("CS015", "BerichtSubversie vullen met 2", IWMO_IJW_MESSAGES)
def CS015(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    yield from _fixed(ctx, "BerichtSubversie", _release(root)[1])


# The system date is a source outside the message, so TR135 has its own retourcode (8848)
# instead of the XSLT-level 0001.
@rule(
    "TR135",
    "Dagtekening moet kleiner of gelijk zijn aan de systeemdatum",
    ALL_MESSAGES,
    level=Level.EXTERNAL,
    retourcode="8848",
)
def TR135(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    day = ctx.dagtekening
    if day is not None and day > ctx.today:
        el = child(ctx.header_field("BerichtIdentificatie"), "Dagtekening")
        if el is not None:
            yield path_of(el), f"Dagtekening {day} is later than the system date {ctx.today}"
    # In a retour the BerichtIdentificatie is the heenbericht's; DagtekeningRetour is its own.
    if ctx.message.is_heen:
        return
    retour = ctx.header_field("DagtekeningRetour")
    day = parse_date(text_of(retour))
    if retour is not None and day is not None and day > ctx.today:
        yield (
            path_of(retour),
            f"{local_name(retour)} {day} is later than the system date {ctx.today}",
        )


# This family's rules, in the order their findings are reported.
RULES: Final[tuple[Rule, ...]] = (CS025, CS015, TR135)
