"""Payload sizes of ledger messages: what an inbox archive may hold is decided before any
message in it is downloaded (and so marked), never after."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from hub.infra.store.base import Pool


async def payload_sizes(pool: Pool, ids: Sequence[UUID]) -> dict[UUID, int]:
    """Bytes of each message's payload; a purged or unknown one is absent."""
    rows = await pool.fetch(
        "SELECT id, length(payload) AS size FROM message"
        " WHERE id = ANY($1::uuid[]) AND purged_at IS NULL",
        list(ids),
    )
    return {r["id"]: int(r["size"]) for r in rows}
