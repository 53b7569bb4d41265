"""`hub db upgrade`: bring the hub's database schema up to date."""

from __future__ import annotations

import argparse

from hub.infra import store
from hub.ops.cli.connect import with_pool
from hub.settings import Settings


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    # main() resolved the database (hub.ops.locate): HUB_DATABASE_URL, the running `hub up`, or
    # (this command only, since it prepares a database) the embedded one of HUB_DATA_DIR.
    async def upgrade(pool: store.Pool) -> tuple[list[store.Migration], int]:
        applied = await store.migrate(pool)
        return applied, await store.schema_version(pool)

    applied, version = with_pool(settings, upgrade)
    for migration in applied:
        print(f"applied {migration.version:04d}_{migration.name}")
    print(f"schema at version {version}" + ("" if applied else " (already up to date)"))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_sub.add_parser(
        "upgrade", help="apply pending migrations (a re-run is a no-op)"
    ).set_defaults(func=cmd_db_upgrade, reach="embedded")
