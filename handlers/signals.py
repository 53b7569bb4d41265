"""The signal watch: the chain's known pain points (a missing start or stop), as events.

A toewijzing whose start (305) did not come within 5 werkdagen of its Ingangsdatum, and one
whose Einddatum passed without a stop (307) within the 5 werkdagen a provider has to send it
(OP272). Scanned periodically from the history tables; each toewijzing is signalled once.
A missing stop is also the stop sleutelmoment counted as open (table sleutelmoment), until
the 307 replaces it with the measured one (handlers.sleutelmomenten)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final

from hub.domain import events, topics, workdays
from hub.domain.records import OutboxMessage
from hub.domain.sleutelmomenten import SPECS, Measurement, Moment, Outcome, Source
from hub.infra import metrics, outbox
from hub.infra.periodic import OnPeriodic, Periodic
from hub.infra.runtime import Runtime
from hub.infra.store import DbConnection
from hub.infra.store import signals as table
from hub.infra.store import sleutelmomenten as moments

log = logging.getLogger(__name__)

START_WORKDAYS: Final = 5  # WMO305 within 5 werkdagen after the start of delivery (domain §5)


def _event(topic: str, o: table.OverdueToewijzing, now: datetime, due: date) -> OutboxMessage:
    kind = (
        events.EventType.SIGNAL_NO_START
        if o.kind == "no-start"
        else events.EventType.SIGNAL_NO_STOP
    )
    model = events.MODELS[kind]
    event = model.model_validate(
        {
            "occurred_at": now,
            "message_id": o.message_id,
            "sender": o.aanbieder,
            "receiver": o.gemeente,
            "person": o.person_key,
            "data": {
                "toewijzing_nummer": o.toewijzing_nummer,
                "categorie": o.product_categorie or None,
                "ingangsdatum": o.ingangsdatum,
                "einddatum": o.einddatum,
                "due": due,
            },
        }
    )
    return events.to_record(topic, event)


def open_stop(o: table.OverdueToewijzing) -> Measurement:
    """The stop moment of a toewijzing past its Einddatum without a stop, counted as open
    until its 307 comes (handlers.sleutelmomenten replaces this row with the measured one)."""
    assert o.einddatum is not None  # the no-stop scan takes only ended toewijzingen
    return Measurement(
        moment=Moment.STOP,
        outcome=Outcome.OPEN,
        source=Source.LIVE,
        domain=o.domain,
        gemeente=o.gemeente,
        aanbieder=o.aanbieder,
        person_key=o.person_key,
        toewijzing_nummer=o.toewijzing_nummer,
        reference="",
        reference_date=o.einddatum,
        arrived=None,
        werkdagen=None,
        deadline=SPECS[Moment.STOP].deadline,
        message_id=None,
        about_id=o.message_id,
    )


async def _record_open(
    conn: DbConnection, late_stops: list[table.OverdueToewijzing]
) -> list[Measurement]:
    """Write the open stop rows in a savepoint: measuring must never keep a signal from being
    raised, so a failure here loses these rows (logged, counted) and nothing else."""
    if not late_stops:
        return []
    try:
        opened = [open_stop(o) for o in late_stops]
        async with conn.transaction():
            await moments.insert(conn, opened)
    except Exception:  # blind: whatever fails, the signals themselves still go out
        log.exception("open stop moments of %d toewijzingen not recorded", len(late_stops))
        metrics.FAILURES.labels("sleutelmomenten").inc()
        return []
    return opened


async def scan_once(runtime: Runtime, now: datetime) -> int:
    today = workdays.local_date(now)
    # Due by the end of the 5th werkdag after the date: overdue once that day is over.
    cutoff = workdays.shift_workdays(today, -START_WORKDAYS)
    topic = topics.name(runtime.settings, topics.EVENTS)
    async with runtime.pool.acquire() as conn, conn.transaction():
        late_starts = await table.claim_without_start(conn, cutoff)
        late_stops = await table.claim_without_stop(conn, cutoff)
        due = workdays.shift_workdays
        records = [_event(topic, o, now, due(o.ingangsdatum, START_WORKDAYS)) for o in late_starts]
        records += [
            _event(topic, o, now, due(o.einddatum or today, START_WORKDAYS)) for o in late_stops
        ]
        await outbox.add(conn, records)
        opened = await _record_open(conn, late_stops)
    metrics.observe_moments(opened)
    metrics.EVENTS.labels("signal.toewijzing-without-start").inc(len(late_starts))
    metrics.EVENTS.labels("signal.toewijzing-without-stop").inc(len(late_stops))
    if records:
        log.info("%d start and %d stop signals raised", len(late_starts), len(late_stops))
        runtime.wake_relay()
    return len(records)


@dataclass
class SignalWatch(OnPeriodic):
    """The signal scan every HUB_SIGNAL_SCAN_S."""

    runtime: Runtime
    periodic: Periodic = field(init=False)

    def __post_init__(self) -> None:
        self.periodic = Periodic(
            "signal",
            self.step,
            self.runtime.settings.signal_scan_s,
            "signal scan failed; trying again later",
            log,
        )

    async def step(self) -> None:
        await scan_once(self.runtime, self.runtime.clock())
