"""The infrastructure's own transient errors (PostgreSQL, Kafka, the network), named once and
registered with the domain's error tree when this module is imported, so
`hub.domain.errors.disposition` retries them without the domain importing their libraries."""

from __future__ import annotations

from typing import Final

import asyncpg
from aiokafka.errors import KafkaError

from hub.domain.errors import register_transient

# What work cannot do while the database or the broker is away: the same work may succeed
# once it is back. InternalClientError: asyncpg's state after a connection dropped mid-query.
# Every PostgresError counts (a constraint the hub broke too): retried, the work is never
# lost nor blamed on a message, and the failure metric and log show it until it is fixed.
TRANSIENT: Final[tuple[type[Exception], ...]] = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    KafkaError,
    OSError,
    TimeoutError,
)

register_transient(*TRANSIENT)
