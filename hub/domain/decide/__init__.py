"""What the core decides for one message: record, route, retour, link, park or dead-letter.

No I/O: the intake batch loads what is needed and writes what comes out. The shapes are in
`decision`, and there is one module per kind of decision: `heenbericht` (accept, or answer with
a retour), `link` (a retour or 325), `deadletter`, and `park` (the release freeze, imported as
`hub.domain.decide.park`). The names below are what the handlers use; intake calls them as
`decide.<name>`, looked up at call time, so a test can replace one (the poison tests do).
"""

from __future__ import annotations

from hub.domain.decide.deadletter import dead_letter, unusable
from hub.domain.decide.decision import Context, Decision, EventSpec, Incoming, base_row
from hub.domain.decide.heenbericht import RULESET_VERSION, heen, new_retour_identificatie
from hub.domain.decide.link import heen_key, retour, retour_sender

__all__ = [
    "RULESET_VERSION",
    "Context",
    "Decision",
    "EventSpec",
    "Incoming",
    "base_row",
    "dead_letter",
    "heen",
    "heen_key",
    "new_retour_identificatie",
    "retour",
    "retour_sender",
    "unusable",
]
