"""Three months of back-dated demo history for `hub up --demo`: trajectories of persons of their
own, dated day by day with the chain's lateness, imported with `hub history import`'s own code
so the sleutelmomenten report shows real lateness before live traffic has any.

Live demo messages all arrive on the day they are sent, so their starts and adjustments are
measured as on time (their clocks run from a 301 or 307 received that same day). History is
measured against each message's Dagtekening instead (docs/history-import.md), so here every
message of a trajectory gets a day of its own, within the last `WINDOW` werkdagen:
- the 301 on day A (its Toewijzingsdatum 0-15 werkdagen back, mostly retroactive, as the live
  demo draws it), sometimes after the provider's 315 a few werkdagen before;
- the 305 on day B: 0-5 werkdagen after its clock (the Begindatum, or A when the toewijzing
  came after it), now and then 6-40;
- the 307 on day C: 0-5 werkdagen after the stop's Einddatum, now and then 6-30;
- the adjusting 301 (Einddatum = the stop's) 1 to about 40 werkdagen after C, for most stops.
What falls after yesterday is not sent (yet): those starts and stops are still to come.

The persons are not the live demo's (BSNs 8xxxxxxxx, ToewijzingNummers ending in 6 or 7,
Identificaties HIST…, references HIST-…), so live traffic never meets their history (TR056,
TR332, TR347).
"""

from __future__ import annotations

import dataclasses
import logging
import random
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Final

from hub.domain import xmlcodec
from hub.domain.eigenbijdrage.policy import PolicyBook
from hub.domain.history.state import IdentificatieKey
from hub.domain.messages import Standard
from hub.domain.validation import Validator
from hub.domain.workdays import shift_workdays
from hub.infra.store import Pool
from hub.infra.store import history_import as import_store
from hub.ops.demo_dates import REDEN_WIJZIGING, Line, Timeline
from hub.ops.demo_messages import Person, personalise, template
from hub.ops.historyimport.run import Progress, Result, run_import

log = logging.getLogger(__name__)

TRAJECTORIES: Final = 250
WINDOW: Final = 65  # werkdagen back from today: about three months
SEED: Final = 19  # the same history for the same day
RETROACTIVE: Final = 0.8
FUTURE: Final = 0.1
VERZOEK: Final = 0.15
START_ON_TIME: Final = 0.75
STOPPED: Final = 0.85  # started trajectories whose care has stopped
STOP_ON_TIME: Final = 0.7
ADJUSTED: Final = 0.75  # stops the gemeente follows with the adjusting 301
_PERSONS: Final = 10_000_000
_IDENTIFICATIE: Final = "HIST{:08d}"


@dataclass(frozen=True, slots=True)
class HistoryPerson(Person):
    """A person of the seeded history: numbers the live demo never uses (its ToewijzingNummers
    end in the samples' line digits 1 and 2, these in 6 and 7)."""

    def toewijzing_nummer(self, line: int) -> str:
        return str((self.n % _PERSONS) * 10 + 5 + line % 10)

    def referentie(self, line: int) -> str:
        return f"HIST-{self.n}-{line}"


def history_persons() -> Iterator[HistoryPerson]:
    """Persons with BSNs 8xxxxxxxx that pass the 11-proef (the live demo's are 9xxxxxxxx)."""
    n = 0
    while True:
        body = f"{80_000_000 + n % _PERSONS:08d}"
        check = sum(int(d) * w for d, w in zip(body, range(9, 1, -1), strict=True)) % 11
        if check < 10:
            yield HistoryPerson(n, body + str(check))
        n += 1


@dataclass(frozen=True, slots=True)
class Trajectory:
    """One person's back-dated chain: the dates its messages carry (`timeline`, whose `today`
    is set per message) and the day each message is sent; None: not sent (yet)."""

    standard: Standard
    person: HistoryPerson
    timeline: Timeline
    verzoek: date | None  # the 315
    toewijzing: date  # the first 301
    start: date | None  # the 305
    stop: date | None  # the 307
    adjustment: date | None  # the adjusting 301

    def sends(self) -> tuple[tuple[date, str, bool], ...]:
        """(day, heenbericht, adjusting) in the order the chain sends them."""
        days = [(self.verzoek, "315", False), (self.toewijzing, "301", False),
                (self.start, "305", False), (self.stop, "307", False),
                (self.adjustment, "301", True)]  # fmt: skip
        return tuple((day, code, adjusted) for day, code, adjusted in days if day is not None)


def _wd(day: date, n: int) -> date:
    return shift_workdays(day, n)


def _late(rng: random.Random, on_time: float, tail: int) -> int:
    """Werkdagen after the clock: mostly 0-5, otherwise 6 to `tail`."""
    return rng.randint(0, 5) if rng.random() < on_time else rng.randint(6, tail)


