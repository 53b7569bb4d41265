"""One rule as the rulebook holds it: its entry, level, status, and why the hub may not run it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from hub.domain.findings import Level as FindingLevel


class RuleLevel(StrEnum):
    """Where a rule sits (rules.md column Lvl)."""

    IN_MESSAGE = "in-message"  # XSLT level, controleniveau 2: the message alone, retourcode 0001
    XSD = "XSD-enforced"  # a CS rule the message XSD already enforces: a node error, no retour
    HISTORY = "history"  # berichtoverstijgend, controleniveau 3: needs earlier messages
    EXTERNAL = "external"  # controleniveau 4: needs a source outside the message

    @property
    def finding_level(self) -> FindingLevel:
        """The level of the findings a hub rule object for such a rule reports."""
        return _FINDING_LEVEL[self]


# A rule object for an XSD-enforced rule runs with the in-message rules (level 2).
_FINDING_LEVEL: Final = MappingProxyType(
    {
        RuleLevel.IN_MESSAGE: FindingLevel.XSLT,
        RuleLevel.XSD: FindingLevel.XSLT,
        RuleLevel.HISTORY: FindingLevel.HISTORY,
        RuleLevel.EXTERNAL: FindingLevel.EXTERNAL,
    }
)


class Status(StrEnum):
    IMPLEMENTED = "implemented"
    XSD = "XSD-enforced"
    NEEDS_SOURCE = "needs an outside source"
    NOT_HUBS = "not the hub's to check"
    NOT_YET = "not yet implemented"


@dataclass(frozen=True, slots=True)
class Reason:
    """Why the hub does not run a rule itself."""

    status: Status
    why: str


@dataclass(frozen=True, slots=True)
class Entry:
    """One rule of rules.md."""

    id: str
    family: str  # a key of ruletable.FAMILIES: the table the rule is listed in
    level: RuleLevel
    messages: tuple[int, ...]  # message numbers, the same in iWmo and iJw unless ijw_only
    retourcode: str | None  # None: no retourcode (XSD-enforced; TR337, TR371, TR376)
    summary: str
    ijw_only: bool = False

    @property
    def reason(self) -> Reason | None:
        return REASONS.get(self.id)


_CONTRACT: Final = "the contract between gemeente and aanbieder (its tariff per product code)"
_BY_XSD: Final = Reason(Status.XSD, "the pack's message XSD fixes the value")

# Why the hub does not run a rule. A rule that is registered is implemented whatever this says
# (and tests/test_rulebook.py then fails for a rule marked as needing a source).
REASONS: Final[Mapping[str, Reason]] = MappingProxyType(
    {
        "CS025": _BY_XSD,
        "CS015": _BY_XSD,
        "CS319": _BY_XSD,
        "TR378": Reason(
            Status.NEEDS_SOURCE,
            "the CBS gemeentelijke indeling, with its history of herindelingen",
        ),
        "TR381": Reason(
            Status.NEEDS_SOURCE,
            "the productcodelijst the parties agreed on (national or the gemeente's own, IV075)",
        ),
        "TR346": Reason(Status.NEEDS_SOURCE, _CONTRACT + ", which also prices minutes (IV081)"),
        "TR418": Reason(Status.NEEDS_SOURCE, _CONTRACT),
    }
)
