"""The demo's dates: one seeded draw per trajectory of when its toewijzing was decided, when it
starts and ends, when care started and stopped and whether the gemeente adjusts it afterwards,
spread like the chain's lateness, and the messages rewritten to those dates.

Every message of a trajectory is sent on the same day (`today`, the Amsterdam date, which is
also each message's Dagtekening), so the lateness lives in the dates the messages carry:
- most toewijzingen are retroactive (an Ingangsdatum some werkdagen back: "80% arrive late"),
  a few start today or later; the Toewijzingsdatum is 0 to 15 werkdagen before today;
- a stop's Einddatum is 0 to 30 werkdagen back (never after today: TR134), within the
  toewijzing, which ends months after today;
- a start's Begindatum is mostly 0 to 5 werkdagen back, with a fat tail of 6 to 40, but never
  before the Ingangsdatum nor after the stop's Einddatum (TR018);
- after the stop most gemeenten send an adjusting 301 (the same ToewijzingNummer, a later
  Toewijzingsdatum/-tijd, Einddatum = the stop's), a few trajectories later; some never do;
- a few providers forget the stop: their toewijzing ended already and no 307 follows;
- a few trajectories open with the provider's verzoek om toewijzing (315) for the toewijzing's
  period, which the gemeente's first 301 honours.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from lxml import etree

from hub.domain import xmlcodec
from hub.domain.messages import Standard
from hub.domain.workdays import shift_workdays

RETROACTIVE: Final = 0.8  # toewijzingen with an Ingangsdatum before today
FUTURE: Final = 0.1  # toewijzingen that start after today (the rest start today)
START_ON_TIME: Final = 0.75  # Begindatum 0-5 werkdagen back; the others 6-40
STOP_ON_TIME: Final = 0.7  # Einddatum 0-5 werkdagen back; the others 6-30
FORGOTTEN_STOP: Final = 0.1  # started trajectories whose provider never sends the 307
ADJUSTED: Final = 0.7  # stopped trajectories whose gemeente sends the adjusting 301
ADJUST_WITHIN: Final = 4  # the adjusting 301 comes 0 to this many trajectories later
VERZOEK: Final = 0.15  # trajectories the provider opens with a 315, which the first 301 honours

# The reason the adjusting 301 gives for ending the toewijzing at the stop. The samples stop
# with RedenBeeindiging 31, which is "verhuizing andere gemeente" in iWmo (mapped to
# RedenWijziging 07, domain.md §4) and the definitive "volgens plan" in iJw (rules.md §4): a
# plan that ended before the toewijzing did is a shortening, 05 "Herbeoordeling verkorting".
REDEN_WIJZIGING: Final = {Standard.IWMO: "07", Standard.IJW: "05"}


@dataclass(frozen=True, slots=True)
class Line:
    """One toewijzing line's care: its 305's Begindatum and its 307's Einddatum."""

    begindatum: date
    einddatum: date


@dataclass(frozen=True, slots=True)
class Timeline:
    """The dates of one trajectory, all relative to `today`, the day its messages are sent."""

    today: date
    toewijzingsdatum: date
    toewijzingstijd: str
    ingangsdatum: date
    einddatum: date  # the toewijzing's, as first assigned
    lines: tuple[Line, ...]  # in the samples' line order
    stops: bool  # a 307 follows the 305 (False: the provider forgets it)
    adjust_after: int | None  # trajectories until the adjusting 301; None: never sent
    adjusted_tijd: str  # the adjusting 301's Toewijzingstijd (its date is `today`)
    reden_wijziging: str
    verzoek: bool = False  # a 315 asks for the toewijzing first; the first 301 honours it

    @property
    def starts(self) -> bool:
        """Care can have started: a 305 dated today may carry a Begindatum from the
        Ingangsdatum on (TR134 forbids a Begindatum after the Dagtekening)."""
        return self.ingangsdatum <= self.today

    def codes(self) -> tuple[tuple[str, str], ...]:
        """The (heen, retour) pairs this trajectory sends, in order."""
        pairs = [("315", "316")] if self.verzoek else []
        pairs.append(("301", "302"))
        if self.starts:
            pairs.append(("305", "306"))
            if self.stops:
                pairs.append(("307", "308"))
        return tuple(pairs)


def _back(rng: random.Random, today: date, low: int, high: int) -> date:
    return shift_workdays(today, -rng.randint(low, high))


def _tijd(rng: random.Random, first_hour: int, last_hour: int) -> str:
    return f"{rng.randint(first_hour, last_hour):02d}:{rng.randint(0, 59):02d}:00"


