"""At the cutover of a release freeze: parked new-release messages go through intake again in
arrival order, and parked old-release messages go back to their senders. The core does this by
itself once the cutover has passed (CutoverWatch); `hub freeze release|return` does it by hand.
Both are idempotent: a parked message is released or returned once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final
from uuid import UUID, uuid4

from hub import outbox, store, topics
from hub.errors import ConfigError
from hub.freeze import ZONE, Freeze
from hub.headers import H
from hub.messages import Node
from hub.runtime import Runtime
from hub.settings import Settings
from hub.store import freeze as table

log = logging.getLogger(__name__)

RELEASE_OF: Final = "hub-release-of"  # on a released message: the parked message it came from
_BACKOFF_S: Final = 5.0


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
    transaction that marks them released)."""
    if now < f.cutover:
        raise ConfigError(
            f"{f.standard.value} {f.to_release} is released at the cutover, {_local(f.cutover)}"
        )
    done: list[Settled] = []
    async with pool.acquire() as conn, conn.transaction():
        rows = await table.take_parked(conn, f.standard.value, f.to_release)
        records = []
        for p in rows:
            new_id = uuid4()
            records.append(
                outbox.OutboxMessage(
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
            )
            await table.settle(conn, p.id, "released", f"released as {new_id}", new_id)
            done.append(Settled(p.id, "released", new_id))
        await outbox.add(conn, records)
    return done


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
    async with pool.acquire() as conn, conn.transaction():
        rows = await table.take_parked(conn, f.standard.value, f.from_release)
        records = []
        for p in rows:
            node = Node(p.source_node)
            records.append(
                outbox.OutboxMessage(
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
            done.append(Settled(p.id, "returned", None))
        await outbox.add(conn, records)
    return done


@dataclass
class CutoverWatch:
    """Releases and returns parked messages as soon as a freeze's cutover has passed."""

    runtime: Runtime
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    def stop(self) -> None:
        self._stop.set()

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

    async def run(self) -> None:
        while not self._stop.is_set():
            try:
                await self.run_once(datetime.now(UTC))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("cutover check failed; trying again later")
                await asyncio.sleep(_BACKOFF_S)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.runtime.settings.deadline_scan_s)
