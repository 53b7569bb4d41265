"""The sleutelmomenten's SQL (migration 0020): write measurements, and read what intake's
measuring looks up and what the report shows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from hub.domain.sleutelmomenten import Measurement
from hub.infra.store.base import DbConnection as Conn

_COLUMNS: Final = (
    "moment", "outcome", "source", "domain", "gemeente", "aanbieder", "person_key",
    "toewijzing_nummer", "reference", "reference_date", "arrived_on", "werkdagen", "deadline",
    "message_id", "about_id", "line",
)  # fmt: skip


async def insert(conn: Conn, measurements: Sequence[Measurement]) -> None:
    """COPY the measurements in: one round trip, whatever their number."""
    if not measurements:
        return
    records = [
        (
            m.moment.value, m.outcome.value, m.source.value, m.domain, m.gemeente, m.aanbieder,
            m.person_key, m.toewijzing_nummer, m.reference, m.reference_date, m.arrived,
            m.werkdagen, m.deadline, m.message_id, m.about_id, m.line,
        )
        for m in measurements
    ]  # fmt: skip
    await conn.copy_records_to_table("sleutelmoment", records=records, columns=list(_COLUMNS))
