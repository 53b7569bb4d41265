"""The key moments the hub measures, their clocks and deadlines (domain.md §5), and the value
one measurement is: which moment, whose (parties and keyed person), how many werkdagen late."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import Final
from uuid import UUID

from hub.domain.sleutelmomenten.lateness import plausible, werkdagen_late


class Moment(StrEnum):
    """A key moment; its value is the `moment` column and the metrics' `moment` label."""

    TOEWIJZING = "toewijzing"  # a new toewijzing's 301 against its Ingangsdatum
    TOEWIJZINGSDATUM = "toewijzingsdatum"  # every 301 version against its Toewijzingsdatum
    ANTWOORD = "antwoord"  # the 301 / 319 against the receipt of the 315 / 317 it answers
    START = "start"  # a 305 line against its Begindatum (or the retroactive 301's receipt)
    STOP = "stop"  # a 307 line against its Einddatum
    AANPASSING = "aanpassing"  # the 301 shortening a toewijzing after a 307, from the 307
    DECLARATIE = "declaratie"  # the 325 against the receipt of its 323


class Outcome(StrEnum):
    """What one measurement says; only ON_TIME and LATE make up a moment's on-time share."""

    ON_TIME = "on_time"  # within the moment's deadline
    LATE = "late"  # past it
    MEASURED = "measured"  # lateness known, but no deadline applies (none in the standard)
    OPEN = "open"  # the message the clock waits for has not come (yet)
    IMPLAUSIBLE = "implausible"  # dates the standard allows but that make no sense here


class Source(StrEnum):
    LIVE = "live"  # a message through intake: arrived = the hub's receipt, Amsterdam date
    IMPORT = "import"  # `hub history import`: arrived = the message's Dagtekening


@dataclass(frozen=True, slots=True)
class MomentSpec:
    """A moment's clock: deadline in werkdagen (None where the standard sets none), a title for
    people, where the deadline comes from, and whether a low on-time share pages someone
    (`alerting`: only where the deadline is the standard's, not the hub's own measure)."""

    moment: Moment
    deadline: int | None
    title: str
    clock: str
    alerting: bool = False


SPECS: Final[Mapping[Moment, MomentSpec]] = MappingProxyType(
    {
        s.moment: s
        for s in (
            MomentSpec(
                Moment.TOEWIJZING, 0, "Toewijzing on time (not retroactive)",
                "a new toewijzing's first 301 against its Ingangsdatum; on time when it arrives "
                "no later than the Ingangsdatum (the standard allows retroactive toewijzingen, "
                "OP080: this counts how often and by how much)",
                # Not alerting: "on time" here is the hub's own measure, not a deadline of the
                # standard, and parties say 80% of toewijzingen arrive retroactively: an alert
                # would page for the chain's normal state, with nobody in breach.
                alerting=False,
            ),
            MomentSpec(
                Moment.TOEWIJZINGSDATUM, None, "Toewijzing sent after its decision",
                "every 301 version against its own Toewijzingsdatum; the standard sets no "
                "deadline, so only the lateness is reported",
            ),
            MomentSpec(
                Moment.ANTWOORD, 5, "Answer to a verzoek (301/319)",
                "the gemeente's 301 or 319 within 5 werkdagen after receipt of the 315/317 "
                "(domain.md §5)",
                alerting=True,
            ),
            MomentSpec(
                Moment.START, 5, "Start zorg (305)",
                "within 5 werkdagen after the Begindatum, or after receipt of the 301 when it "
                "was assigned retroactively (domain.md §5)",
                alerting=True,
            ),
            MomentSpec(
                Moment.STOP, 5, "Stop zorg (307)",
                "within 5 werkdagen after the Einddatum (OP272); a definitive stop after a "
                "temporary one is measured without deadline (the hub cannot know when the stop "
                "became definitive)",
                alerting=True,
            ),
            MomentSpec(
                Moment.AANPASSING, None, "Toewijzing adjusted after a stop (301)",
                "the gemeente's 301 that shortens the toewijzing after a 307, from the 307's "
                "receipt; the standard sets no deadline, so lateness and those still open",
            ),
            MomentSpec(
                Moment.DECLARATIE, 10, "Declaratie-antwoord (325)",
                "within 10 werkdagen after receipt of the 323 (OP090x4, domain.md §5)",
                alerting=True,
            ),
        )
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Measurement:
    """One key moment of one line, as stored in table `sleutelmoment`. No BSN: the person is
    its keyed hash. `arrived`, `werkdagen` and `message_id` are None while the moment is OPEN."""

    moment: Moment
    outcome: Outcome
    source: Source
    domain: str  # "iwmo" / "ijw"
    gemeente: str
    aanbieder: str
    person_key: str | None
    toewijzing_nummer: str  # "" where the moment has none (325, 319, taakgericht)
    reference: str  # the other name of the line: ReferentieAanbieder, 323 Identificatie, ""
    reference_date: date  # the day the clock runs from
    arrived: date | None
    werkdagen: int | None  # werkdagen_late(reference_date, arrived); negative: early
    deadline: int | None
    message_id: UUID | None  # the message measured
    about_id: UUID | None  # the message the clock started from (315/317, 323, 307), if any
    line: str = ""  # where in the message (the line's path): one measurement per line


@dataclass(frozen=True, slots=True)
class Shortening:
    """A 301 version that ends a toewijzing earlier than its previous version did (or ends one
    that had no Einddatum), or deletes it: what the productperiode-conflict check looks at."""

    domain: str
    gemeente: str
    aanbieder: str
    person_key: str
    toewijzing_nummer: str
    einddatum: date  # the new Einddatum
    previous_einddatum: date | None  # None: it had none
    message_id: UUID  # the 301
    # The 301 deleted the toewijzing (Einddatum = Ingangsdatum, RedenWijziging 13 / 01): it
    # never was, so every prestatie declared on it will be refused, whatever its period.
    deleted: bool = False


def judge(
    moment: Moment, reference: date, arrived: date, deadline: int | None = -1
) -> tuple[Outcome, int]:
    """The outcome and werkdagen of a message that arrived on `arrived` for a clock running
    from `reference`; `deadline` defaults to the moment's own (pass None for none)."""
    allowed = SPECS[moment].deadline if deadline == -1 else deadline
    late = werkdagen_late(reference, arrived)
    if not plausible(reference, arrived):
        return Outcome.IMPLAUSIBLE, late
    if allowed is None:
        return Outcome.MEASURED, late
    return (Outcome.ON_TIME if late <= allowed else Outcome.LATE), late
