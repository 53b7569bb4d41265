"""Sleutelmomenten: how late the chain's key moments of care (toewijzing, start, stop, the
adjustment after a stop, the answer to a verzoek, the declaratie-antwoord) are exchanged,
measured in werkdagen per toewijzing line, without personal data (docs/sleutelmomenten.md)."""

from hub.domain.sleutelmomenten.lateness import plausible, werkdagen_late
from hub.domain.sleutelmomenten.moments import (
    SPECS,
    Measurement,
    Moment,
    MomentSpec,
    Outcome,
    Shortening,
    Source,
    judge,
)

__all__ = [
    "SPECS",
    "Measurement",
    "Moment",
    "MomentSpec",
    "Outcome",
    "Shortening",
    "Source",
    "judge",
    "plausible",
    "werkdagen_late",
]