def draw(seed: int, today: date, standard: Standard, lines: int = 2) -> Timeline:
    """The dates of one trajectory, the same for the same seed and day."""
    rng = random.Random(seed)
    toewijzingsdatum = shift_workdays(today, -min(15, int(rng.triangular(0, 16, 2))))
    kind = rng.random()
    if kind < RETROACTIVE:
        # Mostly a week or three back, now and then a quarter.
        ingangsdatum = shift_workdays(today, -min(60, 1 + int(rng.expovariate(1 / 12))))
    elif kind < RETROACTIVE + FUTURE:
        ingangsdatum = shift_workdays(today, rng.randint(1, 20))
    else:
        ingangsdatum = today
    einddatum = ingangsdatum + timedelta(days=rng.randint(91, 365))
    care: list[Line] = []
    for _ in range(lines):
        if ingangsdatum > today:  # not started: these dates are never sent
            care.append(Line(ingangsdatum, ingangsdatum))
            continue
        # All of a trajectory goes out today, so its care cannot have stopped before it began:
        # the stop (the moment the dashboard can show late) is drawn first, within the
        # toewijzing, and the start's Begindatum at or before it.
        on_time = rng.random() < STOP_ON_TIME
        end = max(ingangsdatum, _back(rng, today, *((0, 5) if on_time else (6, 30))))
        on_time = rng.random() < START_ON_TIME
        begin = _back(rng, today, *((0, 5) if on_time else (6, 40)))
        care.append(Line(min(max(ingangsdatum, begin), end), end))
    stops = True
    last_begin = max(line.begindatum for line in care)
    if ingangsdatum <= today and rng.random() < FORGOTTEN_STOP:
        # Care ended (by yesterday at the latest) and the toewijzing with it, but no 307 says
        # so; an Einddatum after the Ingangsdatum, so it never has a deletion's shape.
        ended = min(max(line.einddatum for line in care), shift_workdays(today, -1))
        if max(last_begin, ingangsdatum + timedelta(days=1)) <= ended:
            einddatum, stops = ended, False
    adjust_after = rng.randint(0, ADJUST_WITHIN) if rng.random() < ADJUSTED else None
    verzoek = rng.random() < VERZOEK
    return Timeline(
        today=today,
        toewijzingsdatum=toewijzingsdatum,
        toewijzingstijd=_tijd(rng, 8, 11),
        ingangsdatum=ingangsdatum,
        einddatum=einddatum,
        lines=tuple(care),
        stops=stops,
        adjust_after=adjust_after if stops and ingangsdatum <= today else None,
        adjusted_tijd=_tijd(rng, 13, 16),
        reden_wijziging=REDEN_WIJZIGING[standard],
        verzoek=verzoek,
    )


def _set(parent: etree._Element | None, name: str, value: str) -> None:
    element = xmlcodec.child(parent, name)
    if element is not None:
        element.text = value


def _lines(root: etree._Element, name: str) -> Iterable[tuple[etree._Element, int]]:
    return ((element, i) for i, element in enumerate(root.iter(f"{{*}}{name}")))


def redate(root: etree._Element, timeline: Timeline, *, adjusted: bool = False) -> None:
    """Rewrite `root` in place to the trajectory's dates: the Dagtekening (and a retour's
    DagtekeningRetour) is today; each line's dates are its own. `adjusted`: the 301 is the
    version that ends every line at its stop's Einddatum, decided today after the first."""
    header = xmlcodec.child(root, "Header")
    today = timeline.today.isoformat()
    _set(xmlcodec.child(header, "BerichtIdentificatie"), "Dagtekening", today)
    _set(header, "DagtekeningRetour", today)
    n = len(timeline.lines)
    for element, i in _lines(root, "ToegewezenProduct"):
        line = timeline.lines[i % n]
        _set(
            element,
            "Toewijzingsdatum",
            today if adjusted else timeline.toewijzingsdatum.isoformat(),
        )
        tijd = timeline.adjusted_tijd if adjusted else timeline.toewijzingstijd
        _set(element, "Toewijzingstijd", tijd)
        _set(element, "Ingangsdatum", timeline.ingangsdatum.isoformat())
        einde = line.einddatum if adjusted else timeline.einddatum
        _set(element, "Einddatum", einde.isoformat())
        if adjusted:
            _reden(element, timeline.reden_wijziging)
    for element, _ in _lines(root, "AangevraagdProduct"):  # the 315 asks for this period
        _set(element, "ToewijzingIngangsdatum", timeline.ingangsdatum.isoformat())
        _set(element, "ToewijzingEinddatum", timeline.einddatum.isoformat())
    for name in ("StartProduct", "StopProduct"):
        for element, i in _lines(root, name):
            line = timeline.lines[i % n]
            _set(element, "ToewijzingIngangsdatum", timeline.ingangsdatum.isoformat())
            _set(element, "Begindatum", line.begindatum.isoformat())
            if name == "StopProduct":
                _set(element, "Einddatum", line.einddatum.isoformat())


def _reden(product: etree._Element, code: str) -> None:
    """Set the line's RedenWijziging, placed right after its Einddatum as the XSD orders it."""
    existing = xmlcodec.child(product, "RedenWijziging")
    if existing is not None:
        existing.text = code
        return
    einde = xmlcodec.child(product, "Einddatum")
    if einde is None:
        return
    namespace = etree.QName(einde).namespace
    element = etree.Element(f"{{{namespace}}}RedenWijziging" if namespace else "RedenWijziging")
    element.text = code
    element.tail = einde.tail
    einde.addnext(element)
