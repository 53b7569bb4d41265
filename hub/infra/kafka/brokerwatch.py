"""Notices a broker that lost its data and has the hub recover from it.

The embedded tansu keeps everything in memory: after a restart its topics, records and
committed offsets are gone (a wiped Kafka cluster looks the same, with a new cluster id).
Every hub process runs one watch. It creates the hub's topics again when they are missing,
and records the broker in PostgreSQL; a new cluster id, or topics that had to be created
again, start a new broker *epoch* (hub.infra.store.recovery). Each recovery role then catches up
with the epoch once, whichever process does it:

- the outbox relay queues again the egress of every accepted message no inbox has yet
  (hub.infra.outbox.recover_egress; inboxes ignore a message they already have);
- each adapter produces again the journaled uploads the ledger lacks (adapters.journal; the
  core ignores a message id its ledger has).

Consumers must start over: their group and committed offsets are gone with the broker, but
a consumer keeps its position in memory, and would go on reading the new topic from the old
offset, past what was written to it since (the re-produced uploads first of all); one that
committed its old position to the new broker would leave it to the next member too. So each
process rewinds its consumers to the beginning of the new topics and commits that, twice (a
rebalance may come in between); what they read again, the ledger and inboxes recognise. A
process that starts within RECENT_S of a reset does the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from aiokafka.admin import AIOKafkaAdminClient

from hub.infra.kafka import security, topic_admin
from hub.infra.periodic import Periodic
from hub.infra.store import Pool, recovery
from hub.settings import Settings

log = logging.getLogger(__name__)

Recover = Callable[[int], Awaitable[int]]  # epoch → messages sent again
RECENT_S: Final = 120.0
_REWINDS: Final = 2  # checks in a row that rewind the consumers after a reset


@dataclass
class BrokerWatch:
    """One process's watch; `role` and `recover` are set where this process recovers."""

    settings: Settings
    bootstrap: str
    pool: Callable[[], Pool]  # read at each check: the lifespan owns the pool
    role: str | None = None
    recover: Recover | None = None
    consumers: Callable[[], Sequence[Any]] = lambda: ()  # this process's aiokafka consumers
    epoch: int | None = None  # the last epoch this watch saw
    resent: int = 0
    rewound: int = 0
    _rewinds_due: int = 0
    _rewind_until: float = 0.0
    _admin: AIOKafkaAdminClient | None = None
    periodic: Periodic = field(init=False)

    def __post_init__(self) -> None:
        # A broker or database that is away: the next check tries again.
        self.periodic = Periodic(
            "broker-watch",
            self.step,
            self.settings.broker_check_s,
            "broker check failed; trying again",
            log,
            logging.WARNING,
        )

    def stop(self) -> None:
        self.periodic.stop()

    async def run(self) -> None:
        try:
            await self.periodic.run()
        finally:
            await self._drop_admin()

    async def step(self) -> None:
        """One check with the admin client, opened again after a failed check."""
        try:
            if self._admin is None:
                self._admin = await self._open()
            await self.check_once(self._admin)
        except asyncio.CancelledError:
            raise
        except Exception:  # blind: any failed check drops the admin client; raised again
            await self._drop_admin()
            raise

    async def _drop_admin(self) -> None:
        admin, self._admin = self._admin, None
        if admin is not None:
            await _close(admin)

    async def _open(self) -> AIOKafkaAdminClient:
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self.bootstrap,
            request_timeout_ms=int(self.settings.startup_timeout_s * 1000),
            **security.client_kwargs(self.settings),
        )
        try:
            await asyncio.wait_for(admin.start(), self.settings.startup_timeout_s)
        except BaseException:  # blind: whatever ends the start, the client is closed; raised again
            await _close(admin)
            raise
        return admin

    async def check_once(self, admin: AIOKafkaAdminClient) -> int:
        """One check; returns the broker epoch."""
        cluster = await topic_admin.cluster_id(admin)
        created = await topic_admin.create_missing(self.settings, self.bootstrap, admin)
        if created:
            log.warning("the broker lacked %d hub topic(s): created them again", len(created))
            await self._check_partitions(admin)
        pool = self.pool()
        epoch = await recovery.observe(pool, cluster, bool(created))
        if self.epoch is not None and epoch != self.epoch:
            log.warning("the broker lost its data (epoch %d); recovering", epoch)
            self._rewind_from_now()
        elif self.epoch is None and epoch > 1 and await recovery.changed_within(pool, RECENT_S):
            self._rewind_from_now()
        self.epoch = epoch
        if self._rewinds_due and time.monotonic() < self._rewind_until:
            await self._rewind()
        if (
            self.role is not None
            and self.recover is not None
            and await recovery.behind(pool, self.role, epoch)
        ):
            sent = await self.recover(epoch)
            self.resent += sent
            log.log(logging.WARNING if sent else logging.INFO,
                    "%s: %d message(s) sent again for broker epoch %d",
                    self.role, sent, epoch)  # fmt: skip
        return epoch

    def _rewind_from_now(self) -> None:
        self._rewinds_due = _REWINDS
        self._rewind_until = time.monotonic() + RECENT_S

    async def _rewind(self) -> None:
        """Every consumer of this process to the beginning of its partitions, committed; a
        round counts once every consumer had its partitions (one that is still joining would
        read the committed offsets, which may be an old member's)."""
        complete = True
        for consumer in self.consumers():
            assigned = consumer.assignment()
            if not assigned:
                complete = False
                continue
            try:
                await consumer.seek_to_beginning(*assigned)
                await consumer.commit()
            except Exception as exc:  # blind: a rebalance under way: the next check tries again
                log.info("rewinding a consumer failed (%s); trying again", type(exc).__name__)
                complete = False
                continue
            self.rewound += 1
        if complete:
            self._rewinds_due -= 1

    async def _check_partitions(self, admin: AIOKafkaAdminClient) -> None:
        """A client that asked for a topic before this watch created it may have had the
        broker create it with the broker's default partitions. Consumers read them all (they
        refresh metadata every HUB_METADATA_MAX_AGE_MS); say so, since it bounds parallelism
        and tansu cannot add partitions."""
        for topic, count in (await topic_admin.partition_counts(self.settings, admin)).items():
            if count != self.settings.partitions:
                log.warning("topic %s came back with %d partitions, not %d (HUB_PARTITIONS)",
                            topic, count, self.settings.partitions)  # fmt: skip


async def _close(admin: AIOKafkaAdminClient) -> None:
    with contextlib.suppress(Exception):
        await admin.close()
