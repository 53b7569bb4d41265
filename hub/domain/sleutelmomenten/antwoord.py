"""The antwoord moment: a verzoek's (315/317) answer clock that the gemeente's 301 or 319 met,
and the measurement it gives (the answer's receipt against the verzoek's, 5 werkdagen)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from hub.domain import workdays
from hub.domain.sleutelmomenten.measure import judged
from hub.domain.sleutelmomenten.moments import SPECS, Measurement, Moment, Source


@dataclass(frozen=True, slots=True)
class Answered:
    """One verzoek reference an accepted 301 / 319 answered: closed for good, or (a 319 "in
    onderzoek") met in time and extended to the final clock. `first`: the answer met the
    first clock (5 werkdagen); the final answer after "in onderzoek" did not."""

    standard: str  # "iwmo" / "ijw"
    gemeente: str
    aanbieder: str
    person_key: str | None
    referentie: str  # ReferentieAanbieder
    verzoek_id: UUID  # the 315 / 317
    verzoek_received: datetime
    answer_id: UUID  # the 301 / 319
    answered_at: datetime
    first: bool


def antwoord(
    answered: Answered, *, nummer: str = "", line: str = "", source: Source = Source.LIVE
) -> Measurement | None:
    """The antwoord measurement of an answer that met the first clock (None for the final
    answer after "in onderzoek": its clock is the 8 weeks, not the 5 werkdagen measured).
    `nummer` and `line`: the ToegewezenProduct of a 301 carrying the reference, if known."""
    if not answered.first:
        return None
    deadline = SPECS[Moment.ANTWOORD].deadline
    reference = workdays.local_date(answered.verzoek_received)
    arrived = workdays.local_date(answered.answered_at)
    outcome, late = judged(reference, arrived, deadline)
    return Measurement(
        Moment.ANTWOORD, outcome, source, answered.standard, answered.gemeente,
        answered.aanbieder, answered.person_key, nummer, answered.referentie, reference, arrived,
        late, deadline, answered.answer_id, answered.verzoek_id, line,
    )  # fmt: skip
