"""History state: the earlier messages the history rules compare with, and the effects that
an accepted message adds to it.

Both are plain frozen values. The store loads a HistoryState for a batch of messages and
writes HistoryEffects; `HistoryState.with_effects` applies effects in memory with the same
meaning, so a batch sees its own earlier messages and unit tests need no database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from uuid import UUID

from hub.history_facts import Scope, StartKey, StopKey, ToewijzingLine

__all__ = ["ClientHistory", "HistoryEffects", "HistoryState", "IdentificatieKey"]


@dataclass(frozen=True, slots=True)
class IdentificatieKey:
    """TR056 uniqueness: one Identificatie per sender and berichtsoort."""

    sender: str
    berichtsoort: str
    identificatie: str


@dataclass(frozen=True, slots=True)
class ClientHistory:
    """What is known about one client of one aanbieder in one gemeente (one Scope).

    `starts` and `stops` map every key ever received with StatusAanlevering 1 to whether
    it was deleted since (StatusAanlevering 3). Never mutated: updates build a new value.
    """

    toewijzingen: frozenset[str] = frozenset()  # ToewijzingNummers received in a 301
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
    history. `with_effects` copies only the outer mappings and the one touched client.
    """

    identificaties: frozenset[IdentificatieKey] = frozenset()
    clients: Mapping[Scope, ClientHistory] = field(default_factory=dict)

    def client(self, scope: Scope) -> ClientHistory:
        return self.clients.get(scope, _EMPTY)

    def with_effects(self, effects: HistoryEffects) -> HistoryState:
        """This state after `effects` were written; applying the same effects twice equals
        applying them once, as in the store."""
        identificaties = self.identificaties
        if effects.identificatie is not None and effects.identificatie not in identificaties:
            identificaties = identificaties | {effects.identificatie}
        clients = self.clients
        if effects.scope is not None and effects.touches_client:
            clients = {
                **clients,
                effects.scope: apply_to_client(self.client(effects.scope), effects),
            }
        return HistoryState(identificaties, clients)


def apply_to_client(client: ClientHistory, effects: HistoryEffects) -> ClientHistory:
    """One client's history after `effects` (whose scope the caller matched)."""
    starts = dict(client.starts)
    stops = dict(client.stops)
    # Insert-once, then the one-way deleted flag: the same order the store uses.
    for start in effects.new_starts:
        starts.setdefault(start, False)
    for stop in effects.new_stops:
        stops.setdefault(stop, False)
    for start in effects.deleted_starts:
        if start in starts:
            starts[start] = True
    for stop in effects.deleted_stops:
        if stop in stops:
            stops[stop] = True
    toewijzingen = client.toewijzingen | {t.nummer for t in effects.toewijzingen}
    return ClientHistory(toewijzingen, starts, stops)
