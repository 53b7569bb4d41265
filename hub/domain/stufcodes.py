"""The GGk door's configuration made pure: which message travels as Di01 and which as Du01, and
the code a refusal gets in a Fo03 or Fo01 (the node-code table, with the operator's overrides).

Defaults are the facts: nodes.md §1 lists the heen- and retourberichten (only 301-in-Di01 and
302-in-Du01 are shown by published examples, so the split is configurable), and
hub/domain/nodecodes.py gives every refusal kind its nearest GGk code (the two public Fo01 lists
conflict, so the table is configurable: HUB_GGK_CODES).
"""

from __future__ import annotations

import re
from typing import Final

from hub.domain import nodecodes
from hub.domain.messages import Direction, MessageType, Node

# nodes.md §1: retourberichten go as Du01 (the 325 answers a 323 like a retour does).
DEFAULT_DU01: Final = "302,306,308,316,318,320,325,406,408"
# A Fo03/Fo01 needs a code (StUF Foutcode, at most 7 characters); where no node code fits a
# refusal (the hub briefly unavailable, a slow upload) it gets this one, the hub's own.
NO_CODE: Final = "HUB000"
_CODE: Final = re.compile(r"[A-Za-z0-9]{1,7}")
_KIND: Final = re.compile(r"[a-z_]+/([a-z_]+|\*)")


def parse_numbers(text: str) -> frozenset[int]:
    """'302, 306' → {302, 306}; ValueError naming what is not a message number."""
    numbers = set()
    for part in filter(None, (p.strip() for p in text.split(","))):
        if not part.isdigit() or not 300 <= int(part) <= 499:
            raise ValueError(f"{part!r} is not an iStandaarden message number (e.g. 302)")
        numbers.add(int(part))
    return frozenset(numbers)


def parse_code_table(text: str) -> dict[tuple[str, str], str]:
    """'invalid/schema=IB014, envelope/*=IB001' → {(error, reason): code}; ValueError on a
    malformed entry. A reason `*` stands for every reason of its error."""
    table: dict[tuple[str, str], str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        kind, sep, code = (s.strip() for s in part.partition("="))
        if not sep or not _KIND.fullmatch(kind) or not _CODE.fullmatch(code):
            raise ValueError(f"{part!r} is not error/reason=CODE (CODE: 1-7 letters or digits)")
        error, _, reason = kind.partition("/")
        table[(error, reason)] = code
    return table


def berichtcode(mt: MessageType, du01: frozenset[int]) -> str:
    """Di01 or Du01 for a message of kind `mt`: Du01 when its number is in `du01` (the same
    mapping for what the door takes and what it delivers)."""
    return "Du01" if mt.number in du01 else "Di01"


def code_for(error: str, reason: str, overrides: dict[tuple[str, str], str]) -> str:
    """The Fo03/Fo01 code of a refusal: the operator's override, else the node-code table's
    GGk code, else NO_CODE."""
    found = overrides.get((error, reason)) or overrides.get((error, nodecodes.ANY))
    return found or nodecodes.node_code(Node.GGK, error, reason) or NO_CODE


def is_retour(mt: MessageType) -> bool:
    """A retour or antwoord (it answers a heenbericht), whatever travels as Du01."""
    return mt.direction is not Direction.HEEN
