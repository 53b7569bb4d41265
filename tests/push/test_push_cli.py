"""`hub party push set|show|remove` on the real PostgreSQL, as an operator runs them."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from hub.domain.parties import DEMO_FILE, load_parties
from hub.infra import store
from hub.infra.store import push as push_store
from hub.ops.cli.main import main
from hub.ops.cli.push import embedded_database
from hub.settings import Settings

MASTER = "this-hubs-own-person-key-secret-0123456789"

Run = Callable[..., Awaitable[tuple[int, str, str]]]


@pytest.fixture
def hub(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Run:
    """`hub party push ...` in process (in a thread: the command runs its own event loop)."""
    for name in [k for k in os.environ if k.startswith("HUB_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HUB_DATABASE_URL", database_url)

    async def run(*args: str, allow_http: bool = False) -> tuple[int, str, str]:
        monkeypatch.setenv("HUB_PUSH_ALLOW_HTTP", "true" if allow_http else "false")
        try:
            code = await asyncio.to_thread(main, ["party", "push", *args])
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


async def test_set_show_and_remove_an_endpoint(
    pool: store.Pool, hub: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.upsert_parties(pool, list(load_parties(DEMO_FILE)))
    code, _, err = await hub("set", "0363", "http://receiver.example/push")
    assert code != 0
    assert "only https://" in err
    secret_file = tmp_path / "secret"
    secret_file.write_bytes(b"the-receivers-secret-0123\n")
    # The public development key seals nothing in a database that is not the embedded one.
    code, out, err = await hub("set", "0363", "https://receiver.example/push",
                               "--secret-file", str(secret_file))  # fmt: skip
    assert code == 2
    assert out == ""
    [line] = err.strip().splitlines()[-1:]
    assert line.startswith("hub: error: HUB_PERSON_KEY_SECRET is still the built-in development")
    assert await push_store.endpoint(pool, "0363") is None
    monkeypatch.setenv("HUB_PERSON_KEY_SECRET", MASTER)
    code, out, err = await hub("set", "0363", "https://receiver.example/push",
                               "--secret-file", str(secret_file))  # fmt: skip
    assert code == 0, err
    assert out == ""  # a given secret is never printed
    master = Settings().person_key_secret.get_secret_value()
    assert master == MASTER
    row = await pool.fetchrow("SELECT secret_sealed FROM push_endpoint WHERE party = '0363'")
    assert row is not None
    sealed = bytes(row["secret_sealed"])
    assert b"the-receivers-secret" not in sealed
    assert push_store.unseal(master, "0363", sealed) == b"the-receivers-secret-0123"

    code, out, err = await hub("show", "0363")
    assert code == 0, err
    assert "https://receiver.example/push" in out
    assert "0 pending" in out
    assert "the-receivers-secret" not in out + err

    code, out, err = await hub("set", "0344", "http://127.0.0.1:9/x", allow_http=True)
    assert code == 0, err
    assert len(out.strip()) == 64  # printed once, alone on stdout
    endpoint = await push_store.endpoint(pool, "0344")
    assert endpoint is not None
    assert endpoint.url == "http://127.0.0.1:9/x"

    assert (await hub("remove", "0363"))[0] == 0
    assert await push_store.endpoint(pool, "0363") is None
    assert (await hub("show", "0363"))[0] == 1


def test_only_the_embedded_database_of_hub_up_counts_as_embedded(tmp_path: Path) -> None:
    """The development key is for a local `hub up`'s own PostgreSQL: its address on its port,
    and its cluster in HUB_DATA_DIR."""
    local = Settings(data_dir=tmp_path, embedded_postgres_port=55432,
                     database_url="postgresql://postgres@127.0.0.1:55432/isdhub")  # fmt: skip
    assert not embedded_database(local)  # no cluster in the data directory
    (tmp_path / "postgres").mkdir()
    (tmp_path / "postgres" / "PG_VERSION").write_text("17\n")
    assert embedded_database(local)
    for url in ("postgresql://postgres@db.example:55432/isdhub",
                "postgresql://postgres@127.0.0.1:5432/isdhub",
                "postgresql://postgres@127.0.0.1:55432/production"):  # fmt: skip
        assert not embedded_database(local.model_copy(update={"database_url": url}))
