"""Productperiode conflicts: a 301 that shortens a toewijzing to before the end of a prestatie
already declared for it (a 323 not answered yet), which the gemeente will refuse on its period.

Pure: the caller reads the pending prestaties of the shortened toewijzingen (hub.infra.store
.productperiode) and gets back one `Conflict` per (301, toewijzing, declaratie), so the provider
can be warned (event signal.productperiode-conflict) before the 325 refuses it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal, TypeAlias

from hub.domain.sleutelmomenten.moments import Shortening

Relation: TypeAlias = Literal["partly", "wholly"]


@dataclass(frozen=True, slots=True)
class PendingPrestatie:
    """A Prestatie of a 323 forwarded and not answered yet (history_prestatie, status pending)."""

    domain: str
    gemeente: str
    aanbieder: str
    toewijzing_nummer: str
    declaratie: str  # Identificatie of the 323 that carried it
    referentie_nummer: str
    product_categorie: str
    product_code: str
    begindatum: date  # ProductPeriode
    einddatum: date
    credit: bool = False

    def relation(self, einddatum: date) -> Relation:
        """wholly: the whole ProductPeriode lies after the toewijzing's new Einddatum."""
        return "wholly" if self.begindatum > einddatum else "partly"


@dataclass(frozen=True, slots=True)
class Conflict:
    """One shortened toewijzing against the prestaties one declaratie holds past its new end."""

    shortening: Shortening
    declaratie: str
    prestaties: tuple[PendingPrestatie, ...]  # by begindatum, then ReferentieNummer

    def relation_of(self, prestatie: PendingPrestatie) -> Relation:
        """The prestatie against the new end; wholly, whatever its period, when the 301
        deleted the toewijzing (there is no day left it could be declared on)."""
        s = self.shortening
        return "wholly" if s.deleted else prestatie.relation(s.einddatum)

    @property
    def relation(self) -> Relation:
        """wholly when every prestatie lies wholly after the new Einddatum, else partly."""
        wholly = all(self.relation_of(p) == "wholly" for p in self.prestaties)
        return "wholly" if wholly else "partly"

    @property
    def periode_begin(self) -> date:
        return min(p.begindatum for p in self.prestaties)

    @property
    def periode_eind(self) -> date:
        return max(p.einddatum for p in self.prestaties)

    @property
    def referentie_nummers(self) -> tuple[str, ...]:
        return tuple(p.referentie_nummer for p in self.prestaties)


_Toewijzing: TypeAlias = tuple[str, str, str, str]  # domain, gemeente, aanbieder, nummer


def _toewijzing(x: Shortening | PendingPrestatie) -> _Toewijzing:
    return (x.domain, x.gemeente, x.aanbieder, x.toewijzing_nummer)


def crosses(shortening: Shortening, prestatie: PendingPrestatie) -> bool:
    """Whether the gemeente would refuse the prestatie on its period after this 301: a debet
    of the same toewijzing whose ProductPeriode ends after the new Einddatum, or any debet of
    a toewijzing the 301 deleted."""
    return (
        not prestatie.credit
        and _toewijzing(prestatie) == _toewijzing(shortening)
        and (shortening.deleted or prestatie.einddatum > shortening.einddatum)
    )


def conflicts(
    shortenings: Sequence[Shortening], prestaties: Iterable[PendingPrestatie]
) -> list[Conflict]:
    """The conflicts of these shortenings, in the shortenings' order, then by declaratie.

    A credit is not refused for the period of the debet it takes back, so it never conflicts;
    a toewijzing a 301 names twice is looked at once (its first line)."""
    by_toewijzing: dict[_Toewijzing, list[PendingPrestatie]] = {}
    for p in prestaties:
        by_toewijzing.setdefault(_toewijzing(p), []).append(p)
    found: list[Conflict] = []
    seen: set[tuple[object, ...]] = set()
    for s in shortenings:
        key = (s.message_id, *_toewijzing(s))
        if key in seen:
            continue
        seen.add(key)
        crossing: dict[str, list[PendingPrestatie]] = {}
        for p in by_toewijzing.get(_toewijzing(s), ()):
            if crosses(s, p):
                crossing.setdefault(p.declaratie, []).append(p)
        for declaratie in sorted(crossing):
            ordered = sorted(
                crossing[declaratie], key=lambda p: (p.begindatum, p.referentie_nummer)
            )
            found.append(Conflict(s, declaratie, tuple(ordered)))
    return found
