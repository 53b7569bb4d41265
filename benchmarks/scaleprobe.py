"""How much of the database a store function reads: it runs the function on a connection
that EXPLAINs (ANALYZE, BUFFERS) every statement before running it, inside a transaction that
is rolled back, and sums the rows the plan's scans examined.

A scan is bounded when what it examines follows the work it finds, not the ledger's size;
`examined` is the sum over every scan node of (rows returned + rows removed by a filter or
a recheck) × loops, so a sequential scan over a large table shows at once.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

_SCANS = {"Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan", "Tid Scan"}


@dataclass
class Reading:
    """What one call read: rows examined by scans, buffers touched, the scan node types."""

    examined: int = 0
    buffers: int = 0
    nodes: list[str] = field(default_factory=list)

    def add(self, plan: dict[str, Any]) -> None:
        if plan.get("Node Type") in _SCANS:
            rows = plan.get("Actual Rows", 0) + plan.get("Rows Removed by Filter", 0)
            rows += plan.get("Rows Removed by Index Recheck", 0)
            self.examined += int(rows * plan.get("Actual Loops", 1))
            self.nodes.append(f"{plan['Node Type']} {plan.get('Relation Name', '')}".strip())
        for child in plan.get("Plans", ()):
            self.add(child)


class _Rollback(Exception):
    """Leaves the measured call's transaction without a trace."""


class ExplainingConnection:
    """An asyncpg connection's query methods, each statement EXPLAINed first."""

    def __init__(self, conn: Any, reading: Reading) -> None:
        self._conn = conn
        self._reading = reading

    async def _explain(self, sql: str, args: tuple[Any, ...]) -> None:
        async with self._conn.transaction():  # a savepoint: the explained run leaves nothing
            raw = await self._conn.fetchval("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, *args)
            plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
            self._reading.add(plan)
            self._reading.buffers += int(
                plan.get("Shared Hit Blocks", 0) + plan.get("Shared Read Blocks", 0)
            )
            raise _Rollback

    async def _run(self, method: str, sql: str, *args: Any) -> Any:
        with suppress(_Rollback):
            await self._explain(sql, args)
        return await getattr(self._conn, method)(sql, *args)

    async def fetch(self, sql: str, *args: Any) -> Any:
        return await self._run("fetch", sql, *args)

    async def fetchrow(self, sql: str, *args: Any) -> Any:
        return await self._run("fetchrow", sql, *args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        return await self._run("fetchval", sql, *args)

    async def execute(self, sql: str, *args: Any) -> Any:
        if not args:  # a statement without parameters (SET, a lock): nothing to measure
            return await self._conn.execute(sql)
        return await self._run("execute", sql, *args)

    def transaction(self) -> Any:
        return self._conn.transaction()


class OneConnectionPool:
    """A pool that hands out one connection: a store function that takes a pool then runs
    inside the caller's transaction (so a purge's writes roll back too)."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[Any]:
        yield self._conn

    async def fetch(self, sql: str, *args: Any) -> Any:
        return await self._conn.fetch(sql, *args)

    async def fetchrow(self, sql: str, *args: Any) -> Any:
        return await self._conn.fetchrow(sql, *args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        return await self._conn.fetchval(sql, *args)


Call = Callable[[Any, Any], Awaitable[int]]  # (connection, pool over it) -> rows found


@dataclass(frozen=True, slots=True)
class ScanFigures:
    ms: float  # wall time of the call alone
    found: int  # rows of work it returned or did
    examined: int
    buffers: int
    nodes: tuple[str, ...]


async def measure(conn: Any, call: Call) -> ScanFigures:
    """Time `call` once, then run it again explained; both rolled back."""
    found = 0
    t0 = time.perf_counter()
    try:
        async with conn.transaction():
            found = await call(conn, OneConnectionPool(conn))
            t1 = time.perf_counter()
            raise _Rollback
    except _Rollback:
        pass
    reading = Reading()
    probe = ExplainingConnection(conn, reading)
    try:
        async with conn.transaction():
            await call(probe, OneConnectionPool(probe))
            raise _Rollback
    except _Rollback:
        pass
    return ScanFigures(
        round((t1 - t0) * 1000, 2), found, reading.examined, reading.buffers, tuple(reading.nodes)
    )


def bounded(f: ScanFigures, limit: int, per_found: int = 4) -> bool:
    """Examined rows follow the work found (a few rows per item, for its joins) plus the
    scan's own limit, never the ledger's size."""
    return f.examined <= per_found * f.found + limit + 100
