"""History state: the earlier messages the history rules compare with, and the effects that
an accepted message adds to it.

Both are plain frozen values. The store loads a HistoryState for a batch of messages and
writes HistoryEffects; `HistoryState.with_effects` applies effects in memory with the same
meaning, so a batch sees its own earlier messages and unit tests need no database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Final, Literal
from uuid import UUID

from hub.domain.history.declaratie_state import DeclaratieEffects, DeclaratieState
from hub.domain.history.facts import Scope, StartKey, StopKey, ToewijzingLine

__all__ = [
    "AFGEWEZEN",
    "HONOURED",
    "ONDERZOEK",
    "Answer",
    "ClientHistory",
    "HistoryEffects",
    "HistoryState",
    "IdentificatieKey",
    "NummerKey",
    "OwnedToewijzing",
    "Request",
    "RequestKey",
]

Answer = Literal["onderzoek", "afgewezen", "honoured"]
ONDERZOEK: Final[Answer] = "onderzoek"  # a 319 with VerzoekAntwoord 2 (in onderzoek)
AFGEWEZEN: Final[Answer] = "afgewezen"  # a 319 with VerzoekAntwoord 1 (afgewezen)
HONOURED: Final[Answer] = "honoured"  # a 301 carried the ReferentieAanbieder


@dataclass(frozen=True, slots=True)
class IdentificatieKey:
    """TR056 uniqueness: one Identificatie per sender and berichtsoort."""

    sender: str
    berichtsoort: str
    identificatie: str


@dataclass(frozen=True, slots=True)
class NummerKey:
    """A ToewijzingNummer names one ToegewezenProduct within a gemeente (TR332), whatever
    the client; the domain is compared on the values found (see OwnedToewijzing)."""

    gemeente: str
    nummer: str


@dataclass(frozen=True, slots=True)
class OwnedToewijzing:
    """The current version of one toewijzing with whose it is: the client's Scope and the
    domain ("iwmo"/"ijw"; "" for a row stored before the domain was recorded)."""

    scope: Scope
    domain: str
    line: ToewijzingLine


@dataclass(frozen=True, slots=True, order=True)
class RequestKey:
    """A ReferentieAanbieder is unique per aanbieder in its domain (TR347)."""

    domain: str
    aanbieder: str
    referentie: str


@dataclass(frozen=True, slots=True)
class Request:
    """One 315 AangevraagdProduct or 317 Verzoek and what answered it so far."""

    gemeente: str
    person: str  # person_key of the client
    berichtsoort: str  # BerichtCode of the 315 or 317
    onderzoek: bool = False  # a 319 "in onderzoek" arrived
    afgewezen: bool = False  # a 319 "afgewezen" arrived
    honoured: bool = False  # a 301 carried its ReferentieAanbieder

    @property
    def open(self) -> bool:
        """Open until a 319 afgewezen or a 301 honours it; "in onderzoek" keeps it open."""
        return not (self.afgewezen or self.honoured)

    @property
    def answered_by_319(self) -> bool:
        return self.onderzoek or self.afgewezen

    def answered(self, answer: Answer) -> Request:
        """This request after `answer`: its flag only turns true (as in the store)."""
        if answer == ONDERZOEK:
            return replace(self, onderzoek=True)
        if answer == AFGEWEZEN:
            return replace(self, afgewezen=True)
        return replace(self, honoured=True)


@dataclass(frozen=True, slots=True)
class ClientHistory:
    """What is known about one client of one aanbieder in one gemeente (one Scope).

    `toewijzingen` holds the current version of each ToewijzingNummer (the newest by
    Toewijzingsdatum + Toewijzingstijd, IV013). `starts` and `stops` map every key ever
    received with StatusAanlevering 1 to whether it was deleted since (StatusAanlevering 3).
    Never mutated: updates build a new value.
    """

    toewijzingen: Mapping[str, ToewijzingLine] = field(default_factory=dict)
    starts: Mapping[StartKey, bool] = field(default_factory=dict)  # key -> deleted
    stops: Mapping[StopKey, bool] = field(default_factory=dict)  # key -> deleted

    def live_stops(self, start: StartKey) -> list[StopKey]:
        """The non-deleted stops on one start, oldest Einddatum first."""
        return sorted(k for k, deleted in self.stops.items() if k.start == start and not deleted)

    def is_actual(self, start: StartKey) -> bool:
        """Received and not deleted: a start that a stop can refer to (TR382)."""
        return self.starts.get(start) is False

    def is_running(self, start: StartKey) -> bool:
        """Actual and not stopped, temporarily or definitively (TR326)."""
        return self.is_actual(start) and not self.live_stops(start)

    def actual_toewijzingen(self, day: date) -> list[ToewijzingLine]:
        """The toewijzingen not deleted and valid on or after `day` (rules.md §0), by number."""
        return [t for _, t in sorted(self.toewijzingen.items()) if t.actual_on(day)]


_EMPTY = ClientHistory()


@dataclass(frozen=True, slots=True)
class HistoryEffects:
    """What one accepted message adds to the history.

    Holds the message's identificatie and the lines that raised no finding, so a caller
    that refuses single lines (per-line retourcodes) can still write it as it is; a caller
    that refuses the whole message writes nothing.
    """

    message_id: UUID | None
    identificatie: IdentificatieKey | None
    scope: Scope | None = None
    toewijzingen: tuple[ToewijzingLine, ...] = ()
    new_starts: tuple[StartKey, ...] = ()
    deleted_starts: tuple[StartKey, ...] = ()
    new_stops: tuple[StopKey, ...] = ()
    deleted_stops: tuple[StopKey, ...] = ()
    domain: str = ""  # of the toewijzingen and requests ("iwmo"/"ijw")
    new_requests: tuple[tuple[RequestKey, Request], ...] = ()
    answers: tuple[tuple[RequestKey, Answer], ...] = ()
    declaratie: DeclaratieEffects | None = None  # a 323 or 325 (declaratie_state)

    @property
    def touches_client(self) -> bool:
        return bool(
            self.toewijzingen
            or self.new_starts
            or self.deleted_starts
            or self.new_stops
            or self.deleted_stops
        )


@dataclass(frozen=True, slots=True)
class HistoryState:
    """The prior history relevant to a batch of messages.

    `clients` holds the scopes that were loaded (or touched); a scope that is absent has no
    history. `numbered` holds, per gemeente and ToewijzingNummer, every toewijzing with that
    number whatever its client (loaded for the numbers the batch names: `named_nummers`).
    `requests` holds the requests the batch names by ReferentieAanbieder and the open ones of
    its 315/317 clients. `with_effects` copies only the outer mappings it changes.
    """

    identificaties: frozenset[IdentificatieKey] = frozenset()
    clients: Mapping[Scope, ClientHistory] = field(default_factory=dict)
    numbered: Mapping[NummerKey, tuple[OwnedToewijzing, ...]] = field(default_factory=dict)
    requests: Mapping[RequestKey, Request] = field(default_factory=dict)
    declaraties: DeclaratieState = field(default_factory=DeclaratieState)

    def client(self, scope: Scope) -> ClientHistory:
        return self.clients.get(scope, _EMPTY)

    def named(self, domain: str, gemeente: str, nummer: str) -> tuple[OwnedToewijzing, ...]:
        """Every toewijzing with this number in the gemeente and domain, any aanbieder or
        client (rows of unknown domain, stored before it was recorded, count too)."""
        return tuple(
            t
            for t in self.numbered.get(NummerKey(gemeente, nummer), ())
            if t.domain in (domain, "")
        )

    def toewijzing(
        self, domain: str, gemeente: str, aanbieder: str, nummer: str, person: str = ""
    ) -> OwnedToewijzing | None:
        """The current version of the toewijzing with this number that the gemeente gave
        the aanbieder in the domain, whatever the client; None when there is none.

        Several may carry the number: TR332 frees the number of a deleted toewijzing for
        another client, and rows of unknown domain match any. The live one of this domain,
        then the newest, is the one the number names now; taking the first found could
        read a deleted toewijzing of another client and refuse a valid Prestatie (TR304).
        With `person` (a Prestatie's client), that client's own toewijzing comes first: a
        credit of a debet on the deleted one still names the toewijzing it was declared on."""
        found = [t for t in self.named(domain, gemeente, nummer) if t.scope.aanbieder == aanbieder]
        if not found:
            return None
        return max(
            found,
            key=lambda t: (
                t.scope.person == person,
                not t.line.deleted,
                t.domain == domain,
                t.line.toegewezen_op,
            ),
        )

    def request(self, key: RequestKey) -> Request | None:
        return self.requests.get(key)

    def open_requests(self, domain: str, scope: Scope) -> list[RequestKey]:
        """The client's open requests at the aanbieder in the gemeente and domain (TR374)."""
        return sorted(
            k
            for k, r in self.requests.items()
            if r.open
            and k.domain == domain
            and k.aanbieder == scope.aanbieder
            and r.gemeente == scope.gemeente
            and r.person == scope.person
        )

    def with_effects(self, effects: HistoryEffects) -> HistoryState:
        """This state after `effects` were written; applying the same effects twice equals
        applying them once, as in the store."""
        identificaties = self.identificaties
        if effects.identificatie is not None and effects.identificatie not in identificaties:
            identificaties = identificaties | {effects.identificatie}
        clients = self.clients
        numbered = self.numbered
        scope = effects.scope
        if scope is not None and effects.touches_client:
            clients = {**clients, scope: apply_to_client(self.client(scope), effects)}
        if scope is not None and effects.toewijzingen:
            numbered = dict(numbered)
            for t in effects.toewijzingen:
                key = NummerKey(scope.gemeente, t.nummer)
                owned = OwnedToewijzing(scope, effects.domain, t)
                others = numbered.get(key, ())
                # One stored row per client, domain and number (as the table, 0015): iWmo
                # and iJw are separate domains, so one does not replace the other's row.
                same = [o for o in others if o.scope == scope and o.domain == effects.domain]
                if same and same[0].line.toegewezen_op >= t.toegewezen_op:
                    continue  # only a strictly newer version replaces the current one
                numbered[key] = (*(o for o in others if o not in same), owned)
        requests = self.requests
        if effects.new_requests or effects.answers:
            requests = dict(requests)
            for rkey, request in effects.new_requests:
                requests.setdefault(rkey, request)  # inserted once, as in the store
            for rkey, answer in effects.answers:
                if (found := requests.get(rkey)) is not None:
                    requests[rkey] = found.answered(answer)
        declaraties = self.declaraties
        if effects.declaratie is not None:
            declaraties = declaraties.with_effects(effects.declaratie)
        return HistoryState(identificaties, clients, numbered, requests, declaraties)


def apply_to_client(client: ClientHistory, effects: HistoryEffects) -> ClientHistory:
    """One client's history after `effects` (whose scope the caller matched)."""
    starts = dict(client.starts)
    stops = dict(client.stops)
    # A key is live after a delivery and deleted after a delete; a deleted key delivered
    # again is live again (READING 7). Deliveries apply before deletes, as in the store: the
    # effects of one message list a key as deleted only when that is its last state.
    for start in effects.new_starts:
        starts[start] = False
    for stop in effects.new_stops:
        stops[stop] = False
    for start in effects.deleted_starts:
        if start in starts:
            starts[start] = True
    for stop in effects.deleted_stops:
        if stop in stops:
            stops[stop] = True
    toewijzingen = dict(client.toewijzingen)
    for t in effects.toewijzingen:
        current = toewijzingen.get(t.nummer)
        # Only a strictly newer version replaces the current one (IV013), as in the store.
        if current is None or current.toegewezen_op < t.toegewezen_op:
            toewijzingen[t.nummer] = t
    return ClientHistory(toewijzingen, starts, stops)
