"""What an accepted 305/307 gives the eigen bijdrage: its lines that count, each with its route
(405 or 407), decided by the gemeente's policy, the product category and the client's age on
the start's Begindatum. Pure; the start/stop keys come from hub.domain.history.facts."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Final
from uuid import UUID

from lxml import etree

from hub.domain.eigenbijdrage.periods import Line, Route
from hub.domain.eigenbijdrage.policy import Policy
from hub.domain.history.facts import DELETE, NEW, HistoryFacts, StartKey, extract
from hub.domain.messages import Standard, by_name
from hub.domain.rules.base import parse_date
from hub.domain.xmlcodec import child, child_text

__all__ = ["BirthDate", "Counted", "Source", "adult_on", "read_source", "route_of"]

_LINE_MESSAGES: Final = frozenset({"WMO305", "WMO307"})
# DatumGebruik (CDT_Geboortedatum): 1 day unknown, 2 day and month unknown, 3 wholly unknown.
_DAY_UNKNOWN: Final = "1"
_MONTH_UNKNOWN: Final = "2"


@dataclass(frozen=True, slots=True)
class BirthDate:
    """Client/Geboortedatum as delivered (copied into the notice, never stored)."""

    datum: date
    gebruik: str | None = None  # DatumGebruik

    def latest_possible(self) -> date:
        """The youngest the client can be: a partly unknown date counts from its last day, so
        a possible minor is never charged. Wholly unknown (3) uses the date as given."""
        if self.gebruik == _DAY_UNKNOWN:
            last = calendar.monthrange(self.datum.year, self.datum.month)[1]
            return self.datum.replace(day=last)
        if self.gebruik == _MONTH_UNKNOWN:
            return self.datum.replace(month=12, day=31)
        return self.datum


def adult_on(birth: BirthDate, day: date, minimum_age: int) -> bool:
    """Whether the client has reached `minimum_age` on `day` (29 February: 1 March)."""
    born = birth.latest_possible()
    year = born.year + minimum_age
    try:
        birthday = born.replace(year=year)
    except ValueError:  # born on 29 February, the year of the birthday is no leap year
        birthday = date(year, 3, 1)
    return day >= birthday


def route_of(policy: Policy, categorie: str, begindatum: date, birth: BirthDate) -> Route | None:
    """The notice a start of this category counts for, or None when it counts for none."""
    if not policy.enabled or not adult_on(birth, begindatum, policy.minimum_age):
        return None
    if categorie in policy.beschermd_wonen_categories:
        return Route.BESCHERMD_WONEN if policy.beschermd_wonen else None
    if categorie in policy.abonnementstarief_categories:
        return Route.ABONNEMENTSTARIEF
    return None


@dataclass(frozen=True, slots=True)
class Counted:
    """One line that counts, with where it is and the category it was judged on."""

    route: Route
    line: Line
    location: str
    categorie: str
    new: bool  # StatusAanlevering 1


@dataclass(frozen=True, slots=True)
class Source:
    """An accepted 305/307 as the eigen bijdrage reads it. `bsn` and `birth` are only kept in
    memory to write the notice; state and events use `person` (the keyed hash)."""

    message_id: UUID
    message_name: str
    gemeente: str
    aanbieder: str
    person: str
    bsn: str = field(repr=False)
    birth: BirthDate = field(repr=False)
    counted: tuple[Counted, ...] = ()

    def routes(self) -> list[Route]:
        return sorted({c.route for c in self.counted})


# (gemeente, aanbieder, person, ToewijzingNummer) -> the toewijzing's category, if known
CategoryLookup = Callable[[str, str, str, str], str | None]


def categorie_of(key: StartKey, gemeente: str, aanbieder: str, person: str,
                 lookup: CategoryLookup) -> str:  # fmt: skip
    """The line's own Product/Categorie; without Product (allowed when a ToewijzingNummer is
    given) the category of the toewijzing it delivers; "" when neither is known."""
    if key.categorie:
        return key.categorie
    if key.toewijzing:
        return lookup(gemeente, aanbieder, person, key.toewijzing) or ""
    return ""


def is_line_message(message_name: str) -> bool:
    return message_name in _LINE_MESSAGES


def read_source(
    root: etree._Element,
    message_name: str,
    message_id: UUID,
    secret: bytes,
    policy_for: Callable[[str], Policy],
    lookup: CategoryLookup,
    facts: HistoryFacts | None = None,
) -> Source | None:
    """The counting lines of an accepted iWmo 305/307, or None for anything else (iJw never
    gives a 405: the Jeugdwet has no such bijdrage). `facts` are the message's history facts
    if already extracted (under the same secret); they are read from `root` otherwise."""
    mt = by_name(message_name)
    if mt.standard is not Standard.IWMO or mt.name not in _LINE_MESSAGES:
        return None
    if facts is None or facts.message_name != mt.name or facts.message_id != message_id:
        facts = extract(root, mt.name, secret, message_id=message_id)
    scope = facts.scope
    if scope is None:
        return None
    client = child(root, "Client")
    bsn = child_text(client, "Bsn") or ""
    born = parse_date(child_text(client, "Geboortedatum", "Datum"))
    if not bsn or born is None:
        return None  # levels 1-2 guarantee both; never guess
    birth = BirthDate(born, child_text(client, "Geboortedatum", "DatumGebruik") or None)
    policy = policy_for(scope.gemeente)
    counted: list[Counted] = []
    keyed = [(s.key, None, s.status, s.location) for s in facts.starts] + [
        (s.key.start, s.key, s.status, s.location) for s in facts.stops
    ]
    for start, stop, status, location in keyed:
        categorie = categorie_of(start, scope.gemeente, scope.aanbieder, scope.person, lookup)
        route = route_of(policy, categorie, start.begindatum, birth)
        if route is None:
            continue
        line = Line(scope.aanbieder, start, stop, deleted=status == DELETE)
        counted.append(Counted(route, line, location, categorie, status == NEW))
    return Source(
        message_id=message_id,
        message_name=mt.name,
        gemeente=scope.gemeente,
        aanbieder=scope.aanbieder,
        person=scope.person,
        bsn=bsn,
        birth=birth,
        counted=tuple(counted),
    )
