"""Release freezes (domain.md §7): one calendar per standard, a planner for the standard phase
model and the pure decision what a message may do at a given moment. No I/O beyond reading the
calendar file; the adapters refuse and the core parks on what `decide` says.

Phases of one migration from `from_release` to `to_release` (go-live T, Monday 13:00):

    open ─ declaratie_freeze ─ heen_freeze ─ retour_deadline ─ (transition) ─ cutover ─ live
           (323 stops)        (heen stops)  (everything stops)                (new release only)
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Final
from zoneinfo import ZoneInfo

from hub.domain.configfile import read_toml
from hub.domain.errors import ConfigError
from hub.domain.messages import Direction, MessageType, Standard, by_name

ZONE: Final = ZoneInfo("Europe/Amsterdam")
# The order in which the moments of one freeze must follow each other.
MOMENTS: Final = ("declaratie_freeze", "heen_freeze", "retour_deadline", "cutover")
_RELEASE_KEYS: Final = ("from_release", "to_release")


class Phase(StrEnum):
    OPEN = "open"
    DECLARATIE_FREEZE = "declaratie-freeze"
    HEEN_FREEZE = "heen-freeze"
    TRANSITION = "transition"
    LIVE = "live"  # after the cutover: only the new release


@dataclass(frozen=True, slots=True)
class Freeze:
    """One migration of one standard; every moment is timezone-aware."""

    standard: Standard
    from_release: str
    to_release: str
    declaratie_freeze: datetime
    heen_freeze: datetime
    retour_deadline: datetime  # full stop: the transition runs from here to the cutover
    cutover: datetime

    def phase(self, now: datetime) -> Phase:
        if now >= self.cutover:
            return Phase.LIVE
        if now >= self.retour_deadline:
            return Phase.TRANSITION
        if now >= self.heen_freeze:
            return Phase.HEEN_FREEZE
        if now >= self.declaratie_freeze:
            return Phase.DECLARATIE_FREEZE
        return Phase.OPEN

    def phase_start(self, phase: Phase) -> datetime | None:
        return {
            Phase.OPEN: None,
            Phase.DECLARATIE_FREEZE: self.declaratie_freeze,
            Phase.HEEN_FREEZE: self.heen_freeze,
            Phase.TRANSITION: self.retour_deadline,
            Phase.LIVE: self.cutover,
        }[phase]

    def to_toml(self) -> str:
        lines = [
            f"[{self.standard.value}]",
            f'from_release = "{self.from_release}"',
            f'to_release = "{self.to_release}"',
        ]
        for key in MOMENTS:
            moment: datetime = getattr(self, key)
            lines.append(f"{key} = {moment.astimezone(ZONE).isoformat()}")
        return "\n".join(lines) + "\n"


@dataclass(frozen=True, slots=True)
class Calendar:
    """The freezes in force, at most one per standard. An empty calendar freezes nothing."""

    freezes: Mapping[Standard, Freeze]

    def get(self, standard: Standard | str) -> Freeze | None:
        try:
            return self.freezes.get(Standard(standard))
        except ValueError:
            return None


EMPTY: Final = Calendar(MappingProxyType({}))


# --- decisions ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Allow:
    """The message flows as usual."""


@dataclass(frozen=True, slots=True)
class Park:
    """Hold it (new release before the cutover); released at `until`."""

    reason: str
    until: datetime


@dataclass(frozen=True, slots=True)
class Refuse:
    """Not now: `until` is when the hub reopens (the cutover), None when never (an old-release
    message after the cutover)."""

    reason: str
    phase: Phase
    since: datetime
    until: datetime | None

    @property
    def permanent(self) -> bool:
        return self.until is None


Decision = Allow | Park | Refuse
ALLOW: Final = Allow()


class Kind(StrEnum):
    """How the phase model groups message kinds."""

    DECLARATIE = "declaratie"  # 323 (303 in 2.x): stops at the declaratie freeze
    HEEN = "heen"  # 301, 305, 307, 315, 317, 319 (iEb 405, 407): stop at the heen freeze
    RETOUR = "retour"  # retours and the 325: flow until the retour deadline


def kind_of(message_type: MessageType) -> Kind:
    if message_type.direction is not Direction.HEEN:
        return Kind.RETOUR
    return Kind.DECLARATIE if message_type.number == 323 else Kind.HEEN


def _local(moment: datetime) -> str:
    return moment.astimezone(ZONE).strftime("%Y-%m-%d %H:%M") + " Europe/Amsterdam"


def decide(
    calendar: Calendar | None,
    standard: Standard | str,
    release: str | None,
    message_type: MessageType | str,
    now: datetime,
) -> Decision:
    """What a message of `standard`/`release`/`message_type` may do at `now` (aware)."""
    freeze = calendar.get(standard) if calendar is not None else None
    if freeze is None or release not in (freeze.from_release, freeze.to_release):
        return ALLOW
    mt = by_name(message_type) if isinstance(message_type, str) else message_type
    label = f"{freeze.standard.value} {release}"
    if release == freeze.to_release and freeze.from_release != freeze.to_release:
        if now >= freeze.cutover:
            return ALLOW
        return Park(
            f"{label} is accepted from the cutover at {_local(freeze.cutover)}; held until then",
            freeze.cutover,
        )
    phase = freeze.phase(now)
    if phase is Phase.LIVE:
        return Refuse(
            f"{label} is no longer accepted since the cutover to {freeze.to_release} at "
            f"{_local(freeze.cutover)}; send it in release {freeze.to_release}",
            Phase.LIVE,
            freeze.cutover,
            None,
        )
    stops = {
        Kind.DECLARATIE: freeze.declaratie_freeze,
        Kind.HEEN: freeze.heen_freeze,
        Kind.RETOUR: freeze.retour_deadline,
    }[kind_of(mt)]
    if now < stops:
        return ALLOW
    since = freeze.phase_start(phase)
    assert since is not None  # a frozen kind means the calendar is past its first phase
    return Refuse(
        f"{mt.name} of {label} is frozen since {_local(stops)} ({phase.value}); the hub "
        f"reopens at the cutover to {freeze.to_release} at {_local(freeze.cutover)}",
        phase,
        since,
        freeze.cutover,
    )


# --- planner -----------------------------------------------------------------------------


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), ZONE)


def plan(standard: Standard | str, go_live: datetime, from_release: str = "",
         to_release: str = "") -> Freeze:  # fmt: skip
    """The standard phase model (§7.2) around go-live T: declaratie freeze on the Wednesday
    1.5 weeks before at 23:00, heen freeze on the Wednesday before at 17:00, retour deadline
    (full stop) on the Thursday before at 13:00, cutover at T."""
    if go_live.tzinfo is None:
        go_live = go_live.replace(tzinfo=ZONE)
    local = go_live.astimezone(ZONE)
    # The Wednesday/Thursday of the week before T (T is a Monday; 2018: a Tuesday).
    days_since_monday = local.weekday()
    monday = local.date() - timedelta(days=days_since_monday)
    return _checked(
        Freeze(
            standard=Standard(standard),
            from_release=from_release,
            to_release=to_release,
            declaratie_freeze=_at(monday - timedelta(days=12), 23),  # Wednesday, T−12 d
            heen_freeze=_at(monday - timedelta(days=5), 17),  # Wednesday, T−5 d
            retour_deadline=_at(monday - timedelta(days=4), 13),  # Thursday, T−4 d
            cutover=local,
        ),
        "plan",
    )


# --- loading -----------------------------------------------------------------------------


def _moment(value: object, where: str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ConfigError(f"{where}: {value!r} is not a date-time") from None
    if not isinstance(value, datetime):
        raise ConfigError(f"{where}: expected a date-time such as 2027-04-05T13:00")
    return value if value.tzinfo is not None else value.replace(tzinfo=ZONE)


def _checked(freeze: Freeze, where: str) -> Freeze:
    moments = [(key, getattr(freeze, key)) for key in MOMENTS]
    for (before, earlier), (key, later) in itertools.pairwise(moments):
        if later < earlier or (key == "cutover" and later == earlier):
            order = "after" if key == "cutover" else "at or after"
            raise ConfigError(
                f"{where}: {key} {_local(later)} must be {order} {before} {_local(earlier)}"
            )
    return freeze


def parse_calendar(data: Mapping[str, object], source: str = "freeze calendar") -> Calendar:
    """A calendar from TOML data: one table per standard ([iwmo], [ijw], [ieb])."""
    freezes: dict[Standard, Freeze] = {}
    for name, table in data.items():
        where = f"{source} [{name}]"
        try:
            standard = Standard(name)
        except ValueError:
            known = ", ".join(s.value for s in Standard)
            raise ConfigError(f"{where}: unknown standard (expected one of {known})") from None
        if not isinstance(table, Mapping):
            raise ConfigError(f"{where}: expected a table")
        unknown = set(table) - set(MOMENTS) - set(_RELEASE_KEYS)
        if unknown:
            raise ConfigError(f"{where}: unknown key {sorted(unknown)[0]!r}")
        for key in (*_RELEASE_KEYS, *MOMENTS):
            if key not in table:
                raise ConfigError(f"{where}: {key} is missing")
        releases = [table[k] for k in _RELEASE_KEYS]
        if not all(isinstance(r, str) and r for r in releases):
            raise ConfigError(f'{where}: from_release and to_release are strings such as "3.2"')
        if releases[0] == releases[1]:
            raise ConfigError(f"{where}: from_release and to_release are both {releases[0]}")
        moments = {k: _moment(table[k], f"{where} {k}") for k in MOMENTS}
        freezes[standard] = _checked(
            Freeze(standard, str(releases[0]), str(releases[1]), **moments), where
        )
    return Calendar(MappingProxyType(freezes))


def load_calendar(path: Path | None) -> Calendar:
    """The calendar in `path` (HUB_FREEZE_FILE); no file configured means no freeze."""
    if path is None:
        return EMPTY
    where = f"HUB_FREEZE_FILE={path}"
    data = read_toml(path, where, "HUB_FREEZE_FILE")
    return parse_calendar(data, where)
