"""Traffic for the end-to-end and fault tests and `make soak`: care trajectories uploaded over
HTTP like a party's system would (a failed attempt retried with the same Idempotency-Key),
and the checks that each was carried exactly once.

A trajectory is one person: the gemeente's toewijzing (301) to the provider, and once the
provider has it in its inbox, the provider's start (305) back to the gemeente, from which the
hub derives one WMO405 for the CAK (gemeente 0363 has eigen bijdrage in the demo policy).
Every `bad_every`-th person's 301 carries a BSN that fails the 11-proef: the hub answers it
with a retour to the gemeente and routes nothing.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import statistics
import string
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import httpx

from hub.domain.rules.identity import passes_elfproef
from hub.infra import store
from tests.e2e.stack import CAK, GEMEENTE, PROVIDER, Stack

_FIXTURES: Final = Path(__file__).parents[1] / "fixtures" / "iwmo-3.2"
WMO301: Final = (_FIXTURES / "WMO301.xml").read_bytes()
WMO305: Final = (_FIXTURES / "WMO305.xml").read_bytes()
_IDENT: Final = {b"301": b">30120250324<", b"305": b">30520250405<"}
_BSN: Final = b">174285917<"
_RETRYABLE: Final = frozenset({500, 502, 503, 504})


def bsns(seed: int) -> Iterator[str]:
    """Distinct BSNs that pass the 11-proef, from a point chosen by `seed` (so runs that share
    a database do not share persons)."""
    for candidate in itertools.count(100_000_000 + random.Random(seed).randrange(800_000_000)):
        if passes_elfproef(str(candidate)):
            yield str(candidate)


def broken(bsn: str) -> str:
    """The same BSN with its last digit changed: it fails the 11-proef (CS002)."""
    return bsn[:-1] + str((int(bsn[-1]) + 1) % 10)


def message(code: str, identificatie: str, bsn: str, provider: str = PROVIDER) -> bytes:
    """The fixture 301 or 305 with its own BerichtIdentificatie, client and provider."""
    template = WMO301 if code == "301" else WMO305
    out = template.replace(_IDENT[code.encode()], f">{identificatie}<".encode())
    out = out.replace(_BSN, f">{bsn}<".encode())
    # A ToewijzingNummer names one toewijzing in the gemeente (TR332): the client's own are
    # its Bsn's first 8 digits (no two valid BSNs share them) and the fixture's last digit.
    for nummer in (b"300201", b"300202"):
        out = out.replace(b">" + nummer + b"<", b">" + bsn[:8].encode() + nummer[-1:] + b"<")
    role = "Ontvanger" if code == "301" else "Afzender"
    return out.replace(f"<{role}>{PROVIDER}<".encode(), f"<{role}>{provider}<".encode())


@dataclass
class Upload:
    kind: str  # "301", "305" or "bad301"
    node: str  # the adapter it goes through (process name): "ggk" or "vecozo"
    party: str  # uploader and Afzender
    receiver: str
    person: int
    identificatie: str
    payload: bytes = field(repr=False)
    key: str = field(default_factory=lambda: uuid.uuid4().hex)  # the Idempotency-Key
    id: str | None = None  # the hub's id, from the 202
    attempts: int = 0
    took_s: float = 0.0  # from the first attempt to the 202
    accepted_at: float = 0.0  # time.monotonic() of the 202


@dataclass
class Stats:
    statuses: Counter[int] = field(default_factory=Counter)  # answers, per HTTP status
    errors: Counter[str] = field(default_factory=Counter)  # attempts without an answer
    started: float = 0.0
    ended: float = 0.0

    @property
    def retried(self) -> int:
        return sum(self.errors.values()) + sum(n for s, n in self.statuses.items() if s != 202)


Fault = Callable[[], Awaitable[object]]


class Traffic:
    """Uploads `persons` trajectories with `workers` concurrent clients (at most `rate` per
    second when given); `fault` runs once, beside the stream, after `fault_after` uploads."""

    def __init__(
        self,
        stack: Stack,
        tokens: dict[str, str],
        pool: store.Pool,
        *,
        persons: int,
        seed: int | None = None,
        bad_every: int = 10,
        workers: int = 8,
        rate: float | None = None,
        gemeente: str = GEMEENTE,
        provider: str = PROVIDER,
        give_up_s: float = 90.0,
    ) -> None:
        self.stack, self.tokens, self.pool = stack, tokens, pool
        self.seed = seed if seed is not None else random.randrange(1 << 30)
        rng = random.Random(self.seed)
        self.tag = rng.choice(string.ascii_uppercase) + "".join(
            rng.choice(string.ascii_uppercase + string.digits) for _ in range(2)
        )
        self.workers, self.rate, self.give_up_s = workers, rate, give_up_s
        self.gemeente, self.provider = gemeente, provider
        self.stats = Stats()
        self.uploads: list[Upload] = []
        self._queue: asyncio.Queue[Upload | None] = asyncio.Queue()
        self._bsn: dict[int, str] = {}
        self._waiting: dict[str, int] = {}  # id of a good 301 → its person, until delivered
        self._planned = 0
        self._done = 0
        self._finished = asyncio.Event()
        self._next_slot = 0.0
        people = bsns(self.seed)
        for person in range(persons):
            self._bsn[person] = next(people)
            bad = bad_every > 0 and person % bad_every == bad_every - 1
            self._plan(self._toewijzing(person, bad))
            self._planned += 1 if bad else 2

    # --- what is sent --------------------------------------------------------------------

    def _toewijzing(self, person: int, bad: bool) -> Upload:
        ident = f"{self.tag}1{person:08d}"
        bsn = broken(self._bsn[person]) if bad else self._bsn[person]
        payload = message("301", ident, bsn, self.provider)
        kind = "bad301" if bad else "301"
        return Upload(kind, "ggk", self.gemeente, self.provider, person, ident, payload)

    def _start(self, person: int) -> Upload:
        ident = f"{self.tag}5{person:08d}"
        payload = message("305", ident, self._bsn[person], self.provider)
        return Upload("305", "vecozo", self.provider, self.gemeente, person, ident, payload)

    def _plan(self, upload: Upload) -> None:
        self.uploads.append(upload)
        self._queue.put_nowait(upload)

    # --- running ---------------------------------------------------------------------------

    @property
    def accepted(self) -> int:
        return self.stats.statuses[202]

    async def run(self, fault: Fault | None = None, fault_after: int = 0) -> None:
        self.stats.started = time.monotonic()
        fault_task: asyncio.Task[object] | None = None

        async def maybe_fault() -> None:
            nonlocal fault_task
            if fault is not None and fault_task is None and self.accepted >= fault_after:
                fault_task = asyncio.create_task(fault())  # type: ignore[arg-type]

        limits = httpx.Limits(max_connections=self.workers * 2)
        async with httpx.AsyncClient(timeout=30, limits=limits) as client:
            workers = [
                asyncio.create_task(self._worker(client, maybe_fault)) for _ in range(self.workers)
            ]
            poller = asyncio.create_task(self._poll_deliveries())
            try:
                await self._finished.wait()
            finally:
                for _ in workers:
                    self._queue.put_nowait(None)
                poller.cancel()
                results = await asyncio.gather(*workers, poller, return_exceptions=True)
        self.stats.ended = time.monotonic()
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
                raise result
        if fault is not None:
            assert fault_task is not None, f"the fault never ran ({self.accepted} accepted)"
            await fault_task

    async def _worker(
        self, client: httpx.AsyncClient, after_each: Callable[[], Awaitable[None]]
    ) -> None:
        try:
            while (upload := await self._queue.get()) is not None:
                await self._pace()
                await self.send(client, upload)
                if upload.kind == "301":
                    assert upload.id is not None
                    self._waiting[upload.id] = upload.person
                else:
                    self._finish_one()
                await after_each()
        except BaseException:
            self._finished.set()  # fail fast: run() raises what went wrong
            raise

    def _finish_one(self) -> None:
        self._done += 1
        if self._done >= self._planned:
            self._finished.set()

    async def _pace(self) -> None:
        if self.rate is None:
            return
        now = time.monotonic()
        self._next_slot = max(self._next_slot + 1 / self.rate, now)
        if self._next_slot > now:
            await asyncio.sleep(self._next_slot - now)

    async def send(self, client: httpx.AsyncClient, upload: Upload) -> None:
        """POST until a 202; a connection error or 5xx is retried with the same key."""
        headers = {
            "Authorization": f"Bearer {self.tokens[upload.party]}",
            "Idempotency-Key": upload.key,
        }
        began = time.monotonic()
        backoff = 0.1
        while True:
            upload.attempts += 1
            try:
                response = await client.post(
                    f"{self.stack.url(upload.node)}/v1/messages",
                    content=upload.payload,
                    headers=headers,
                )
            except httpx.TransportError as exc:
                self.stats.errors[type(exc).__name__] += 1
            else:
                self.stats.statuses[response.status_code] += 1
                if response.status_code == 202:
                    upload.id = str(response.json()["id"])
                    upload.accepted_at = time.monotonic()
                    upload.took_s = upload.accepted_at - began
                    return
                if response.status_code not in _RETRYABLE:
                    raise AssertionError(
                        f"{upload.kind} {upload.identificatie} refused: {response.status_code} "
                        f"{response.text[:300]}"
                    )
            if time.monotonic() - began > self.give_up_s:
                raise AssertionError(
                    f"{upload.kind} {upload.identificatie}: no 202 in {self.give_up_s:.0f} s "
                    f"({upload.attempts} attempts)"
                )
            await asyncio.sleep(backoff)
            backoff = min(1.0, backoff * 2)

    async def _poll_deliveries(self) -> None:
        """A 305 is uploaded once the provider has its 301 (as a provider would): then the
        history rules hold whatever order the fault made of the stream."""
        while True:
            await asyncio.sleep(0.2)
            if not self._waiting:
                continue
            try:
                rows = await self.pool.fetch(
                    "SELECT message_id::text AS id FROM delivery"
                    " WHERE message_id = ANY($1::uuid[])",
                    list(self._waiting),
                )
            except Exception:  # PostgreSQL restarting: ask again
                await asyncio.sleep(0.5)
                continue
            for row in rows:
                person = self._waiting.pop(row["id"], None)
                if person is not None:
                    self._finish_one()
                    self._plan(self._start(person))

    # --- what it held ------------------------------------------------------------------------

    def latencies(self) -> list[float]:
        return sorted(u.took_s for u in self.uploads if u.id is not None)

    def summary(self) -> str:
        took = self.latencies()
        seconds = max(self.stats.ended - self.stats.started, 1e-9)
        p = _percentile
        return (
            f"{len(took)} uploads in {seconds:.1f} s ({len(took) / seconds:.1f}/s), "
            f"{self.stats.retried} retried attempts {dict(self.stats.errors)} "
            f"{ {k: v for k, v in self.stats.statuses.items() if k != 202} }, upload latency "
            f"p50 {p(took, 0.5) * 1000:.0f} ms p95 {p(took, 0.95) * 1000:.0f} ms "
            f"max {max(took, default=0) * 1000:.0f} ms"
        )


def _percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[min(98, int(q * 100) - 1)]


# --- the checks --------------------------------------------------------------------------------


async def problems(pool: store.Pool, traffic: Traffic) -> list[str]:
    """Everything that is not exactly once; empty when every upload was carried as it must."""
    uploads = [u for u in traffic.uploads if u.id is not None]
    found: list[str] = [f"{u.kind} {u.identificatie}: never accepted" for u in traffic.uploads
                        if u.id is None]  # fmt: skip
    ledger = await pool.fetch(
        "SELECT id::text AS id, afzender, identificatie, status, receiver FROM message"
        " WHERE identificatie = ANY($1::text[]) AND NOT built_by_hub",
        [u.identificatie for u in uploads],
    )
    rows: dict[tuple[str, str], list[dict[str, str]]] = {}
    for r in ledger:
        rows.setdefault((r["afzender"], r["identificatie"]), []).append(dict(r))
    ids = [u.id for u in uploads]
    inboxes_of: dict[str, list[str]] = {}
    for r in await pool.fetch(
        "SELECT message_id::text AS id, party FROM delivery WHERE message_id = ANY($1::uuid[])",
        ids,
    ):
        inboxes_of.setdefault(r["id"], []).append(r["party"])
    retours: dict[str, list[tuple[str, str | None]]] = {}
    for r in await pool.fetch(
        "SELECT m.answers::text AS heen, m.id::text AS id, d.party FROM message m"
        " LEFT JOIN delivery d ON d.message_id = m.id"
        " WHERE m.answers = ANY($1::uuid[]) AND m.built_by_hub",
        [u.id for u in uploads if u.kind == "bad301"],
    ):
        retours.setdefault(r["heen"], []).append((r["id"], r["party"]))
    notices: dict[str, list[tuple[str, str | None]]] = {}
    for r in await pool.fetch(
        "SELECT s.id::text AS start, n.id::text AS id, d.party FROM message s"
        " JOIN message n ON n.person_key = s.person_key AND n.message_type = 'WMO405'"
        " LEFT JOIN delivery d ON d.message_id = n.id"
        " WHERE s.id = ANY($1::uuid[])",
        [u.id for u in uploads if u.kind == "305"],
    ):
        notices.setdefault(r["start"], []).append((r["id"], r["party"]))
    dead = await pool.fetchval(
        "SELECT count(*) FROM dead_letter WHERE message_id = ANY($1::uuid[])", ids
    )
    if dead:
        found.append(f"{dead} dead letters among the uploads")

    for u in uploads:
        what = f"{u.kind} {u.identificatie}"
        mine = rows.get((u.party, u.identificatie), [])
        if len(mine) != 1:
            found.append(f"{what}: {len(mine)} ledger rows")
            continue
        row = mine[0]
        if row["id"] != u.id:
            found.append(f"{what}: ledger id {row['id']} is not the upload's {u.id}")
        if u.kind == "bad301":
            answers = retours.get(u.id, [])
            if row["status"] != "rejected" or len({a for a, _ in answers}) != 1:
                found.append(f"{what}: status {row['status']}, {len(answers)} retours")
            elif [p for _, p in answers] != [u.party]:
                found.append(f"{what}: its retour is in inboxes {[p for _, p in answers]}")
            continue
        if row["status"] != "accepted" or row["receiver"] != u.receiver:
            found.append(f"{what}: status {row['status']} for {row['receiver']}")
        inboxes = inboxes_of.get(u.id, [])
        if inboxes != [u.receiver]:
            found.append(f"{what}: in inboxes {inboxes}, expected [{u.receiver}]")
        if u.kind == "305":
            told = notices.get(u.id, [])
            if len({n for n, _ in told}) != 1 or [p for _, p in told] != [CAK]:
                found.append(f"{what}: WMO405 notices {told}, expected one in the CAK's inbox")
    return found


async def ledger_problems(pool: store.Pool) -> list[str]:
    """The ledger as a whole: nothing left to send, every routed message in its inbox."""
    found = []
    waiting = await pool.fetchval("SELECT count(*) FROM outbox")
    if waiting:
        found.append(f"{waiting} outbox rows not published")
    undelivered = await pool.fetchval(
        "SELECT count(*) FROM message m WHERE m.status = 'accepted' AND m.receiver_node IS NOT NULL"
        " AND NOT EXISTS (SELECT 1 FROM delivery d WHERE d.message_id = m.id"
        " AND d.party = m.receiver)"
    )
    if undelivered:
        found.append(f"{undelivered} accepted messages not in their receiver's inbox")
    return found


async def remaining(pool: store.Pool, traffic: Traffic, timeout: float, poll: float) -> list[str]:
    """Wait up to `timeout` s for every upload to be carried exactly once and the ledger to be
    at rest; what is still wrong then ([] when all is well)."""
    deadline = time.monotonic() + timeout
    found: list[str] = []
    while time.monotonic() < deadline:
        try:
            found = await problems(pool, traffic) + await ledger_problems(pool)
        except Exception as exc:  # PostgreSQL restarting
            found = [f"ledger not readable: {exc!r}"]
        if not found:
            return []
        await asyncio.sleep(poll)
    return found


async def settle(pool: store.Pool, traffic: Traffic, timeout: float = 120.0) -> None:
    """Wait until every upload was carried exactly once and the ledger is at rest; fail with
    what is still wrong."""
    found = await remaining(pool, traffic, timeout, poll=0.5)
    if not found:
        return
    shown = "\n  ".join(found[:20])
    raise AssertionError(f"{len(found)} problems after {timeout:.0f} s:\n  {shown}")


async def journal_left(pool: store.Pool, traffic: Traffic, timeout: float = 30.0) -> int:
    """Journal entries of these uploads not yet trimmed, once the trim had `timeout` to run."""
    ids = [u.id for u in traffic.uploads if u.id is not None]
    deadline = time.monotonic() + timeout
    left = -1
    while time.monotonic() < deadline:
        left = int(
            await pool.fetchval(
                "SELECT count(*) FROM ingress_journal WHERE message_id = ANY($1::uuid[])", ids
            )
        )
        if left == 0:
            return 0
        await asyncio.sleep(0.5)
    return left
