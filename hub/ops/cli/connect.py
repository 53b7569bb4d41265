"""How a `hub` command gets what it talks to: a setting it cannot do without, and the one way to
open a PostgreSQL pool on the hub's database."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from hub.domain.errors import ConfigError
from hub.infra import preflight, store
from hub.settings import Settings

T = TypeVar("T")


def need(value: str | None, setting: str, command: str) -> str:
    """`value`, or a ConfigError naming the `setting` that `hub {command}` cannot run without."""
    if not value:
        raise ConfigError(
            f"`hub {command}` needs {setting}; `hub up` sets it for the processes it starts"
        )
    return value


def with_pool(
    settings: Settings, work: Callable[[store.Pool], Awaitable[T]], *, migrated: bool = False
) -> T:
    """Run `work` on a pool to the hub's database, closed afterwards. With `migrated`, a
    database whose schema is behind is refused first (StartupError: run `hub db upgrade`)."""
    url = settings.database_url
    if not url:
        # hub.ops.cli.main resolves the hub (hub.ops.locate) before a command that reaches one runs.
        raise ConfigError("this command needs HUB_DATABASE_URL or a running `hub up`")

    async def run() -> T:
        if migrated:
            await preflight.check_database(settings, url)
        pool = await store.create_pool(
            url, connect_timeout=settings.startup_timeout_s, settings=settings
        )
        try:
            return await work(pool)
        finally:
            await pool.close()

    return asyncio.run(run())
