"""What the VECOZO-like door calls each message and each state: the berichttype / berichtsubtype
per message type (configuration) and the berichtstatus a ledger state maps to.

The values VECOZO uses for iWmo/iJw are not public (nodes.md §2), so the defaults are the hub's
own: berichttype is the message's name ("WMO305"), no berichtsubtype. A TOML file
(HUB_VECOZO_BERICHTTYPE_FILE) replaces them per message:

    [WMO305]
    berichttype = "..."
    berichtsubtype = "..."   # optional
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from hub.domain.configfile import read_toml
from hub.domain.errors import ConfigError
from hub.domain.messages import CATALOGUE


@dataclass(frozen=True, slots=True)
class Berichttypes:
    """Message name → (berichttype, berichtsubtype), and back."""

    by_message: Mapping[str, tuple[str, str | None]]

    def of(self, message: str | None) -> tuple[str, str | None] | None:
        return self.by_message.get(message) if message else None

    def messages(self, berichttype: str, berichtsubtype: str | None = None) -> tuple[str, ...]:
        """The message names a berichttype (and subtype, when given) stands for."""
        return tuple(
            sorted(
                name
                for name, (kind, sub) in self.by_message.items()
                if kind == berichttype and (berichtsubtype is None or sub == berichtsubtype)
            )
        )


DEFAULTS: Final = Berichttypes({name: (name, None) for name in CATALOGUE})


def load_berichttypes(path: Path | None) -> Berichttypes:
    """The defaults, with the file's entries (if any) in their place; one-line errors."""
    if path is None:
        return DEFAULTS
    where = f"berichttype file {path}"
    data = read_toml(path, where, "HUB_VECOZO_BERICHTTYPE_FILE")
    found = dict(DEFAULTS.by_message)
    for name, entry in data.items():
        if name not in CATALOGUE:
            raise ConfigError(f"{where}: [{name}] is no message of the catalogue (e.g. WMO305)")
        if not isinstance(entry, dict) or set(entry) - {"berichttype", "berichtsubtype"}:
            raise ConfigError(f"{where}: [{name}] takes berichttype and berichtsubtype only")
        kind, sub = entry.get("berichttype"), entry.get("berichtsubtype")
        if not isinstance(kind, str) or not kind.strip():
            raise ConfigError(f"{where}: [{name}] berichttype must be a non-empty string")
        if sub is not None and (not isinstance(sub, str) or not sub.strip()):
            raise ConfigError(f"{where}: [{name}] berichtsubtype must be a non-empty string")
        found[name] = (kind, sub)
    return Berichttypes(found)


# --- berichtstatus: the ledger's state as the door names it ---------------------------------
# VECOZO's own status values are not public either; these name the hub's states in Dutch.
ONTVANGEN: Final = "ontvangen"  # taken by the door, not decided yet
AANGEHOUDEN: Final = "aangehouden"  # held by a release freeze until the cutover
AFGEKEURD: Final = "afgekeurd"  # rejected with a retour, or set aside (dead letter)
GEACCEPTEERD: Final = "geaccepteerd"  # accepted, routed to the receiver
BESCHIKBAAR: Final = "beschikbaar"  # in the receiver's inbox
OPGEHAALD: Final = "opgehaald"  # downloaded by the receiver
BEVESTIGD: Final = "ontvangst-bevestigd"  # the receiver confirmed receipt

STATUSES: Final = (ONTVANGEN, AANGEHOUDEN, AFGEKEURD, GEACCEPTEERD, BESCHIKBAAR, OPGEHAALD,
                   BEVESTIGD)  # fmt: skip
_LEDGER: Final = {
    "received": ONTVANGEN,
    "parked": AANGEHOUDEN,
    "rejected": AFGEKEURD,
    "dead-lettered": AFGEKEURD,
}


@dataclass(frozen=True, slots=True)
class Delivery:
    """The first delivery of a message, as the status needs it."""

    available_at: datetime
    downloaded_at: datetime | None
    acked_at: datetime | None


def berichtstatus(
    ledger_status: str, received_at: datetime, delivery: Delivery | None
) -> tuple[str, datetime]:
    """The door's status of a message and when it last changed: the ledger's verdict, then how
    far its delivery got (in the inbox, downloaded, receipt confirmed)."""
    if ledger_status in _LEDGER:
        return _LEDGER[ledger_status], received_at
    if delivery is None:
        return GEACCEPTEERD, received_at
    if delivery.acked_at is not None:
        return BEVESTIGD, delivery.acked_at
    if delivery.downloaded_at is not None:
        return OPGEHAALD, delivery.downloaded_at
    return BESCHIKBAAR, delivery.available_at
