"""The release-freeze gauges the core samples: each standard's phase, the messages parked per
kind, and, while a freeze is under way, the old release's routed messages that are not in an
inbox yet or not fetched yet (what the freeze-with-unsent-messages alert watches)."""

from __future__ import annotations

from typing import Final

from hub.domain.freeze import EMPTY, Phase
from hub.domain.messages import Standard
from hub.infra import metrics
from hub.infra.runtime import Runtime
from hub.infra.store import freeze as table

# From the declaratie freeze to the cutover the old release's leftovers matter; before, they
# still flow, and after the cutover they are the old release's broken pairs.
_UNDER_WAY: Final = frozenset({Phase.DECLARATIE_FREEZE, Phase.HEEN_FREEZE, Phase.TRANSITION})


async def sample(runtime: Runtime) -> None:
    now = runtime.clock()
    calendar = runtime.freeze or EMPTY
    phases = {f.standard: f.phase(now) for f in calendar.freezes.values()}
    parked: dict[tuple[Standard, str], int] = {}
    for (name, release), n in (await table.parked_counts(runtime.pool)).items():
        try:
            standard = Standard(name)
        except ValueError:
            continue
        f = calendar.get(standard)
        kind = "new-release" if f is not None and release == f.to_release else "old-release"
        parked[(standard, kind)] = parked.get((standard, kind), 0) + n
    under_way = [f for f in calendar.freezes.values() if phases[f.standard] in _UNDER_WAY]
    counted = await table.unsent(runtime.pool) if under_way else {}
    unsent = {
        f.standard: counted.get((f.standard.value, f.from_release), (0, 0)) for f in under_way
    }
    metrics.set_freeze(phases, parked, unsent)
