"""The whole of one `hub history import`: read every input, prepare it, put the messages in the
order the chain sent them, and apply them in batches (one transaction each), with progress on
stderr and the counts at the end."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, TextIO

from hub.domain.eigenbijdrage.policy import PolicyBook
from hub.domain.validation import Validator
from hub.infra.store import Pool
from hub.ops.historyimport import csvrows, prepare, sources
from hub.ops.historyimport.apply import Counts, Importer
from hub.ops.historyimport.prepare import Prepared
from hub.ops.historyimport.sources import Problem

DEFAULT_BATCH: Final = 1000
_PROGRESS_EVERY_S: Final = 2.0


@dataclass
class Progress:
    """A line on stderr at most every two seconds, and one at the end of each phase."""

    out: TextIO | None = field(default_factory=lambda: sys.stderr)
    started: float = field(default_factory=time.monotonic)
    _last: float = 0.0

    def show(self, phase: str, done: int, total: int | None = None, *, final: bool = False) -> None:
        now = time.monotonic()
        if self.out is None or (not final and now - self._last < _PROGRESS_EVERY_S):
            return
        self._last = now
        rate = done / max(now - self.started, 1e-6)
        of = f"/{total}" if total is not None else ""
        print(f"history import: {phase} {done}{of} ({rate:.0f}/s)", file=self.out, flush=True)


@dataclass
class Result:
    files: int = 0
    problems: list[Problem] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)
    seconds: float = 0.0
    # Told of each skipped input when it is found, so a long import shows them as it goes.
    on_problem: Callable[[Problem], None] | None = None

    def skip(self, problem: Problem) -> None:
        self.problems.append(problem)
        if self.on_problem is not None:
            self.on_problem(problem)

    @property
    def messages(self) -> int:
        """Messages and CSV rows applied or recognised as imported before."""
        return sum(self.counts.imported.values()) + self.counts.unchanged


def read_all(
    paths: Iterable[Path],
    validator: Validator,
    secret: bytes,
    result: Result,
    progress: Progress,
) -> list[Prepared]:
    """Every usable message and CSV row under `paths`, in the order to apply them."""
    ready: list[Prepared] = []
    for found in sources.read(paths):
        result.files += 1
        if isinstance(found, Problem):
            result.skip(found)
        elif found.csv:
            ready.extend(_csv(found, secret, result, len(ready)))
        else:
            got = prepare.message(validator, found.name, found.data, secret, len(ready))
            if isinstance(got, Problem):
                result.skip(got)
            else:
                ready.append(got)
        progress.show("read", result.files)
    progress.show("read", result.files, final=True)
    # The same content twice (a file also in an archive) is one message: ids come from it.
    unique = list({p.message_id: p for p in reversed(ready)}.values())
    result.counts.unchanged += len(ready) - len(unique)
    unique.sort(key=lambda p: p.order)
    return unique


def _csv(found: sources.Input, secret: bytes, result: Result, seq: int) -> list[Prepared]:
    out: list[Prepared] = []
    try:
        for row in csvrows.read_rows(found.data, secret):
            if isinstance(row, csvrows.RowProblem):
                result.skip(Problem(f"{found.name} line {row.line_number}", row.reason))
            else:
                out.extend(prepare.csv_row(found.name, row, seq + len(out)))
    except csvrows.CsvError as exc:
        result.skip(Problem(found.name, str(exc)))
    return out


async def apply_all(
    pool: Pool,
    ready: list[Prepared],
    importer: Importer,
    progress: Progress,
    batch_size: int = DEFAULT_BATCH,
) -> None:
    """Apply in batches, each in one transaction: a message is wholly applied or not at all."""
    for start in range(0, len(ready), batch_size):
        batch = ready[start : start + batch_size]
        async with pool.acquire() as conn, conn.transaction():
            await importer.apply(conn, batch)
        progress.show("applied", start + len(batch), len(ready))
    progress.show("applied", len(ready), len(ready), final=True)


async def run_import(
    pool: Pool,
    paths: Iterable[Path],
    validator: Validator,
    secret: bytes,
    policy: PolicyBook,
    *,
    baseline: bool = False,
    batch_size: int = DEFAULT_BATCH,
    progress: Progress | None = None,
    report: Callable[[Problem], None] | None = None,
) -> Result:
    """Import `paths` into the hub's history state; returns what was done and skipped."""
    result = Result(on_problem=report)
    shown = progress or Progress()
    ready = read_all(paths, validator, secret, result, shown)
    importer = Importer(secret, policy, baseline=baseline, report=result.skip, counts=result.counts)
    await apply_all(pool, ready, importer, shown, batch_size)
    result.seconds = time.monotonic() - shown.started
    return result


def summary(result: Result) -> list[str]:
    """The counts printed at the end."""
    c = result.counts
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(c.imported.items())) or "none"
    return [
        f"inputs read: {result.files}",
        f"imported: {sum(c.imported.values())} ({kinds})",
        f"already imported (unchanged): {c.unchanged}",
        f"skipped: {len(result.problems)} (of which contradicting the history: {c.contradicting})",
        f"eigen-bijdrage lines: {c.eb_lines}",
        f"CAK baseline periods recorded as known: {c.baseline_periods}",
        f"sleutelmomenten measured: {c.moments}"
        + (f" ({c.unmeasured} messages could not be measured)" if c.unmeasured else ""),
        f"time: {result.seconds:.1f} s",
    ]
