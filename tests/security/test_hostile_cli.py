"""Hostile input at the CLI: `hub validate` gets the same hostile files the adapters are
tested with and refuses each for its specific reason, in bounded time, without reaching for
a file or the network an entity names."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

from hub.infra.embedded import free_port
from tests.security.test_hostile_uploads import _hostile

ALL_WITHIN_S = 120.0  # every file in one run, schemas compiled once, on a loaded machine


def _agrees(reason: str, verdict: dict[str, object]) -> bool:
    """The CLI's verdict says what the adapter's refusal says."""
    findings = verdict["findings"]
    assert isinstance(findings, list)
    if reason == "unknown_message":
        return verdict["verdict"] == "unknown"
    if reason == "schema":
        return verdict["verdict"] == "invalid"
    rules = {str(f["rule"]).partition(":")[2] or str(f["rule"]) for f in findings}
    return verdict["verdict"] == "unreadable" and reason in rules


async def test_hub_validate_refuses_every_hostile_file(tmp_path: Path) -> None:
    knocks = 0

    async def knock(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal knocks
        knocks += 1
        writer.close()

    evil = await asyncio.start_server(knock, "127.0.0.1", free_port())
    evil_port = evil.sockets[0].getsockname()[1]
    # The transport limit (25 MB) is the adapters'; a file is read whole.
    cases = [h for h in _hostile(evil_port) if h.body is not None and h.status == 400]
    files = []
    for h in cases:
        path = tmp_path / f"{h.name}.xml"
        assert h.body is not None
        path.write_bytes(h.body)
        files.append(str(path))
    began = time.monotonic()
    run = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "hub", "validate", "--json", *files],
        capture_output=True,
        timeout=ALL_WITHIN_S,
        check=False,
    )
    took = time.monotonic() - began
    evil.close()
    await evil.wait_closed()
    assert run.returncode == 1, run.stderr.decode(errors="replace")[-2000:]
    verdicts = {Path(v["file"]).stem: v for v in json.loads(run.stdout)}
    wrong = {
        h.name: (verdicts[h.name]["verdict"], [f["rule"] for f in verdicts[h.name]["findings"]])
        for h in cases
        if not _agrees(h.reason, verdicts[h.name])
    }
    assert not wrong, wrong
    assert knocks == 0, "an entity or DTD was fetched over the network"
    assert took < ALL_WITHIN_S
