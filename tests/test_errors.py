"""The error tree's one decision (hub.domain.errors.disposition), and the rule that a blind
`except Exception` says why it is blind."""

from __future__ import annotations

import ast
import asyncio
import re
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest
from aiokafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError

import hub.infra.transient  # noqa: F401  registers the infrastructure's transient errors
from hub.domain import errors
from hub.domain.errors import (
    ConfigError,
    Disposition,
    HubError,
    MigrationError,
    StartupError,
    TransientError,
    disposition,
)
from hub.domain.packs import PackError
from hub.domain.parties import PartyError

ROOT = Path(__file__).resolve().parents[1]
RETRY, DEAD_LETTER, STOP = Disposition.RETRY, Disposition.DEAD_LETTER, Disposition.STOP


@pytest.mark.parametrize(
    "exc",
    [
        TransientError("database hiccup"),
        MemoryError(),
        asyncpg.PostgresError("gone"),
        asyncpg.exceptions.ConnectionDoesNotExistError("closed mid-query"),
        asyncpg.InterfaceError("pool is closing"),
        asyncpg.InternalClientError("bad state"),
        KafkaError(),
        KafkaConnectionError("no broker"),
        KafkaTimeoutError(),
        OSError("connection refused"),
        ConnectionResetError(),
        TimeoutError(),
    ],
    ids=lambda e: type(e).__name__,
)
def test_what_may_succeed_later_is_retried(exc: BaseException) -> None:
    assert disposition(exc) is RETRY


@pytest.mark.parametrize(
    "exc",
    [
        ConfigError("HUB_PARTIES_FILE: no such file"),
        PackError("pack directory x does not exist"),
        PartyError("unknown party"),
        StartupError("port taken"),
        MigrationError("two migrations share a number"),
        HubError("on purpose, not retryable"),
        asyncio.CancelledError(),
        KeyboardInterrupt(),
        SystemExit(2),
    ],
    ids=lambda e: type(e).__name__,
)
def test_a_wrong_setup_or_an_ending_process_stops_the_flow(exc: BaseException) -> None:
    assert disposition(exc) is STOP


@pytest.mark.parametrize(
    "exc",
    [KeyError("WMO306"), ValueError("odd input"), AttributeError("x"), ZeroDivisionError()],
    ids=lambda e: type(e).__name__,
)
def test_any_other_error_is_the_messages_own(exc: BaseException) -> None:
    """What the steps that decide a message (no I/O) raise comes back on every try."""
    assert disposition(exc) is DEAD_LETTER


def test_a_retryable_hub_error_of_any_kind_is_retried() -> None:
    class Busy(ConfigError):
        retryable = True

    assert disposition(Busy("try later")) is RETRY


def test_registered_types_are_retried_with_their_subclasses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Hiccup(Exception):
        pass

    class Smaller(Hiccup):
        pass

    monkeypatch.setattr(errors, "_transient", errors.transient_types())
    assert disposition(Smaller()) is DEAD_LETTER
    errors.register_transient(Hiccup)
    errors.register_transient(Hiccup)  # twice: once in the registry
    assert disposition(Smaller()) is RETRY
    assert errors.transient_types().count(Hiccup) == 1


def test_every_running_process_has_the_infrastructure_registered() -> None:
    """hub.infra.runtime (every process that runs a flow builds a Runtime) registers them;
    without that a database outage would look like a message's own error."""
    code = (
        "import asyncpg, aiokafka.errors, hub.infra.runtime\n"
        "from hub.domain.errors import transient_types\n"
        "t = transient_types()\n"
        "assert asyncpg.PostgresError in t and aiokafka.errors.KafkaError in t, t\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=120)


# --- blind excepts ------------------------------------------------------------------------

_BLIND = re.compile(r"#\s*blind:\s*\S")


def _is_blind(handler: ast.ExceptHandler) -> bool:
    kinds = handler.type
    if kinds is None:
        return True
    names = kinds.elts if isinstance(kinds, ast.Tuple) else [kinds]
    return any(isinstance(n, ast.Name) and n.id in ("Exception", "BaseException") for n in names)


def _reason_given(lines: list[str], lineno: int) -> bool:
    """`# blind: <why>` on the except line, or in the comment lines right above it."""
    if _BLIND.search(lines[lineno - 1]):
        return True
    above = lineno - 2
    while above >= 0 and lines[above].lstrip().startswith("#"):
        if _BLIND.search(lines[above]):
            return True
        above -= 1
    return False


def blind_excepts_without_reason(root: Path) -> list[str]:
    found = []
    for folder in ("hub", "handlers", "adapters"):
        for path in sorted((root / folder).rglob("*.py")):
            source = path.read_text(encoding="utf-8")
            lines = source.splitlines()
            for node in ast.walk(ast.parse(source)):
                if (
                    isinstance(node, ast.ExceptHandler)
                    and _is_blind(node)
                    and not _reason_given(lines, node.lineno)
                ):
                    found.append(f"{path.relative_to(root)}:{node.lineno}")
    return found


def test_every_blind_except_says_why() -> None:
    """Catching everything is right only where the reason is written (`# blind: <why>`);
    elsewhere name what is caught, or let hub.domain.errors.disposition decide."""
    assert blind_excepts_without_reason(ROOT) == []


def test_the_check_finds_a_blind_except_without_its_reason(tmp_path: Path) -> None:
    (tmp_path / "hub").mkdir()
    (tmp_path / "hub" / "m.py").write_text(
        "try:\n    pass\nexcept Exception:  # why not\n    pass\n"
        "try:\n    pass\n# blind: the reason\n# goes on\nexcept BaseException:\n    raise\n"
        "try:\n    pass\nexcept (KeyError, Exception):\n    pass\n"
        "try:\n    pass\nexcept:  # blind: bare, with a reason\n    pass\n"
        "try:\n    pass\nexcept KeyError:\n    pass\n",
        encoding="utf-8",
    )
    assert blind_excepts_without_reason(tmp_path) == ["hub/m.py:3", "hub/m.py:13"]
