"""The intake's side of advisory mode: each batch's history-rule modes, and its findings kept.

The modes file and the default are read once when the core starts (`base_lookup`: a bad file
stops the start with its reason); the database's modes (`hub history mode`) are read per batch
in its transaction, so a change takes effect from the next batch (hub/domain/advisory.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from hub.domain.advisory import Mode, ModeLookup, gemeente_of, load_modes, lookup
from hub.domain.decide import Context, Decision
from hub.domain.history import HistoryFacts
from hub.infra.store import DbConnection
from hub.infra.store import history_modes as store
from hub.settings import Settings


def base_lookup(settings: Settings) -> ModeLookup:
    """The modes of the modes file, else the default: what holds where the database says none."""
    configured = load_modes(settings.history_modes_file)
    return lookup({}, configured, Mode(settings.history_default_mode))


async def batch_context(conn: DbConnection, ctx: Context, facts: Iterable[HistoryFacts]) -> Context:
    """`ctx` with the modes of the batch's gemeenten as the database has them."""
    gemeenten = {g for f in facts if (g := gemeente_of(f)) is not None}
    if not gemeenten:
        return ctx
    modes = await store.batch_lookup(conn, gemeenten, ctx.history_mode)
    return ctx if modes is ctx.history_mode else replace(ctx, history_mode=modes)


async def record_findings(conn: DbConnection, decisions: Sequence[Decision]) -> None:
    """The batch's advisory findings, for `hub history report` (in the batch's transaction)."""
    await store.record(conn, [a for d in decisions for a in d.advisory])