def draw(rng: random.Random, today: date, standard: Standard, person: HistoryPerson) -> Trajectory:
    """One trajectory whose messages are all sent by yesterday (`last`) at the latest."""
    last = _wd(today, -1)
    sent_on = _wd(today, -rng.randint(2, WINDOW))
    toewijzingsdatum = _wd(sent_on, -min(15, int(rng.triangular(0, 16, 2))))
    verzoek = None
    if rng.random() < VERZOEK:  # the 315 came first; the gemeente decided after it
        verzoek = _wd(sent_on, -_late(rng, 0.8, 15))
        toewijzingsdatum = max(toewijzingsdatum, verzoek)
    kind = rng.random()
    if kind < RETROACTIVE:
        ingangsdatum = _wd(sent_on, -min(60, 1 + int(rng.expovariate(1 / 12))))
    elif kind < RETROACTIVE + FUTURE:
        ingangsdatum = _wd(sent_on, rng.randint(1, 20))
    else:
        ingangsdatum = sent_on
    # It still runs today, so no stop is missing and every stop shortens it.
    einddatum = max(
        ingangsdatum + timedelta(days=rng.randint(91, 365)),
        today + timedelta(days=rng.randint(20, 120)),
    )
    begins = [max(ingangsdatum, _wd(sent_on, rng.randint(-10, 10))) for _ in range(2)]
    # The clock runs from the Begindatum, or from the 301 when that came later (domain.md §5).
    start = _wd(max(*begins, sent_on), _late(rng, START_ON_TIME, 40))
    # Care mostly stops on both lines at once; now and then one line a little earlier.
    end = _wd(max(begins), rng.randint(3, 25))
    ends = [max(b, _wd(end, -rng.choice((0, 0, 0, 1, 3)))) for b in begins]
    stop = max(start, _wd(max(ends), _late(rng, STOP_ON_TIME, 30)))
    adjustment = _wd(stop, min(40, 1 + int(rng.expovariate(1 / 6))))
    stops = rng.random() < STOPPED
    adjusts = stops and rng.random() < ADJUSTED
    timeline = Timeline(
        today=sent_on,
        toewijzingsdatum=toewijzingsdatum,
        toewijzingstijd=f"{rng.randint(8, 11):02d}:{rng.randint(0, 59):02d}:00",
        ingangsdatum=ingangsdatum,
        einddatum=einddatum,
        lines=tuple(Line(b, e) for b, e in zip(begins, ends, strict=True)),
        stops=stops,
        adjust_after=None,
        adjusted_tijd=f"{rng.randint(13, 16):02d}:{rng.randint(0, 59):02d}:00",
        reden_wijziging=REDEN_WIJZIGING[standard],
        verzoek=verzoek is not None,
    )
    started = start <= last
    stopped = started and stops and stop <= last
    return Trajectory(
        standard, person, timeline, verzoek, sent_on,
        start if started else None,
        stop if stopped else None,
        adjustment if stopped and adjusts and adjustment <= last else None,
    )  # fmt: skip


def trajectories(today: date, count: int = TRAJECTORIES) -> list[Trajectory]:
    """The seeded history's trajectories for `today`: the same ones for the same day."""
    rng = random.Random(SEED)
    persons = history_persons()
    return [
        draw(rng, today, rng.choice((Standard.IWMO, Standard.IJW, Standard.IWMO)), next(persons))
        for _ in range(count)
    ]


def messages(today: date, count: int = TRAJECTORIES) -> list[tuple[str, bytes]]:
    """Every heenbericht of the seeded history, as (file name, payload), numbered in the order
    they were drawn (the import puts them in the chain's order by their Dagtekening)."""
    out: list[tuple[str, bytes]] = []
    for t in trajectories(today, count):
        for day, code, adjusted in t.sends():
            n = len(out) + 1
            timeline = dataclasses.replace(t.timeline, today=day)
            payload = personalise(
                template(t.standard, code), _IDENTIFICATIE.format(n), None, t.person, timeline,
                adjusted=adjusted,
            )  # fmt: skip
            out.append((f"{n:05d}-{t.standard.value}{code}.xml", payload))
    return out


@dataclass(frozen=True, slots=True)
class Seeded:
    """What seeding did: `messages` imported now (0: seeded before), what was skipped."""

    messages: int
    first: date | None = None
    last: date | None = None
    skipped: tuple[str, ...] = ()

    def line(self) -> str:
        """The console line `hub up --demo` prints."""
        if self.skipped:
            return (
                f"demo: seeding history skipped {len(self.skipped)} messages "
                f"(first: {self.skipped[0]})"
            )
        if self.messages == 0:
            return "demo: history seeded on an earlier start (kept in the database)"
        return (
            f"demo: seeded {self.messages} messages of history (3 months, {self.first} to "
            f"{self.last}) for the sleutelmomenten report"
        )


async def seed(
    pool: Pool,
    validator: Validator,
    secret: bytes,
    policy: PolicyBook,
    today: date,
    count: int = TRAJECTORIES,
) -> Seeded:
    """Import the seeded history, unless this database has it already (the first message's
    Identificatie is recorded: a history seeded on another day has other dates, which the
    import would refuse as contradicting, TR056)."""
    payloads = messages(today, count)
    first = xmlcodec.read_envelope(xmlcodec.parse_message(payloads[0][1]))
    key = IdentificatieKey(
        first.afzender or "", first.bericht_code or "", first.identificatie or ""
    )
    async with pool.acquire() as conn:
        if await import_store.identificatie_owners(conn, [key]):
            return Seeded(0)
    with tempfile.TemporaryDirectory(prefix="hub-demo-history-") as folder:
        for name, payload in payloads:
            (Path(folder) / name).write_bytes(payload)
        result: Result = await run_import(
            pool, [Path(folder)], validator, secret, policy, progress=Progress(None)
        )
    days = [day for t in trajectories(today, count) for day, _, _ in t.sends()]
    return Seeded(
        sum(result.counts.imported.values()),
        min(days, default=None),
        max(days, default=None),
        tuple(f"{p.name}: {p.reason}" for p in result.problems),
    )
