"""The operator's view of a person's eigen bijdrage (`hub eb show`): counting lines, meldingen
and notices, read from the tables of hub.infra.store.eigenbijdrage."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from hub.infra.store.base import Pool
from hub.infra.store.eigenbijdrage import PersonRef


@dataclass(frozen=True, slots=True)
class MeldingView:
    melding_id: UUID
    route: str
    begindatum: date
    einddatum: date | None
    retracted: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class NoticeView:
    message_id: UUID
    route: str
    identificatie: str
    source_message_id: UUID
    entries: tuple[dict[str, object], ...]
    created_at: datetime
    outcome: str
    retourcodes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LineView:
    route: str
    aanbieder: str
    toewijzing: str
    categorie: str
    code: str
    begindatum: date
    reden: str | None
    einddatum: date | None
    deleted: bool
    message_id: UUID


@dataclass(frozen=True, slots=True)
class PersonView:
    gemeente: str
    person_key: str
    lines: tuple[LineView, ...]
    meldingen: tuple[MeldingView, ...]
    notices: tuple[NoticeView, ...]


async def person_of_message(pool: Pool, message_id: UUID) -> PersonRef | None:
    """(gemeente, person_key) of a source 305/307 or of a notice."""
    row = await pool.fetchrow(
        "SELECT gemeente, person_key FROM eb_notice"
        " WHERE message_id = $1 OR source_message_id = $1 LIMIT 1",
        message_id,
    )
    if row is None:
        row = await pool.fetchrow(
            "SELECT gemeente, person_key FROM eb_start WHERE message_id = $1 OR deleted_by = $1"
            " UNION ALL SELECT gemeente, person_key FROM eb_stop"
            " WHERE message_id = $1 OR deleted_by = $1 LIMIT 1",
            message_id,
        )
    return (row[0], row[1]) if row else None


async def person_view(pool: Pool, gemeente: str, person_key: str) -> PersonView:
    starts = await pool.fetch(
        "SELECT route, aanbieder, toewijzing_nummer, product_categorie, product_code,"
        " begindatum, NULL::text AS reden, NULL::date AS einddatum, deleted, message_id"
        " FROM eb_start WHERE gemeente = $1 AND person_key = $2"
        " UNION ALL SELECT route, aanbieder, toewijzing_nummer, product_categorie, product_code,"
        " begindatum, reden_beeindiging, einddatum, deleted, message_id"
        " FROM eb_stop WHERE gemeente = $1 AND person_key = $2"
        " ORDER BY 1, 6, 8 NULLS FIRST",
        gemeente,
        person_key,
    )
    meldingen = await pool.fetch(
        "SELECT melding_id, route, begindatum, einddatum, retracted, created_at, updated_at"
        " FROM eb_melding WHERE gemeente = $1 AND person_key = $2 ORDER BY route, begindatum",
        gemeente,
        person_key,
    )
    notices = await pool.fetch(
        "SELECT message_id, route, identificatie, source_message_id, entries, created_at,"
        " outcome, retourcodes FROM eb_notice WHERE gemeente = $1 AND person_key = $2"
        " ORDER BY created_at, identificatie",
        gemeente,
        person_key,
    )
    return PersonView(
        gemeente=gemeente,
        person_key=person_key,
        lines=tuple(LineView(*r) for r in starts),
        meldingen=tuple(MeldingView(**dict(r)) for r in meldingen),
        notices=tuple(
            NoticeView(
                **{
                    **dict(r),
                    "entries": tuple(json.loads(r["entries"])),
                    "retourcodes": tuple(r["retourcodes"] or ()),
                }
            )
            for r in notices
        ),
    )
