"""Applies prepared imports in batches, one transaction each, as intake applies accepted messages.

The history rules run against what is stored (hub.domain.history.evaluate), the sleutelmomenten
of the messages applied are measured against their Dagtekening (handlers.sleutelmomenten), the
effects are written with hub.infra.store.apply_history, and an iWmo 305/307's counting lines
with hub.infra.store.eigenbijdrage.save. Nothing is routed, sent or derived."""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final

from handlers import sleutelmomenten
from hub.domain import xmlcodec
from hub.domain.eigenbijdrage.lines import read_source, route_of
from hub.domain.eigenbijdrage.periods import Entry, Line, Route, periods, reconcile
from hub.domain.eigenbijdrage.policy import PolicyBook
from hub.domain.history import HistoryEffects, HistoryState, evaluate
from hub.domain.history.facts import Scope
from hub.domain.history.state import IdentificatieKey
from hub.domain.sleutelmomenten import Source
from hub.domain.sleutelmomenten.measure import Arrival
from hub.infra import store
from hub.infra.store import DbConnection
from hub.infra.store import eigenbijdrage as eb_store
from hub.infra.store import history_import as import_store
from hub.infra.store.eigenbijdrage import FactRow, StateKey
from hub.ops.historyimport.prepare import NAMESPACE, Prepared
from hub.ops.historyimport.sources import Problem

log = logging.getLogger(__name__)

# The created_by of a baseline period: no message opened it; this names the import.
BASELINE_SOURCE: Final = uuid.uuid5(NAMESPACE, "cak-baseline")


@dataclass
class Counts:
    """What an import did, by outcome (printed at its end)."""

    imported: dict[str, int] = field(default_factory=dict)  # by message kind
    unchanged: int = 0  # already imported: a second run finds everything here
    contradicting: int = 0
    eb_lines: int = 0
    baseline_periods: int = 0
    moments: int = 0  # sleutelmoment rows written (a second run writes none)
    unmeasured: int = 0  # messages applied whose sleutelmomenten could not be measured

    def add(self, kind: str) -> None:
        self.imported[kind] = self.imported.get(kind, 0) + 1


