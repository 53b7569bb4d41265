"""The cutover of a release freeze: parked new-release messages released, old-release returned.

Parked new-release messages go through intake again in arrival order, and parked old-release
messages go back to their senders. The core does this by itself once the cutover has passed
(CutoverWatch); `hub freeze release|return` does it by hand. Both are idempotent: a parked
message is released or returned once. Each raises its event (message.released /
message.returned) in the same transaction.

A notice the hub built itself (an eigen-bijdrage 405/407 held by an iEb freeze) is not sent
through intake again: it goes straight to its receiver under its own id, as it would have
without the freeze, so the CAK's answer links to the notice the hub recorded."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final
from uuid import UUID, uuid4

from hub.domain import events, topics, workdays
from hub.domain.errors import ConfigError
from hub.domain.events import EventType
from hub.domain.freeze import ZONE, Freeze
from hub.domain.headers import H
from hub.domain.messages import CATALOGUE, Node
from hub.domain.records import OutboxMessage
from hub.infra import metrics, outbox, store
from hub.infra.periodic import OnPeriodic, Periodic
from hub.infra.runtime import Runtime
from hub.infra.store import freeze as table
from hub.settings import Settings

log = logging.getLogger(__name__)

RELEASE_OF: Final = "hub-release-of"  # on a released message: the parked message it came from


def _local(moment: datetime) -> str:
    return moment.astimezone(ZONE).strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True, slots=True)
class Settled:
    parked: UUID
    action: str  # released / returned
    released_as: UUID | None


async def release_parked(
    pool: store.Pool, settings: Settings, f: Freeze, now: datetime
) -> list[Settled]:
    """After the cutover: the parked new-release messages go through intake again, in arrival
    order, each as a new message naming the parked one (queued in the outbox, in the
    transaction that marks them released); a notice the hub built goes to its receiver."""
    if now < f.cutover:
        raise ConfigError(
            f"{f.standard.value} {f.to_release} is released at the cutover, {_local(f.cutover)}"
        )
    done: list[Settled] = []
    events_topic = topics.name(settings, topics.EVENTS)
    async with pool.acquire() as conn, conn.transaction():
        rows = await table.take_parked(conn, f.standard.value, f.to_release)
        records = []
        for p in rows:
            new_id: UUID | None = None
            if p.built_by_hub:
                sent = await _send_on(conn, settings, p, now)
                if sent is None:
                    continue
                records.append(sent)
            else:
                new_id = uuid4()
                records.append(await _through_intake(conn, settings, p, new_id, now))
            data = {"released_as": new_id, "to_release": f.to_release, "cutover": f.cutover}
            records += _event(events_topic, EventType.RELEASED, p, data, now)
            done.append(Settled(p.id, "released", new_id))
        await outbox.add(conn, records)
    _count(EventType.RELEASED, len(done))
    return done


async def _through_intake(
    conn: store.DbConnection, settings: Settings, p: table.Parked, new_id: UUID, now: datetime
) -> OutboxMessage:
    """A party's parked message, queued to ingress as a new message naming the parked one."""
    await table.settle(conn, p.id, "released", f"released as {new_id}", new_id)
    return OutboxMessage(
        topics.name(settings, topics.INGRESS),
        (p.person_key or p.submitted_by).encode(),
        p.payload,
        {
            H.MESSAGE_ID.value: str(new_id),
            H.NODE.value: p.source_node,
            H.PARTY.value: p.submitted_by,
            H.RECEIVED_AT.value: now.isoformat(),
            RELEASE_OF: str(p.id),
        },
    )


async def _send_on(
    conn: store.DbConnection, settings: Settings, p: table.Parked, now: datetime
) -> OutboxMessage | None:
    """A notice the hub built: to its receiver's egress under its own id, with its retour
    deadline counted from now."""
    if not p.receiver or not p.receiver_node:
        log.error("parked hub notice %s has no receiver; left parked", p.id)
        return None
    mt = CATALOGUE.get(p.message_type or "")
    if mt is None:  # the hub built it, so never; without a kind it has no retour deadline
        log.error("parked hub notice %s has no known message type; left parked", p.id)
        return None
    await table.sent_on(conn, p.id, workdays.retour_deadline(now, mt))
    return OutboxMessage(
        topics.egress_name(settings, Node(p.receiver_node)),
        p.receiver.encode(),
        p.payload,
        {
            H.MESSAGE_ID.value: str(p.id),
            H.RECEIVER.value: p.receiver,
            H.NODE.value: p.receiver_node,
            H.MESSAGE_TYPE.value: p.message_type or "",
        },
    )


