"""Shared fixtures: one real tansu broker and one real PostgreSQL per test session."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Final

import asyncpg
import pytest

from hub.app import make_runtime
from hub.domain.parties import load_parties
from hub.infra import store
from hub.infra.embedded import EmbeddedBroker, EmbeddedPostgres, free_port
from hub.infra.runtime import Runtime
from hub.settings import Settings
from tests import packkit
from tests.e2e.stack import SESSION_TIMEOUT_MS

# What a test needs, read from the fixtures it uses (item.fixturenames is transitive): every
# database fixture rests on `postgres_server`, every broker one on `kafka_bootstrap`. Tests
# that start whole hub processes (tests/e2e, the fault suite with its own broker and
# PostgreSQL) are `e2e` by folder; a few in-process stacks carry the marker themselves.
NEEDS: Final = {"pg": "postgres_server", "kafka": "kafka_bootstrap"}
E2E_DIRS: Final = ("e2e", "faults")
TESTS: Final = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        for marker, fixture in NEEDS.items():
            if fixture in used:
                item.add_marker(marker)
        parts = item.path.relative_to(TESTS).parts if item.path.is_relative_to(TESTS) else ()
        if parts and parts[0] in E2E_DIRS:
            item.add_marker("e2e")


@pytest.fixture(scope="session")
def workdir() -> Iterator[Path]:
    # Not pytest's tmp_path: its parents are private to root, and as root the embedded
    # PostgreSQL runs as an unprivileged user who must traverse this directory.
    path = Path(tempfile.mkdtemp(prefix="isdhub-test-"))
    os.chmod(path, 0o755)  # noqa: S103
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def kafka_bootstrap(workdir: Path) -> Iterator[str]:
    broker = EmbeddedBroker("127.0.0.1", free_port(), workdir / "broker.log")
    yield broker.start()
    broker.stop()


@pytest.fixture(scope="session")
def postgres_server(workdir: Path) -> Iterator[EmbeddedPostgres]:
    server = EmbeddedPostgres(workdir / "pg", "127.0.0.1", free_port(), workdir / "pg.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
async def postgres_admin(postgres_server: EmbeddedPostgres) -> str:
    """The session server's admin DSN, the server set for throwaway data: no fsync, no
    waiting on the WAL flush at commit (a crash would lose the session's databases, which
    nothing keeps; the tests that crash PostgreSQL run their own, as the hub configures it)."""
    conn = await asyncpg.connect(postgres_server.dsn)
    try:
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            await conn.execute(f"ALTER SYSTEM SET {setting} = off")
        await conn.execute("SELECT pg_reload_conf()")
    finally:
        await conn.close()
    return postgres_server.dsn


# Migrated once per session; a test using `pool` gets a copy (CREATE DATABASE ... TEMPLATE
# copies files, far cheaper than running every migration again for each test).
TEMPLATE: Final = "isdhub_template"
_templates: set[str] = set()  # the servers (admin DSNs) whose template is ready


def _url(admin_dsn: str, name: str) -> str:
    return admin_dsn.rsplit("/", 1)[0] + f"/{name}"


async def _migrated_template(admin_dsn: str) -> str:
    if admin_dsn not in _templates:
        conn = await asyncpg.connect(admin_dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}"')
            await conn.execute(f'CREATE DATABASE "{TEMPLATE}"')
        finally:
            await conn.close()
        p = await store.create_pool(_url(admin_dsn, TEMPLATE))
        try:
            await store.migrate(p)
        finally:
            await p.close()  # no session may stay on a template while it is copied
        _templates.add(admin_dsn)
    return TEMPLATE


@pytest.fixture
async def database_url(request: pytest.FixtureRequest, postgres_admin: str) -> AsyncIterator[str]:
    """A database of this test's own, so tests never see each other's rows: a copy of the
    session's migrated template when the test also uses `pool`, otherwise empty (the tests
    of the migrations and of `hub db upgrade` start from nothing)."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin_dsn = postgres_admin
    template = await _migrated_template(admin_dsn) if "pool" in request.fixturenames else None
    conn = await asyncpg.connect(admin_dsn)
    try:
        copy = f' TEMPLATE "{template}"' if template else ""
        await conn.execute(f'CREATE DATABASE "{name}"{copy}')
    finally:
        await conn.close()
    yield _url(admin_dsn, name)
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[store.Pool]:
    """A pool on a fresh, migrated database (the template's copy: `migrate` finds nothing
    left to apply, and would apply it if the template lagged)."""
    p = await store.create_pool(database_url)
    await store.migrate(p)
    yield p
    await p.close()


@pytest.fixture(scope="session", autouse=True)
def _packs_compiled_once() -> Iterator[None]:
    """Every runtime a test builds (hub.app.make_runtime) shares one compile of the built-in
    packs; a runtime given more pack folders still loads them itself."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("hub.app.load_complete_packs", packkit.complete_packs)
        yield


@pytest.fixture
def settings(kafka_bootstrap: str, workdir: Path) -> Settings:
    """Settings whose topics and consumer group belong to this test alone (tansu can stall a
    new member of a group whose old members died without leaving)."""
    tag = uuid.uuid4().hex[:8]
    return Settings(
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=f"t{tag}",
        consumer_group=f"core-{tag}",
        partitions=2,
        data_dir=workdir / f"data-{tag}",
        consumer_session_timeout_ms=SESSION_TIMEOUT_MS,
    )


@pytest.fixture
async def runtime(
    settings: Settings, pool: store.Pool, database_url: str
) -> AsyncIterator[Runtime]:
    """A core runtime on this test's database and topics, for calling the flows in process
    (its broker is built, not started), with the party registry imported as a hub's start
    imports it (the core routes heenberichten to registered receivers only)."""
    assert settings.kafka_bootstrap is not None
    await store.upsert_parties(pool, list(load_parties(settings.parties_file)))
    rt = make_runtime(settings, settings.kafka_bootstrap, database_url, "test-core")
    rt.attach_pool(pool)
    yield rt
    rt.attach_pool(None)
