"""The productperiode-conflict check intake runs on the 301s that shorten a toewijzing.

When the new Einddatum falls before the end of a prestatie the aanbieder already declared for
the toewijzing (its 323 not answered yet), the gemeente will refuse that prestatie on its
ProductPeriode. Both parties get one event signal.productperiode-conflict per 301, toewijzing
and declaratie, so the provider can correct it first (issue #19). The conflict is recorded
(table productperiode_conflict) and the event queued in the caller's transaction."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Final

from pydantic import TypeAdapter, ValidationError

from hub.domain import events
from hub.domain.events.data import PRODUCT_CODE_PATTERN, Referentie
from hub.domain.records import OutboxMessage
from hub.domain.sleutelmomenten.conflict import Conflict, conflicts
from hub.domain.sleutelmomenten.moments import Shortening
from hub.infra import metrics, outbox
from hub.infra.store import productperiode as table
from hub.infra.store.base import DbConnection

log = logging.getLogger(__name__)

TYPE: Final = events.EventType.SIGNAL_PRODUCTPERIODE
_MESSAGE_TYPE: Final = {"iwmo": "WMO301", "ijw": "JW301"}


_REFERENTIE: Final[TypeAdapter[str]] = TypeAdapter(Referentie)
_CODE: Final = re.compile(PRODUCT_CODE_PATTERN)


def _referentie(value: str) -> str | None:
    """The ReferentieNummer when it is a plain reference, else None: never published as is."""
    try:
        return _REFERENTIE.validate_python(value)
    except ValidationError:
        return None


def event(topic: str, conflict: Conflict, now: datetime) -> OutboxMessage:
    """The conflict's event: the envelope is the 301's, from the gemeente to the aanbieder."""
    s = conflict.shortening
    end = s.einddatum
    model = events.MODELS[TYPE]
    built = model.model_validate(
        {
            "occurred_at": now,
            "message_id": s.message_id,
            "message_type": _MESSAGE_TYPE.get(s.domain),
            "standard": s.domain if s.domain in _MESSAGE_TYPE else None,
            "sender": s.gemeente,
            "receiver": s.aanbieder,
            "person": s.person_key,
            "data": {
                "toewijzing_nummer": s.toewijzing_nummer,
                "einddatum": end,
                "previous_einddatum": s.previous_einddatum,
                "declaratie": conflict.declaratie,
                "relation": conflict.relation,
                "deleted": s.deleted,
                "prestaties": [
                    {
                        "referentie_nummer": _referentie(p.referentie_nummer),
                        "begindatum": p.begindatum,
                        "einddatum": p.einddatum,
                        "categorie": p.product_categorie or None,
                        "code": p.product_code if _CODE.match(p.product_code) else None,
                        "relation": conflict.relation_of(p),
                    }
                    for p in conflict.prestaties
                ],
            },
        }
    )
    return events.to_record(topic, built)


async def check(
    conn: DbConnection, shortenings: Sequence[Shortening], events_topic: str, now: datetime
) -> int:
    """Find, record and announce the conflicts of these shortenings inside the caller's
    transaction; returns the number of events raised (0 for a conflict raised before)."""
    if not shortenings:
        return 0
    pending = await table.pending_prestaties(conn, shortenings)
    found = conflicts(shortenings, pending)
    if not found:
        return 0
    records: list[OutboxMessage] = []
    for c in await table.insert(conn, found, now):
        try:
            records.append(event(events_topic, c, now))
        except ValidationError:
            # A value the published patterns refuse (not expected past the XSD): the conflict
            # stays recorded for the report, the event is not sent rather than leak it.
            log.warning(
                "productperiode conflict of message %s not published", c.shortening.message_id
            )
            metrics.FAILURES.labels("sleutelmomenten").inc()
    await outbox.add(conn, records)
    metrics.EVENTS.labels(TYPE.value).inc(len(records))
    return len(records)
