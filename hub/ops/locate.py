"""How every CLI command reaches a hub: the `hub.json` a running `hub up` keeps in its data
directory, HUB_DATABASE_URL, or (only when asked) the embedded PostgreSQL of HUB_DATA_DIR."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from hub.domain.errors import ConfigError
from hub.settings import Settings

FILENAME = "hub.json"
# Never written to hub.json: a secret, or a file only the running hub's demo uses.
_NOT_RECORDED = frozenset(
    {"person_key_secret", "kafka_sasl_password", "kafka_ssl_key_password", "demo_tokens_file"}
)
Reach = Literal["required", "optional", "embedded"]


@dataclass(frozen=True)
class Running:
    """What a `hub up` recorded about itself."""

    path: Path
    pid: int
    started_at: str
    database_url: str
    kafka_bootstrap: str
    settings: dict[str, Any]  # every recorded setting, by field name, as JSON values


def hub_file(settings: Settings) -> Path:
    return settings.data_dir.resolve() / FILENAME


def record(settings: Settings, database_url: str, kafka_bootstrap: str) -> Path:
    """Write `<data_dir>/hub.json` (mode 0600: the DSN may hold a password), atomically."""
    values = settings.model_dump(mode="json", exclude=set(_NOT_RECORDED))
    values.update(
        database_url=database_url,
        kafka_bootstrap=kafka_bootstrap,
        data_dir=str(settings.data_dir.resolve()),
    )
    data = {
        "pid": os.getpid(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database_url": database_url,
        "kafka_bootstrap": kafka_bootstrap,
        "settings": values,
    }
    path = hub_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
            os.fchmod(out.fileno(), 0o600)
            json.dump(data, out, indent=2, sort_keys=True)
    # blind: whatever ends the write (Ctrl-C too), no half-written file is left; raised again
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)
    return path


def forget(settings: Settings) -> None:
    """Remove hub.json if this process wrote it (a second `hub up` never removes the first's)."""
    path = hub_file(settings)
    found = read(path)
    if found is not None and found.pid == os.getpid():
        path.unlink(missing_ok=True)


def read(path: Path) -> Running | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Running(
            path,
            int(data["pid"]),
            str(data.get("started_at", "")),
            str(data["database_url"]),
            str(data["kafka_bootstrap"]),
            dict(data.get("settings") or {}),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def alive(pid: int) -> bool:
    """Whether `pid` is a live `hub` process (not a reused pid of something else)."""
    proc = Path(f"/proc/{pid}")
    if not Path("/proc/self").exists():  # no procfs: a live pid is the best we can tell
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    try:
        argv = (proc / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return any(a == b"hub" or a.endswith(b"/hub") for a in argv)


def running(settings: Settings) -> Running | None:
    """The `hub up` that runs on HUB_DATA_DIR now, if any."""
    found = read(hub_file(settings))
    return found if found is not None and alive(found.pid) else None


def redact(url: str) -> str:
    """A URL without its password."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    return f"{scheme}://{creds.split(':', 1)[0]}@{host}"


def _say(line: str) -> None:
    # stderr: stdout stays the command's own output (`TOKEN=$(hub party token issue ...)`).
    print(f"hub: {line}", file=sys.stderr, flush=True)


def _merged(settings: Settings, found: Running) -> Settings:
    """The running hub's settings; a HUB_* variable set for this command wins."""
    values = {k: v for k, v in found.settings.items() if k in Settings.model_fields}
    values.update({k: getattr(settings, k) for k in settings.model_fields_set})
    return Settings(**values)


def _refusal(settings: Settings) -> str:
    path = hub_file(settings)
    found = read(path)
    why = (
        f"{path} names pid {found.pid}, which no longer runs"
        if found is not None
        else f"there is no {path}"
    )
    return (
        f"no running hub found: {why}. Start one (`make run`), point HUB_DATA_DIR at the data "
        "directory of the one that runs, set HUB_DATABASE_URL, or set HUB_CLI_EMBEDDED=true "
        "to start the embedded PostgreSQL of HUB_DATA_DIR for this command"
    )


@contextmanager
def reach(settings: Settings, how: Reach = "required") -> Iterator[Settings]:
    """Settings whose database_url (and kafka_bootstrap) name the hub this command talks to,
    said in one line on stderr. Found, in this order: HUB_DATABASE_URL; the `hub up` running
    on HUB_DATA_DIR (its hub.json); with HUB_CLI_EMBEDDED=true or `how="embedded"`, the
    embedded PostgreSQL of HUB_DATA_DIR, started for the command. Otherwise a ConfigError
    (exit 2) naming the settings, or, with `how="optional"`, the settings unchanged."""
    if settings.database_url is not None:
        kafka = settings.kafka_bootstrap or "not set"
        _say(f"database {redact(settings.database_url)} (HUB_DATABASE_URL), kafka {kafka}")
        yield settings
        return
    found = running(settings)
    if found is not None:
        merged = _merged(settings, found)
        _say(
            f"talking to the hub up of pid {found.pid} in {found.path.parent} (since "
            f"{found.started_at}): database {redact(merged.database_url or '')}, kafka "
            f"{merged.kafka_bootstrap}, topics '{merged.topic_prefix}.'"
        )
        yield merged
        return
    if how == "optional":
        _say(_refusal(settings).split(". ", 1)[0])
        yield settings
        return
    if not (settings.cli_embedded or how == "embedded"):
        raise ConfigError(_refusal(settings))
    from hub.ops.startup import start_infrastructure

    infra = start_infrastructure(settings.model_copy(update={"kafka_bootstrap": "unused:1"}))
    try:
        _say(
            f"no hub up runs on {settings.data_dir.resolve()}: started its embedded PostgreSQL "
            f"for this command ({redact(infra.database_url)}); no broker"
        )
        yield settings.model_copy(update={"database_url": infra.database_url})
    finally:
        infra.stop()
