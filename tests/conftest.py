"""Shared fixtures: one real tansu broker and one real PostgreSQL per test session."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from hub.app import make_runtime
from hub.infra import store
from hub.infra.embedded import EmbeddedBroker, EmbeddedPostgres, free_port
from hub.infra.runtime import Runtime
from hub.settings import Settings


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


@pytest.fixture
async def database_url(postgres_server: EmbeddedPostgres) -> AsyncIterator[str]:
    """A fresh, empty database per test, so tests never see each other's rows."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin_dsn = postgres_server.dsn
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    yield admin_dsn.rsplit("/", 1)[0] + f"/{name}"
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[store.Pool]:
    """A pool on a fresh, migrated database."""
    p = await store.create_pool(database_url)
    await store.migrate(p)
    yield p
    await p.close()


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
    )


@pytest.fixture
async def runtime(
    settings: Settings, pool: store.Pool, database_url: str
) -> AsyncIterator[Runtime]:
    """A core runtime on this test's database and topics, for calling the flows in process
    (its broker is built, not started)."""
    assert settings.kafka_bootstrap is not None
    rt = make_runtime(settings, settings.kafka_bootstrap, database_url, "test-core")
    rt.attach_pool(pool)
    yield rt
    rt.attach_pool(None)
