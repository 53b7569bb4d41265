"""One berichtoverstijgende (history) rule and the retourcode it gives."""

from __future__ import annotations

from dataclasses import dataclass

from hub.domain.findings import Finding, Level

__all__ = ["HistoryRule"]


@dataclass(frozen=True, slots=True)
class HistoryRule:
    """One berichtoverstijgende rule and the retourcode it gives."""

    id: str
    retourcode: str
    description: str
    messages: frozenset[str]

    def finding(self, location: str, sentence: str) -> Finding:
        return Finding(self.id, self.retourcode, Level.HISTORY, location, sentence)
