"""Findings: what a check says about one message, with its rule, retourcode and place."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

# In iWmo / iJw every in-message (XSLT level) rule rejects the whole message with this code.
XSLT_RETOURCODE: Final = "0001"


class Level(StrEnum):
    """Controleniveau (IV028): where a rule runs decides what the retour looks like."""

    XSD = "1"
    XSLT = "2"  # in-message rules
    HISTORY = "3"  # berichtoverstijgend: needs earlier messages
    EXTERNAL = "4"  # needs a source outside the message (code lists, registers, the clock)

    @property
    def controleniveau(self) -> int:
        return int(self.value)


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule violation.

    `location` is an XPath of local names with 1-based positions on repeated siblings, e.g.
    "/Bericht/Client/StartProducten/StartProduct[2]/Begindatum". `sentence` is English and
    never quotes personal data (BSN, birth date), so findings may be logged.
    """

    rule: str  # "CS002"
    retourcode: str  # "0001" for level 2; the rule's own code for levels 3 and 4
    level: Level
    location: str
    sentence: str
