"""History rules (controleniveau 3, berichtoverstijgend): pure checks against earlier messages.

Two phases keep the rules pure and batch-friendly:

    facts = [extract(root, name, secret, message_id=mid) for ...]   # hub.domain.history.facts
    state = await store.load_history(conn, facts)                   # one query per table
    for f in facts:
        outcome = evaluate(f, state)
        if <the caller accepts the message>:
            state = state.with_effects(outcome.effects)             # later messages see it
            to_write.append(outcome.effects)
    await store.apply_history(conn, to_write)                       # in the same transaction

Lines of one message are evaluated in document order and each line sees the lines before it
that raised no finding. Run this only on messages that passed levels 1 and 2, and skip
redeliveries (a message id already in the ledger): evaluating a redelivery reports its own
earlier effects back (TR056, TR074).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from hub.domain.findings import Finding
from hub.domain.history.declaratie import check_declaratie, check_toewijzing_deletes
from hub.domain.history.declaratie_rules import DECLARATIE_RULES
from hub.domain.history.facts import (
    DELETE,
    HistoryFacts,
    Scope,
    StartKey,
    StartLine,
    StopKey,
    StopLine,
    ToewijzingLine,
    extract,
)
from hub.domain.history.reading import HistoryInputError
from hub.domain.history.requests import (
    REQUEST_RULES,
    check_aanvraag,
    check_antwoord,
    check_toewijzingen,
    check_verzoek,
)
from hub.domain.history.rule import HistoryRule
from hub.domain.history.state import (
    Answer,
    ClientHistory,
    HistoryEffects,
    HistoryState,
    IdentificatieKey,
    Request,
    RequestKey,
    apply_to_client,
)
from hub.domain.messages import CATALOGUE, Direction
from hub.domain.rules.base import names

__all__ = [
    "RULES",
    "ClientHistory",
    "HistoryEffects",
    "HistoryFacts",
    "HistoryInputError",
    "HistoryOutcome",
    "HistoryRule",
    "HistoryState",
    "IdentificatieKey",
    "Scope",
    "StartKey",
    "StartLine",
    "StopKey",
    "StopLine",
    "ToewijzingLine",
    "evaluate",
    "extract",
]


_NOT_RETOUR: Final = frozenset(
    mt.name for mt in CATALOGUE.values() if mt.direction is not Direction.RETOUR
)

TR056: Final = HistoryRule(
    "TR056",
    "9056",
    "Identificatie moet per berichtsoort uniek zijn voor de verzendende partij",
    _NOT_RETOUR,
)
TR019: Final = HistoryRule(
    "TR019",
    "9019",
    "Start of stop moet via ToewijzingNummer aan een toewijzing gekoppeld kunnen worden",
    names(305, 307),
)
TR074: Final = HistoryRule(
    "TR074",
    "9074",
    "Een eerste aanlevering mag geen logische sleutel hebben die al eerder ontvangen is",
    names(305, 307),
)
TR326: Final = HistoryRule(
    "TR326",
    "9326",
    "Een nieuwe start mag alleen als er geen actuele start is voor het toegewezen product",
    names(305),
)
TR063: Final = HistoryRule(
    "TR063",
    "9063",
    "Een verwijdering vraagt een eerdere aanlevering met dezelfde logische sleutel",
    names(305, 307),
)
TR071: Final = HistoryRule(
    "TR071",
    "9071",
    "Een start kan niet verwijderd worden als er al een stop voor is",
    names(305),
)
TR382: Final = HistoryRule(
    "TR382",
    "9069",
    "Een stop vraagt een actuele start met dezelfde sleutelgegevens",
    names(307),
)
TR413: Final = HistoryRule(
    "TR413",
    "9413",
    "Na een tijdelijke stop mag geen tweede tijdelijke stop volgen zonder nieuwe start",
    names(307),
)
TR414: Final = HistoryRule(
    "TR414",
    "9414",
    "Einddatum mag niet voor de Einddatum van de actuele tijdelijke stop liggen",
    names(307),
)
TR415: Final = HistoryRule(
    "TR415",
    "9415",
    "Er mag maar een definitieve stop zijn voor een start",
    names(307),
)

# In the order a line's findings are reported.
RULES: Final[tuple[HistoryRule, ...]] = (
    TR056,
    TR019,
    TR074,
    TR063,
    TR071,
    TR326,
    TR382,
    TR413,
    TR414,
    TR415,
    *REQUEST_RULES,  # 301 TR332/TR379, 315, 317, 319 (hub/domain/history/requests.py)
    *DECLARATIE_RULES,  # 323, 325 and TR385 (hub/domain/history/declaratie_rules.py)
)


@dataclass(frozen=True, slots=True)
class HistoryOutcome:
    """The findings on one message and what it adds to the history when accepted."""

    findings: tuple[Finding, ...]
    effects: HistoryEffects


def evaluate(facts: HistoryFacts, state: HistoryState) -> HistoryOutcome:
    """Check one message against the history before it."""
    findings: list[Finding] = []
    ident = IdentificatieKey(facts.sender, facts.berichtsoort, facts.identificatie)
    if ident in state.identificaties:
        findings.append(
            TR056.finding(
                facts.identificatie_location,
                "this Identificatie was already used by this sender for this berichtsoort",
            )
        )
    if facts.declaratie is not None or facts.declaratie_antwoord is not None:
        found, declaratie = check_declaratie(facts, state, refused=bool(findings))
        effects = HistoryEffects(facts.message_id, ident, declaratie=declaratie)
        return HistoryOutcome((*findings, *found), effects)
    if facts.request_answer is not None:  # 319: no Client; answers a request by reference
        found, _, answers = check_antwoord(facts, state)
        effects = HistoryEffects(facts.message_id, ident, domain=facts.domain, answers=answers)
        return HistoryOutcome((*findings, *found), effects)
    scope = facts.scope
    if scope is None:
        return HistoryOutcome(tuple(findings), HistoryEffects(facts.message_id, ident))

    client = state.client(scope)
    # Each key's last state in this message: deleted (True) or delivered (False).
    start_states: dict[StartKey, bool] = {}
    stop_states: dict[StopKey, bool] = {}
    for start in facts.starts:
        found = list(_check_start(start, client))
        findings.extend(found)
        if not found:
            start_states[start.key] = start.status == DELETE
            client = _step(client, scope, start)
    for stop in facts.stops:
        found = list(_check_stop(stop, client))
        findings.extend(found)
        if not found:
            stop_states[stop.key] = stop.status == DELETE
            client = _step(client, scope, stop)
    # A key delivered here and deleted after it is both new and deleted (applied in that
    # order); one deleted here and delivered again is only new.
    delivered = {s.key for s in facts.starts if s.status != DELETE}
    new_starts = [k for k, deleted in start_states.items() if not deleted or k in delivered]
    deleted_starts = [k for k, deleted in start_states.items() if deleted]
    delivered_stops = {s.key for s in facts.stops if s.status != DELETE}
    new_stops = [k for k, deleted in stop_states.items() if not deleted or k in delivered_stops]
    deleted_stops = [k for k, deleted in stop_states.items() if deleted]
    findings.extend(check_toewijzing_deletes(facts, state))  # TR385 (301)
    found, new_requests, answers = _check_requests(facts, scope, state)
    findings.extend(found)
    effects = HistoryEffects(
        message_id=facts.message_id,
        identificatie=ident,
        scope=scope,
        toewijzingen=facts.toewijzingen,
        new_starts=tuple(new_starts),
        deleted_starts=tuple(deleted_starts),
        new_stops=tuple(new_stops),
        deleted_stops=tuple(deleted_stops),
        domain=facts.domain,
        new_requests=new_requests,
        answers=answers,
    )
    return HistoryOutcome(tuple(findings), effects)


def _check_requests(
    facts: HistoryFacts, scope: Scope, state: HistoryState
) -> tuple[
    list[Finding],
    tuple[tuple[RequestKey, Request], ...],
    tuple[tuple[RequestKey, Answer], ...],
]:
    """The toewijzing and request rules of a 301, 315 or 317 (hub/domain/history/requests.py)."""
    if facts.toewijzingen:
        found, honoured = check_toewijzingen(facts, scope, state)
        return found, (), honoured
    if facts.aanvragen:
        return check_aanvraag(facts, scope, state)
    if facts.verzoek is not None:
        return check_verzoek(facts, scope, state)
    return [], (), ()


def _step(client: ClientHistory, scope: Scope, line: StartLine | StopLine) -> ClientHistory:
    """The client after one accepted line, so the next line of the message sees it."""
    if isinstance(line, StartLine):
        starts = (line.key,)
        effects = HistoryEffects(
            None,
            None,
            scope,
            new_starts=() if line.status == DELETE else starts,
            deleted_starts=starts if line.status == DELETE else (),
        )
    else:
        stops = (line.key,)
        effects = HistoryEffects(
            None,
            None,
            scope,
            new_stops=() if line.status == DELETE else stops,
            deleted_stops=stops if line.status == DELETE else (),
        )
    return apply_to_client(client, effects)


def _unlinked(key: StartKey, client: ClientHistory) -> bool:
    """TR019: a ToewijzingNummer that no 301 for this client gave (taakgericht has none)."""
    return bool(key.toewijzing) and key.toewijzing not in client.toewijzingen


def _check_start(line: StartLine, client: ClientHistory) -> Iterator[Finding]:
    key, at = line.key, line.location
    if line.status == DELETE:
        if key not in client.starts:
            yield TR063.finding(at, "no StartProduct with this logical key was delivered before")
        elif client.live_stops(key):
            yield TR071.finding(at, "this start cannot be deleted: a stop exists for it")
        return
    if _unlinked(key, client):
        yield TR019.finding(at, "ToewijzingNummer matches no toewijzing for this client")
    # READING 7 (rules.md §6): a deleted start does not block a re-send with its key, else
    # IV008's correction (a delete, then the same key again) could never be sent.
    if client.is_actual(key):
        yield TR074.finding(at, "a StartProduct with this logical key was received before")
    # Taakgericht (no ToewijzingNummer) has no toegewezen product for a start to be actual on.
    elif key.toewijzing and any(
        client.is_running(earlier) for earlier in client.starts if earlier.product == key.product
    ):
        yield TR326.finding(at, "an earlier start of this toegewezen product is still running")


def _check_stop(line: StopLine, client: ClientHistory) -> Iterator[Finding]:
    key, at = line.key, line.location
    if line.status == DELETE:
        if key not in client.stops:
            yield TR063.finding(at, "no StopProduct with this logical key was delivered before")
        return
    if _unlinked(key.start, client):
        yield TR019.finding(at, "ToewijzingNummer matches no toewijzing for this client")
    seen = client.stops.get(key) is False  # received and not deleted (READING 7)
    if seen:
        yield TR074.finding(at, "a StopProduct with this logical key was received before")
    if not client.is_actual(key.start):
        yield TR382.finding(at, "no actual StartProduct has the key elements of this stop")
        return
    if seen:
        return  # the rules below would compare the line with its own earlier delivery
    live = client.live_stops(key.start)
    temporary = [s for s in live if s.temporary]
    if key.temporary and temporary:
        yield TR413.finding(at, "this start already has a temporary stop")
    if temporary and key.einddatum < max(s.einddatum for s in temporary):
        yield TR414.finding(at, "Einddatum is before the Einddatum of the temporary stop")
    if any(not s.temporary for s in live):
        yield TR415.finding(at, "this start already has a definitive stop")
