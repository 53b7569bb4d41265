"""The VECOZO-like door's SQL: each pushed message's references (vsp_reference, migration 0024),
and the caller's inbox and uploads found by traceerId, conversatieId or alsAntwoordOp.

A message without a row (one that came in another way) is named by its message id: that is its
traceerId and, for a heenbericht, its conversatieId; a retour takes its heenbericht's
conversatieId and answers (alsAntwoordOp) the heenbericht's traceerId.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from hub.infra.store.base import Pool


@dataclass(frozen=True, slots=True)
class Reference:
    """What the door keeps of one pushed message."""

    message_id: UUID
    afzender: str
    traceer_id: str
    conversatie_id: str
    als_antwoord_op: str | None
    referentie_id: str | None
    submitted_by: str
    payload_sha256: bytes
    berichttype: str
    berichtsubtype: str | None
    berichtversie: str
    berichtsubversie: str


_COLUMNS = (
    "message_id, afzender, traceer_id, conversatie_id, als_antwoord_op, referentie_id,"
    " submitted_by, payload_sha256, berichttype, berichtsubtype, berichtversie, berichtsubversie"
)


async def claim(pool: Pool, ref: Reference) -> Reference | None:
    """Record the references of a push; None when recorded now, else the row that holds its
    (afzender, traceerId) already (a resend, or another message under a used traceerId)."""
    row = await pool.fetchrow(
        f"""
        WITH new AS (
            INSERT INTO vsp_reference ({_COLUMNS})
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
            ON CONFLICT (afzender, traceer_id) DO NOTHING
            RETURNING message_id)
        SELECT {_COLUMNS}
        FROM vsp_reference WHERE afzender = $2 AND traceer_id = $3
        """,
        ref.message_id, ref.afzender, ref.traceer_id, ref.conversatie_id, ref.als_antwoord_op,
        ref.referentie_id, ref.submitted_by, ref.payload_sha256, ref.berichttype,
        ref.berichtsubtype, ref.berichtversie, ref.berichtsubversie,
    )  # fmt: skip
    # A row inserted by this statement is not visible to its own SELECT: no row means claimed.
    if row is None:
        return None
    data = dict(row)
    data["payload_sha256"] = bytes(data["payload_sha256"])
    return Reference(**data)


async def references(pool: Pool, ids: Sequence[UUID]) -> dict[UUID, Reference]:
    """The kept references of these messages (those pushed through the door)."""
    rows = await pool.fetch(
        f"SELECT {_COLUMNS} FROM vsp_reference WHERE message_id = ANY($1::uuid[])", list(ids)
    )
    out = {}
    for r in rows:
        data = dict(r)
        data["payload_sha256"] = bytes(data["payload_sha256"])
        out[data["message_id"]] = Reference(**data)
    return out


async def release(pool: Pool, message_id: UUID) -> None:
    """Forget the references of a push the acceptance path refused: nothing half-accepted."""
    await pool.execute("DELETE FROM vsp_reference WHERE message_id = $1", message_id)


@dataclass(frozen=True, slots=True)
class Named:
    """A message as the door names it: its own references or the ones derived for it."""

    message_id: UUID
    traceer_id: str
    conversatie_id: str
    als_antwoord_op: str | None
    referentie_id: str | None
    message_type: str | None
    namespace: str | None
    afzender: str | None  # the sending party (a retour's Header/Ontvanger)
    receiver: str | None
    received_at: datetime
    size: int
    sha256: bytes
    berichttype: str | None  # as pushed; None: the configured one of its message type
    berichtsubtype: str | None


# One message with what the door says of it; `m` the message, `v` its row, `h`/`hv` the
# heenbericht a retour answers and that one's row.
_NAMED = """
    SELECT m.id AS message_id,
           coalesce(v.traceer_id, m.id::text) AS traceer_id,
           coalesce(v.conversatie_id, hv.conversatie_id, h.id::text, m.id::text) AS conversatie_id,
           coalesce(v.als_antwoord_op, hv.traceer_id, h.id::text) AS als_antwoord_op,
           v.referentie_id, m.message_type, m.namespace,
           coalesce(m.sender, m.afzender) AS afzender,
           coalesce(m.receiver, m.ontvanger) AS receiver, m.received_at,
           octet_length(m.payload) AS size, m.payload_sha256 AS sha256,
           v.berichttype, v.berichtsubtype
    FROM message m
    LEFT JOIN vsp_reference v ON v.message_id = m.id
    LEFT JOIN message h ON h.id = m.answers
    LEFT JOIN vsp_reference hv ON hv.message_id = h.id