@dataclass
class Importer:
    """Applies batches of prepared messages; reports each one it could not use."""

    secret: bytes
    policy: PolicyBook
    baseline: bool = False  # also record the 405/407 periods as already told to the CAK
    report: Callable[[Problem], None] = lambda p: None
    counts: Counts = field(default_factory=Counts)

    async def apply(self, conn: DbConnection, batch: Sequence[Prepared]) -> None:
        """One batch in the caller's transaction."""
        state = await store.load_history(conn, [p.facts for p in batch])
        owners = await import_store.identificatie_owners(
            conn,
            [k for p in batch if (k := _ident(p)) in state.identificaties],
        )
        effects: list[HistoryEffects] = []
        eb_rows: list[FactRow] = []
        arrivals: list[Arrival] = []
        for item in batch:
            if self._unchanged(item, state, owners):
                self.counts.unchanged += 1
                continue
            outcome = evaluate(item.facts, state)
            if outcome.findings:
                self.counts.contradicting += 1
                shown = "; ".join(
                    f"{f.rule} ({f.retourcode}) {f.location}: {f.sentence}"
                    for f in outcome.findings[:3]
                )
                self.report(Problem(item.name, f"contradicts earlier imported history: {shown}"))
                continue
            # The lines are read against the state before this message, as intake does.
            eb_rows.extend(self._eb_lines(item, state))
            state = state.with_effects(outcome.effects)
            # A CSV row has no Identificatie of its own to keep unique (TR056).
            kept = outcome.effects
            if item.csv is not None:
                kept = dataclasses.replace(kept, identificatie=None)
            effects.append(kept)
            self.counts.add(item.facts.message_name)
            # A CSV row has no date of its own message: it is not measured.
            if item.csv is None and item.facts.dagtekening is not None:
                arrivals.append(
                    Arrival(item.message_id, item.facts, item.facts.dagtekening, Source.IMPORT)
                )
        # Before the effects: measuring reads the history as it was before these messages.
        await self._measure(conn, arrivals)
        if effects:
            await store.apply_history(conn, effects)
        now = datetime.now(UTC)
        if eb_rows:
            await eb_store.save(conn, eb_rows, [], now)
            self.counts.eb_lines += len(eb_rows)
        if self.baseline:
            # Every iWmo client of the batch, imported now or before: a baseline asked for on
            # a later run than the lines were imported on is still recorded.
            persons = {
                (f.scope.gemeente, f.scope.person)
                for item in batch
                if (f := item.facts).scope is not None and f.domain == "iwmo"
            }
            await self._baseline(conn, sorted(persons), now)

    async def _measure(self, conn: DbConnection, arrivals: list[Arrival]) -> None:
        """The batch's sleutelmomenten, in a savepoint: measuring never keeps history from
        being imported. Not counted in Prometheus: history is not live traffic."""
        if not arrivals:
            return
        try:
            async with conn.transaction():
                measured = await sleutelmomenten.measure(conn, arrivals)
        except Exception as exc:  # blind: a lost connection fails the batch's next write anyway
            log.warning("sleutelmomenten of %d imported messages not measured (%s)",
                        len(arrivals), type(exc).__name__)  # fmt: skip
            self.counts.unmeasured += len(arrivals)
            return
        for message_id in measured.failed:
            log.warning("message %s: sleutelmomenten not measured", message_id)
        self.counts.unmeasured += len(measured.failed)
        self.counts.moments += len(measured.measurements)

    def _unchanged(
        self, item: Prepared, state: HistoryState, owners: dict[IdentificatieKey, uuid.UUID | None]
    ) -> bool:
        """Whether this message (or CSV row) was imported before: a second run skips it."""
        facts = item.facts
        if item.csv is None:
            return owners.get(_ident(item)) == item.message_id
        scope = facts.scope
        assert scope is not None
        if facts.starts:
            key = facts.starts[0].key
            return state.client(scope).starts.get(key) is False
        line = facts.toewijzingen[0]
        return any(
            t.scope == scope and t.line == line
            for t in state.named(facts.domain, scope.gemeente, line.nummer)
        )

    def _eb_lines(self, item: Prepared, state: HistoryState) -> list[FactRow]:
        """The eigen-bijdrage counting lines of an iWmo 305/307 (hub.domain.eigenbijdrage)."""
        facts = item.facts
        scope = facts.scope
        if scope is None or (not facts.starts and not facts.stops):
            return []

        def lookup(gemeente: str, aanbieder: str, person: str, nummer: str) -> str | None:
            held = state.client(Scope(gemeente, aanbieder, person)).toewijzingen.get(nummer)
            return held.categorie if held is not None else None

        if item.csv is not None:
            row = item.csv
            if row.birth is None or row.start is None or facts.domain != "iwmo":
                return []  # without a birth date the start's route cannot be decided
            route = route_of(
                self.policy.for_gemeente(scope.gemeente),
                row.start.categorie or lookup(*_parts(scope), row.start.toewijzing) or "",
                row.start.begindatum,
                row.birth,
            )
            if route is None:
                return []
            line = Line(scope.aanbieder, row.start)
            return [_fact(scope, route, line, item.message_id)]
        payload = item.payload()
        if payload is None:
            return []
        root = xmlcodec.parse_message(payload)
        source = read_source(
            root, facts.message_name, item.message_id, self.secret,
            self.policy.for_gemeente, lookup, facts,
        )  # fmt: skip
        if source is None:
            return []
        return [_fact(scope, c.route, c.line, item.message_id) for c in source.counted]

    async def _baseline(
        self, conn: DbConnection, persons: list[tuple[str, str]], now: datetime
    ) -> None:
        """The periods these persons' lines give, recorded as told (what reconcile would have
        put in notices): the CAK already has them from the gemeente's own system."""
        if not persons:
            return
        states = await eb_store.load_states(conn, persons)
        told: list[tuple[str, str, Route, Entry]] = []
        for key, held in sorted(states.items(), key=_state_order):
            gemeente, person, route = key
            policy = self.policy.for_gemeente(gemeente)
            wanted = periods(held.facts, temporary_stop_ends=policy.temporary_stop_ends)
            for entry in reconcile(held.told, wanted, uuid.uuid4):
                told.append((gemeente, person, route, entry))
        await import_store.record_baseline(conn, told, BASELINE_SOURCE, now)
        self.counts.baseline_periods += len(told)


def _ident(item: Prepared) -> IdentificatieKey:
    f = item.facts
    return IdentificatieKey(f.sender, f.berichtsoort, f.identificatie)


def _parts(scope: Scope) -> tuple[str, str, str]:
    return scope.gemeente, scope.aanbieder, scope.person


def _fact(scope: Scope, route: Route, line: Line, message_id: uuid.UUID) -> FactRow:
    return FactRow(
        scope.gemeente, scope.person, route, line.aanbieder, line.start, line.stop,
        line.deleted, message_id,
    )  # fmt: skip


def _state_order(item: tuple[StateKey, eb_store.PersonState]) -> tuple[str, str, str]:
    (gemeente, person, route), _ = item
    return gemeente, person, route.value
