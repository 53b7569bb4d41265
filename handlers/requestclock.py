"""The answer clock of verzoeken: a 315 / 317 expects the gemeente's 301 or 319 carrying its
ReferentieAanbieder within 5 werkdagen; a 319 "in onderzoek" meets that clock and starts a
second one, the final 301 or 319 within 8 weeks of the verzoek's Dagtekening (domain.md §5).

Intake records and answers clocks in its batch transaction (`record`); the deadline watch
raises `request.overdue` once per overdue clock (`scan_once`).

Readings: the 5 werkdagen count from the hub's receipt of the verzoek, as the retour deadline
does (`workdays.add_workdays`: the day of receipt is day 0, the deadline the end of the fifth
werkdag, Amsterdam time). "8 weken after dagtekening" ends with the 56th calendar day after
the Dagtekening (its end, Amsterdam time): weeks are calendar weeks, not werkdagen. A 301
answers whichever clock runs; a 319 VerzoekAntwoord 1 (afgewezen) too; a 319 VerzoekAntwoord
2 only the first (TR360: "in onderzoek" at most once). Only accepted answers count: a 301 or
319 the hub refused never reached the aanbieder.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Final

from lxml import etree

from hub.domain import events, topics, workdays, xmlcodec
from hub.domain.messages import Standard
from hub.domain.sleutelmomenten.antwoord import Answered
from hub.infra import metrics, outbox
from hub.infra.store import requests as table
from hub.infra.store.base import DbConnection

if TYPE_CHECKING:
    from handlers.derive import Accepted
    from hub.infra.runtime import Runtime

log = logging.getLogger(__name__)

ANSWER_WORKDAYS: Final = 5  # WMO301 / WMO319 within 5 werkdagen of the 315 / 317
FINAL_ANSWER_WEEKS: Final = 8  # after "in onderzoek": the final answer within 8 weeks
IN_ONDERZOEK: Final = "2"  # VerzoekAntwoord 2; 1 is afgewezen
_REQUESTS: Final = frozenset({315, 317})
_ANSWERS: Final = frozenset({301, 319})
_STANDARDS: Final = frozenset({Standard.IWMO, Standard.IJW})


def answer_deadline(received_at: datetime) -> datetime:
    """When the gemeente's 301 / 319 to a verzoek received at `received_at` is due."""
    return workdays.add_workdays(received_at, ANSWER_WORKDAYS)


def final_deadline(dagtekening: date) -> datetime:
    """When the final answer after "in onderzoek" is due: the end of the day 8 weeks after
    the verzoek's Dagtekening (Europe/Amsterdam)."""
    last = dagtekening + timedelta(weeks=FINAL_ANSWER_WEEKS)
    return datetime.combine(last, time.max, tzinfo=workdays.AMSTERDAM)


def _referenties(root: etree._Element) -> list[str]:
    """The ReferentieAanbieder values of a 315 (per AangevraagdProduct), 317 (Verzoek), 301
    (per ToegewezenProduct) or 319 (Antwoord): the element occurs nowhere else in them."""
    found = (xmlcodec.text_of(el) for el in root.iter("{*}ReferentieAanbieder"))
    return list(dict.fromkeys(v.strip() for v in found if v and v.strip()))


def _referenties_of(accepted: Accepted) -> list[str]:
    """The references from the history facts intake already read (the XML's when it has none):
    AangevraagdProducten (315), the Verzoek (317), ToegewezenProducten (301), Antwoord (319)."""
    f = accepted.facts
    if f is None:
        return _referenties(accepted.root)
    refs = [a.referentie for a in f.aanvragen]
    refs.extend(t.referentie for t in f.toewijzingen)
    if f.verzoek is not None:
        refs.append(f.verzoek.referentie)
    if f.request_answer is not None:
        refs.append(f.request_answer.referentie)
    return list(dict.fromkeys(r for r in refs if r))


def _dagtekening(root: etree._Element, received_at: datetime) -> date:
    text = xmlcodec.child_text(root, "Header", "BerichtIdentificatie", "Dagtekening")
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        return workdays.local_date(received_at)  # cannot happen past the XSD; never fail


def requests_of(accepted: Accepted) -> list[table.Request]:
    """The clocks an accepted 315 / 317 starts, one per ReferentieAanbieder."""
    mt, row = accepted.message_type, accepted.row
    if mt.number not in _REQUESTS or mt.standard not in _STANDARDS:
        return []
    if not (row.sender and row.receiver and row.bericht_code):
        return []
    facts = accepted.facts
    dagtekening = (
        facts.dagtekening
        if facts is not None and facts.dagtekening is not None
        else _dagtekening(accepted.root, row.received_at)
    )
    return [
        table.Request(
            message_id=row.id,
            referentie=ref,
            standard=mt.standard.value,
            message_type=mt.name,
            bericht_code=row.bericht_code,
            release=row.release,
            aanbieder=row.sender,
            gemeente=row.receiver,
            person_key=row.person_key,
            received_at=row.received_at,
            dagtekening=dagtekening,
            due=answer_deadline(row.received_at),
            final_due=final_deadline(dagtekening),
        )
        for ref in _referenties_of(accepted)
    ]


def answers_of(accepted: Accepted) -> list[table.Answer]:
    """What an accepted 301 / 319 from a gemeente says about the aanbieder's verzoeken."""
    mt, row = accepted.message_type, accepted.row
    if mt.number not in _ANSWERS or mt.standard not in _STANDARDS:
        return []
    if not (row.sender and row.receiver):
        return []
    facts = accepted.facts
    if facts is not None and facts.request_answer is not None:
        interim = facts.request_answer.verzoek_antwoord == IN_ONDERZOEK
    else:
        interim = mt.number == 319 and (
            xmlcodec.child_text(accepted.root, "Antwoord", "VerzoekAntwoord") == IN_ONDERZOEK
        )
    return [
        table.Answer(
            standard=mt.standard.value,
            aanbieder=row.receiver,
            gemeente=row.sender,
            referentie=ref,
            message_id=row.id,
            at=row.received_at,
            interim=interim,
        )
        for ref in _referenties_of(accepted)
    ]


async def record(conn: DbConnection, accepted: Sequence[Accepted]) -> list[Answered]:
    """Intake's step: start the clocks of this batch's verzoeken, then apply its answers in
    arrival order (an answer later in the same batch finds its verzoek). Returns the clocks
    the answers closed or extended (the antwoord sleutelmoment: handlers/sleutelmomenten.py)."""
    await table.record(conn, [r for a in accepted for r in requests_of(a)])
    return await table.answer(conn, [x for a in accepted for x in answers_of(a)])


async def scan_once(runtime: Runtime, now: datetime) -> int:
    """Raise request.overdue for every clock that ran out; several cores never raise twice.
    Refreshes the isdhub_requests_overdue gauge."""
    topic = topics.name(runtime.settings, topics.EVENTS)
    async with runtime.pool.acquire() as conn, conn.transaction():
        late = await table.claim_overdue(conn, now)
        await outbox.add(conn, [events.request_overdue_to_outbox(topic, o, now) for o in late])
        waiting = await table.count_overdue(conn, now)
    metrics.REQUESTS_OVERDUE.set(waiting)
    if late:
        metrics.REQUESTS_OVERDUE_RAISED.inc(len(late))
        log.info("%d verzoek reference(s) overdue for the gemeente's answer", len(late))
        runtime.wake_relay()
    return len(late)
