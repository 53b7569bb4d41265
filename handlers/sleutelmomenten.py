"""Measuring the sleutelmomenten of accepted messages: `measure` (lookups, the pure measuring,
writes) for intake and `hub history import`, and intake's guarded steps (`record`, `answered`)
that never reject, fail or stall a message.

Intake calls `record` after deciding a batch and before writing its history effects (the
lookups read the history as it was before the batch), `answered` after the answer clocks
(handlers/requestclock.py), and counts what both returned in Prometheus once its transaction
committed (metrics.observe_moments). Each runs in a savepoint: an error of measuring's own
(a bug in the pure code, PostgreSQL refusing a statement for what it says) rolls back only
the measuring, is logged with the message ids only and counted in
isdhub_failures{flow="sleutelmomenten"}; a transient one (the connection lost) fails the
batch as any other write would, and it is redelivered.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, TypeVar
from uuid import UUID

from handlers import productperiode
from handlers.derive import Accepted
from hub.domain import topics, workdays
from hub.domain.errors import Disposition, disposition
from hub.domain.history.facts import HistoryFacts
from hub.domain.sleutelmomenten import Measurement, Shortening, Source
from hub.domain.sleutelmomenten import measure as pure
from hub.domain.sleutelmomenten.antwoord import Answered, antwoord
from hub.domain.sleutelmomenten.measure import Arrival
from hub.infra import metrics
from hub.infra.store import sleutelmomenten as table
from hub.infra.store.base import DbConnection
from hub.settings import Settings

log = logging.getLogger(__name__)

FLOW: Final = "sleutelmomenten"  # isdhub_failures{flow}
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Measured:
    """What measuring wrote: the measurements (OPEN rows too), the toewijzingen a 301 of the
    batch shortened, and the messages whose measuring failed on their own data."""

    measurements: tuple[Measurement, ...] = ()
    shortenings: tuple[Shortening, ...] = ()
    failed: tuple[UUID, ...] = ()


async def measure(conn: DbConnection, arrivals: Sequence[Arrival]) -> Measured:
    """Measure the arrivals (in order) and write the result in the caller's transaction:
    the lookups read the history before these messages, so call it before their history
    effects are applied. Raises whatever the database or the pure code raises."""
    if not arrivals:
        return Measured()
    found = await table.lookups(conn, pure.wanted(arrivals))
    result = pure.measure(arrivals, found)
    await table.insert(conn, result.measurements)
    await table.resolve(conn, result.resolved)
    return Measured(result.measurements, result.shortenings, result.failed)


def arrivals_of(accepted: Sequence[Accepted]) -> list[Arrival]:
    """The batch's accepted messages with history facts, arrived on the Amsterdam date of
    the hub's receipt."""
    return [
        Arrival(a.row.id, a.facts, workdays.local_date(a.row.received_at), Source.LIVE)
        for a in accepted
        if a.facts is not None
    ]


def _own(exc: BaseException) -> bool:
    """An error of measuring's own: a statement PostgreSQL refuses for what it says, or any
    other error disposition() would dead-letter (a bug in the pure code). Not a transient
    one: the connection lost is the batch's problem, retried as every write's."""
    return table.statement_error(exc) or disposition(exc) is Disposition.DEAD_LETTER


def _failed(what: str, ids: Sequence[UUID], exc: BaseException | None = None) -> None:
    # The exception's type only: its text may quote a row's values.
    kind = f" ({type(exc).__name__})" if exc is not None else ""
    for message_id in ids:
        log.warning("message %s: sleutelmoment %s not measured%s", message_id, what, kind)
    metrics.FAILURES.labels(FLOW).inc(1 if exc is not None else len(ids))


async def _guarded(
    conn: DbConnection, what: str, ids: Sequence[UUID], step: Callable[[], Awaitable[T]]
) -> T | None:
    """`step` in a savepoint; None when it failed on an error of its own (rolled back)."""
    try:
        async with conn.transaction():
            return await step()
    except Exception as exc:  # blind: _own sorts it; a transient error is raised again
        if not _own(exc):
            raise
        _failed(what, ids, exc)
        return None


async def record(
    conn: DbConnection,
    accepted: Sequence[Accepted],
    settings: Settings,
    now: datetime | None = None,
) -> list[Measurement]:
    """Intake's step: measure the batch's accepted messages and check the toewijzingen they
    shorten against the declared prestaties (handlers/productperiode.py; its events go to
    the events topic), each in a savepoint. Returns the measurements written (for
    metrics.observe_moments after commit)."""
    arrivals = arrivals_of(accepted)
    if not arrivals:
        return []
    ids = [a.message_id for a in arrivals]
    measured = await _guarded(conn, "measuring", ids, lambda: measure(conn, arrivals))
    if measured is None:
        return []
    if measured.failed:
        _failed("measuring", measured.failed)
    shortenings = measured.shortenings
    if shortenings:
        topic = topics.name(settings, topics.EVENTS)
        await _guarded(
            conn,
            "productperiode check",
            sorted({s.message_id for s in shortenings}),
            lambda: productperiode.check(conn, shortenings, topic, now or datetime.now(UTC)),
        )
    return list(measured.measurements)


def _line_of(facts: HistoryFacts | None, referentie: str) -> tuple[str, str]:
    """The ToewijzingNummer and location of the 301 line carrying the reference ("" for a
    319 or when unknown), so the antwoord row names its toewijzing."""
    if facts is not None:
        for t in facts.toewijzingen:
            if t.referentie == referentie:
                return t.nummer, t.location
        if facts.request_answer is not None:
            return "", facts.request_answer.location
    return "", ""


def antwoorden(
    answered: Sequence[Answered], accepted: Sequence[Accepted], source: Source = Source.LIVE
) -> list[Measurement]:
    """The antwoord measurements of the clocks the batch's answers met first."""
    facts = {a.row.id: a.facts for a in accepted}
    found: list[Measurement] = []
    for clock in answered:
        nummer, line = _line_of(facts.get(clock.answer_id), clock.referentie)
        m = antwoord(clock, nummer=nummer, line=line, source=source)
        if m is not None:
            found.append(m)
    return found


async def answered(
    conn: DbConnection, answered: Sequence[Answered], accepted: Sequence[Accepted]
) -> list[Measurement]:
    """Intake's step after the answer clocks: write the antwoord measurements, in a
    savepoint (as `record`). Returns them for metrics.observe_moments after commit."""
    if not answered:
        return []
    ids = sorted({a.answer_id for a in answered})

    async def write() -> list[Measurement]:
        found = antwoorden(answered, accepted)
        await table.insert(conn, found)
        return found

    return await _guarded(conn, "antwoord", ids, write) or []
