"""One input of `hub history import` made ready to apply: a message validated with the packs
and read into its history facts, or a CSV row made into the facts of a 301 (and a 305)."""

from __future__ import annotations

import hashlib
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import date
from typing import Final

from hub.domain.history import HistoryFacts, HistoryInputError, extract
from hub.domain.history.facts import (
    IDENTIFICATIE_LOCATION,
    NEW,
    Parties,
    StartLine,
    ToewijzingLine,
)
from hub.domain.messages import Standard, by_name
from hub.domain.validation import Outcome, Validator
from hub.ops.historyimport.csvrows import CsvRow
from hub.ops.historyimport.sources import Problem

# The message kinds an import takes: those whose history the rules read (TR019, TR382, ...).
IMPORTED: Final = frozenset({301, 305, 307, 315, 317, 319})
# Of one day, the order the chain sends them in: a request before its toewijzing, the
# toewijzing before its start, a start before its stop.
_RANK: Final = {315: 0, 317: 1, 319: 2, 301: 3, 305: 4, 307: 5}
# Import ids are derived from the content, so a second import of the same file has the same id
# and is recognised as already imported.
NAMESPACE: Final = uuid.UUID("0b7c2f64-1c4e-4c55-9f1e-6a1f4d9e2a17")
_SHOWN_FINDINGS: Final = 3


@dataclass(frozen=True, slots=True)
class Prepared:
    """One message (or CSV row) ready to apply, with where it came from."""

    name: str
    facts: HistoryFacts
    order: tuple[date, int, int]  # Dagtekening, the kind's rank of the day, input order
    # The payload, compressed, of an iWmo 305/307 (its eigen-bijdrage lines are read when it
    # is applied, when the category of its toewijzing is known); None for anything else.
    packed: bytes | None = field(default=None, repr=False)
    csv: CsvRow | None = None  # a CSV row (no Identificatie is recorded for it)

    @property
    def message_id(self) -> uuid.UUID:
        assert self.facts.message_id is not None
        return self.facts.message_id

    def payload(self) -> bytes | None:
        return None if self.packed is None else zlib.decompress(self.packed)


def message(
    validator: Validator, name: str, data: bytes, secret: bytes, seq: int
) -> Prepared | Problem:
    """Validate one message file and read its history facts."""
    verdict = validator.validate(data)
    if verdict.outcome is Outcome.UNREADABLE:
        return Problem(name, f"not XML: {verdict.findings[0].sentence}")
    if verdict.outcome is Outcome.UNKNOWN:
        return Problem(name, f"unknown message type: {verdict.findings[0].sentence}")
    mt = verdict.message_type
    assert mt is not None
    assert verdict.root is not None
    if mt.standard is Standard.IEB or mt.number not in IMPORTED:
        kinds = ", ".join(str(n) for n in sorted(IMPORTED))
        return Problem(name, f"unknown message type for an import: {mt.name} (it takes {kinds})")
    if verdict.outcome is Outcome.INVALID:
        shown = "; ".join(
            f"{f.rule} {f.location}: {f.sentence}" for f in verdict.findings[:_SHOWN_FINDINGS]
        )
        more = len(verdict.findings) - _SHOWN_FINDINGS
        extra = f" (and {more} more)" if more > 0 else ""
        return Problem(name, f"fails validation ({mt.name}): {shown}{extra}")
    message_id = uuid.uuid5(NAMESPACE, hashlib.sha256(data).hexdigest())
    try:
        facts = extract(verdict.root, mt.name, secret, message_id=message_id)
    except HistoryInputError as exc:
        return Problem(name, f"history facts unreadable ({mt.name}): {exc}")
    lines = mt.standard is Standard.IWMO and mt.number in (305, 307)
    return Prepared(
        name,
        facts,
        (facts.dagtekening or date.min, _RANK[mt.number], seq),
        zlib.compress(data, 1) if lines else None,
    )


def csv_row(name: str, row: CsvRow, seq: int) -> list[Prepared]:
    """A CSV row as the 301 that gave its toewijzing and, with a start_begindatum, the 305
    that started it; ids from the row's content, so a second import recognises them."""
    t = row.toewijzing
    scope = row.scope
    where = f"{name} line {row.line_number}"
    key = "/".join(
        (row.standard.value, scope.gemeente, scope.aanbieder, scope.person, t.nummer,
         t.toegewezen_op.isoformat())
    )  # fmt: skip
    day = t.toegewezen_op.date()
    toewijzing = _csv_facts(row, 301, key, day, toewijzingen=(t,))
    out = [Prepared(where, toewijzing, (day, _RANK[301], seq), csv=row)]
    if row.start is not None:
        start_key = f"{key}/{row.start.begindatum.isoformat()}"
        start = _csv_facts(row, 305, start_key, day, starts=(StartLine(where, row.start, NEW),))
        # Right after its toewijzing: the start may lie before a later version of it.
        out.append(Prepared(where, start, (day, _RANK[305], seq), csv=row))
    return out


def _csv_facts(
    row: CsvRow,
    number: int,
    key: str,
    day: date,
    toewijzingen: tuple[ToewijzingLine, ...] = (),
    starts: tuple[StartLine, ...] = (),
) -> HistoryFacts:
    """The facts a 301 or 305 with just this row's line would give."""
    prefix = "WMO" if row.standard is Standard.IWMO else "JW"
    mt = by_name(f"{prefix}{number}")
    scope = row.scope
    gemeente_sends = number == 301
    return HistoryFacts(
        message_name=mt.name,
        berichtsoort=mt.bericht_code,
        sender=scope.gemeente if gemeente_sends else scope.aanbieder,
        receiver=scope.aanbieder if gemeente_sends else scope.gemeente,
        identificatie=f"csv:{key}",
        identificatie_location=IDENTIFICATIE_LOCATION,
        message_id=uuid.uuid5(NAMESPACE, f"csv{number}/{key}"),
        scope=scope,
        toewijzingen=toewijzingen,
        starts=starts,
        parties=Parties(row.standard.value, scope.gemeente, scope.aanbieder),
        dagtekening=day,
    )
