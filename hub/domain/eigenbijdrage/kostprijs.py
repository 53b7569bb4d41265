"""The Kostprijs of a WMO405 entry, pure: from the cost price the gemeente's policy gives a product.

Facts (domain.md §2.12, §6.1-6.3): for hulpmiddelen and woningaanpassingen (categories 11-14)
the total bijdrage may not exceed the kostprijs; the kostprijs is not in the 305/307 and must
come from gemeente data; a later verstrekking needs a mutation with kostprijs only when its
kostprijs exceeds the remaining kostprijs of the first notification (VNG FAQ). The iEb pack is
the hub's own model (hub/schemas/ieb-4.0/README.md): `Kostprijs` is an optional LDT_Bedrag in
cents on each EigenBijdrage; the official element is not in our sources (domain.md §9.1).

The hub's reading, where the facts stop:
- An entry carries Kostprijs only when every live start in its period is a product of
  categories 11-14 with a cost price in the policy; a period that also holds other care is
  not capped by a kostprijs, and a product without a price gives no number to send.
- The value is the highest cost price among them (the cap a later, dearer hulpmiddel raises),
  not a sum: the facts speak of one kostprijs per notification.
- The hub does not know the bijdrage already paid, so it cannot compute the "remaining"
  kostprijs: a new dearer hulpmiddel inside a running period gives no mutation of its own.
- Only the WMO405 (abonnementstarief) carries it; beschermd wonen has an income-dependent
  bijdrage without a kostprijs cap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Final
from uuid import UUID

from hub.domain.eigenbijdrage.periods import DELETE, Entry, Facts, Period

__all__ = ["HULPMIDDELEN", "kostprijzen", "product_key"]

# LDT_ProductCategorie 11 rolstoelen, 12 vervoervoorzieningen, 13 woonvoorzieningen,
# 14 overige hulpmiddelen (domain.md §3).
HULPMIDDELEN: Final = frozenset({"11", "12", "13", "14"})


def product_key(categorie: str, code: str) -> str:
    """How the policy names a product: "categorie/code", e.g. "12/12A01"."""
    return f"{categorie}/{code}"


def _within(day: date, period: Period) -> bool:
    return period.begin <= day and (period.end is None or day <= period.end)


def kostprijzen(
    facts: Facts, entries: Sequence[Entry], prices: Mapping[str, int]
) -> dict[UUID, int]:
    """The Kostprijs (cents) of each entry that carries one, by MeldingID."""
    if not prices:
        return {}
    live = [start for (_, start), deleted in facts.starts.items() if not deleted]
    found: dict[UUID, int] = {}
    for e in entries:
        if e.status == DELETE:
            continue
        inside = [s for s in live if _within(s.begindatum, e.period)]
        if not inside or any(s.categorie not in HULPMIDDELEN for s in inside):
            continue
        costs = [prices.get(product_key(s.categorie, s.code)) for s in inside]
        if all(c is not None for c in costs):
            found[e.melding_id] = max(c for c in costs if c is not None)
    return found