async def return_parked(
    pool: store.Pool, settings: Settings, f: Freeze, now: datetime
) -> list[Settled]:
    """The parked old-release messages (they never flow again) go back to the party that
    uploaded them: into its own inbox, as the message itself, with the reason in the ledger."""
    reason = (
        f"{f.standard.value} {f.from_release} was frozen; from {_local(f.cutover)} only "
        f"{f.to_release} is accepted: send it again in {f.to_release}"
    )
    done: list[Settled] = []
    events_topic = topics.name(settings, topics.EVENTS)
    async with pool.acquire() as conn, conn.transaction():
        rows = await table.take_parked(conn, f.standard.value, f.from_release)
        records = []
        for p in rows:
            if p.built_by_hub:
                # Nobody to return it to, and the hub builds held notices in the new release
                # (hub/domain/decide/park.py): only a calendar changed under a held notice gets
                # here.
                log.error("parked hub notice %s is of %s %s; left parked",
                          p.id, f.standard.value, f.from_release)  # fmt: skip
                continue
            node = Node(p.source_node)
            records.append(
                OutboxMessage(
                    topics.egress_name(settings, node),
                    p.submitted_by.encode(),
                    p.payload,
                    {
                        H.MESSAGE_ID.value: str(p.id),
                        H.RECEIVER.value: p.submitted_by,
                        H.NODE.value: node.value,
                        H.MESSAGE_TYPE.value: p.message_type or "",
                    },
                )
            )
            await table.settle(conn, p.id, "returned", reason, None)
            data = {"node": node.value, "inbox": p.submitted_by, "to_release": f.to_release,
                    "cutover": f.cutover}  # fmt: skip
            records += _event(events_topic, EventType.RETURNED, p, data, now)
            done.append(Settled(p.id, "returned", None))
        await outbox.add(conn, records)
    _count(EventType.RETURNED, len(done))
    return done


def _event(
    topic: str, type_: EventType, p: table.Parked, data: Mapping[str, object], now: datetime
) -> list[OutboxMessage]:
    """The event's record; none when it does not fit its schema (a release name in the
    calendar the schema does not know, say): that must never hold up the cutover itself."""
    try:
        return [events.to_outbox(topic, type_, p, data, occurred_at=now)]
    except ValueError:
        log.exception("%s event for parked message %s not published", type_.value, p.id)
        return []


def _count(type_: EventType, n: int) -> None:
    """Published events, counted once their transaction committed."""
    for _ in range(n):
        metrics.count_event(type_.value, {}, None)


@dataclass
class CutoverWatch(OnPeriodic):
    """Releases and returns parked messages as soon as a freeze's cutover has passed."""

    runtime: Runtime
    periodic: Periodic = field(init=False)

    def __post_init__(self) -> None:
        # Checked as often as the deadlines: a cutover is a deadline of the freeze calendar.
        self.periodic = Periodic(
            "cutover",
            self.step,
            self.runtime.settings.deadline_scan_s,
            "cutover check failed; trying again later",
            log,
        )

    async def step(self) -> None:
        await self.run_once(self.runtime.clock())

    async def run_once(self, now: datetime) -> int:
        calendar = self.runtime.freeze
        if calendar is None:
            return 0
        done = 0
        for f in calendar.freezes.values():
            if now < f.cutover:
                continue
            released = await release_parked(self.runtime.pool, self.runtime.settings, f, now)
            returned = await return_parked(self.runtime.pool, self.runtime.settings, f, now)
            done += len(released) + len(returned)
            if released or returned:
                log.info(
                    "%s cutover: %d parked message(s) released, %d returned",
                    f.standard.value, len(released), len(returned),
                )  # fmt: skip
        if done:
            self.runtime.wake_relay()
        return done