"""


def _named(rows: Sequence[object]) -> list[Named]:
    out = []
    for r in rows:
        data = dict(r)  # type: ignore[call-overload]
        data["sha256"] = bytes(data["sha256"])
        out.append(Named(**data))
    return out


async def named(pool: Pool, ids: Sequence[UUID]) -> dict[UUID, Named]:
    """The door's names of these messages (the purged left out)."""
    rows = await pool.fetch(
        f"{_NAMED} WHERE m.id = ANY($1::uuid[]) AND m.purged_at IS NULL", list(ids)
    )
    return {n.message_id: n for n in _named(rows)}


def _uuid(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None


async def in_inbox(pool: Pool, node: str, parties: Sequence[str], traceer_id: str) -> UUID | None:
    """The waiting (not yet confirmed) message of these parties' inboxes with this traceerId."""
    found: UUID | None = await pool.fetchval(
        """
        SELECT d.message_id FROM delivery d
        JOIN message m ON m.id = d.message_id
        LEFT JOIN vsp_reference v ON v.message_id = m.id
        WHERE d.node = $1 AND d.party = ANY($2::text[])
          AND d.acked_at IS NULL AND NOT d.payload_purged
          AND m.purged_at IS NULL
          AND (v.traceer_id = $3 OR (v.message_id IS NULL AND m.id = $4))
        ORDER BY d.id LIMIT 1
        """,
        node,
        list(parties),
        traceer_id,
        _uuid(traceer_id),
    )
    return found


@dataclass(frozen=True, slots=True)
class Search:
    """One of the search paths of POST /berichten/zoeken (a field None: not searched on)."""

    message_types: Sequence[str] | None = None  # by berichtstroom (its message names) ...
    addressee: str | None = None  # ... and addressee (whose inbox)
    conversatie_id: str | None = None
    als_antwoord_op: str | None = None


async def search(
    pool: Pool, node: str, parties: Sequence[str], found: Search, limit: int
) -> list[UUID]:
    """The waiting messages of these parties' inboxes on one search path, oldest first."""
    rows = await pool.fetch(
        f"""
        SELECT n.message_id FROM delivery d
        JOIN ({_NAMED}) n ON n.message_id = d.message_id
        JOIN message pm ON pm.id = d.message_id
        WHERE d.node = $1 AND d.party = ANY($2::text[])
          AND d.acked_at IS NULL AND NOT d.payload_purged
          AND pm.purged_at IS NULL
          AND ($3::text[] IS NULL OR n.message_type = ANY($3::text[]))
          AND ($4::text IS NULL OR d.party = $4)
          AND ($5::text IS NULL OR n.conversatie_id = $5)
          AND ($6::text IS NULL OR n.als_antwoord_op = $6)
        ORDER BY d.id LIMIT $7
        """,
        node,
        list(parties),
        None if found.message_types is None else list(found.message_types),
        found.addressee,
        found.conversatie_id,
        found.als_antwoord_op,
        limit,
    )
    return [r["message_id"] for r in rows]


async def sent(
    pool: Pool,
    caller: str,
    parties: Sequence[str],
    *,
    traceer_id: str | None = None,
    conversatie_id: str | None = None,
    limit: int = 100,
) -> list[UUID]:
    """Ids of the caller's pushes (or its parties') with this traceerId or conversatieId,
    oldest first, and the message whose id is that value (its own, for a message that came in
    another way); the status query says which of them the caller may see."""
    key = traceer_id if traceer_id is not None else conversatie_id
    assert key is not None
    rows = await pool.fetch(
        """
        SELECT message_id FROM vsp_reference
        WHERE (submitted_by = $1 OR afzender = ANY($2::text[]))
          AND CASE WHEN $3 THEN traceer_id = $4 ELSE conversatie_id = $4 END
        ORDER BY created_at, message_id LIMIT $5
        """,
        caller,
        list(parties),
        traceer_id is not None,
        key,
        limit,
    )
    ids = [r["message_id"] for r in rows]
    own = _uuid(key)
    if own is not None and own not in ids:
        ids.insert(0, own)
    return ids
