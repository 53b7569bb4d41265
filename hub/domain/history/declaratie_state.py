"""Declaratie history state: accepted 323s and their Prestaties, and what a 325 changes.

Plain frozen values like hub/domain/history/state.py: the store loads a DeclaratieState for a batch,
`with_effects` applies DeclaratieEffects in memory with the store's meaning. A Prestatie is
`pending` until the gemeente's 325 answers its 323, `approved` once answered and not
rejected, `rejected` when a 325 returned it; only pending and approved Prestaties count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Final

__all__ = [
    "APPROVED",
    "PENDING",
    "REJECTED",
    "DeclKey",
    "DeclaratieEffects",
    "DeclaratieState",
    "Overlay",
    "PrestatieKey",
    "StoredDeclaratie",
    "StoredPrestatie",
    "ToewijzingKey",
]

PENDING: Final = "pending"
APPROVED: Final = "approved"
REJECTED: Final = "rejected"

PrestatieKey = tuple[str, str, str]  # domain, aanbieder, ReferentieNummer
ToewijzingKey = tuple[str, str, str, str]  # domain, gemeente, aanbieder, ToewijzingNummer
DeclKey = tuple[str, str, str]  # domain, aanbieder, Identificatie of the 323
ScopeKey = tuple[str, str, str]  # domain, aanbieder, gemeente


@dataclass(frozen=True, slots=True)
class StoredPrestatie:
    domain: str
    aanbieder: str
    referentie: str
    gemeente: str
    declaratie: str  # Identificatie of the 323 that carried it
    person: str
    vorig: str
    credit: bool
    toewijzing: str
    categorie: str
    code: str
    begin: date
    eind: date
    volume: int
    eenheid: str
    fingerprint: str
    status: str = PENDING

    @property
    def key(self) -> PrestatieKey:
        return (self.domain, self.aanbieder, self.referentie)

    @property
    def toewijzing_key(self) -> ToewijzingKey:
        return (self.domain, self.gemeente, self.aanbieder, self.toewijzing)

    @property
    def counts(self) -> bool:
        return self.status != REJECTED


@dataclass(frozen=True, slots=True)
class StoredDeclaratie:
    domain: str
    aanbieder: str
    identificatie: str
    gemeente: str
    dagtekening: date
    xsd_versie: str
    nummer: str
    periode_begin: date
    refused: bool = False

    @property
    def key(self) -> DeclKey:
        return (self.domain, self.aanbieder, self.identificatie)

    @property
    def scope(self) -> ScopeKey:
        return (self.domain, self.aanbieder, self.gemeente)


@dataclass(frozen=True, slots=True)
class DeclaratieEffects:
    """What one accepted 323 (wholly or partly) or one accepted 325 adds to the history."""

    declaratie: StoredDeclaratie | None = None  # a 323 whose declaratie was not refused
    prestaties: tuple[StoredPrestatie, ...] = ()  # its accepted Prestaties
    answered: DeclKey | None = None  # a 325: the 323 it answers
    rejected: tuple[str, ...] = ()  # a 325: the ReferentieNummers it rejected
    refused: bool = False  # a 325: the declaratie is refused as a whole


def _index(
    mapping: Mapping[tuple[str, ...], frozenset[str]], pairs: Iterable[tuple[tuple[str, ...], str]]
) -> dict[tuple[str, ...], frozenset[str]]:
    out = dict(mapping)
    for k, v in pairs:
        out[k] = out.get(k, frozenset()) | {v}
    return out


@dataclass(frozen=True, slots=True)
class DeclaratieState:
    """The loaded (or touched) declaratie history of a batch, with its lookup indexes."""

    prestaties: Mapping[PrestatieKey, StoredPrestatie] = field(default_factory=dict)
    declaraties: Mapping[DeclKey, StoredDeclaratie] = field(default_factory=dict)
    # Derived indexes (ReferentieNummers / Identificaties), kept in step by `build`.
    credits: Mapping[tuple[str, ...], frozenset[str]] = field(default_factory=dict)
    on_toewijzing: Mapping[tuple[str, ...], frozenset[str]] = field(default_factory=dict)
    in_declaratie: Mapping[tuple[str, ...], frozenset[str]] = field(default_factory=dict)
    nummers: Mapping[tuple[str, ...], frozenset[str]] = field(default_factory=dict)

    @staticmethod
    def build(
        prestaties: Iterable[StoredPrestatie], declaraties: Iterable[StoredDeclaratie]
    ) -> DeclaratieState:
        return DeclaratieState().added(prestaties, declaraties)

    def added(
        self, prestaties: Iterable[StoredPrestatie], declaraties: Iterable[StoredDeclaratie]
    ) -> DeclaratieState:
        """This state with these rows inserted or replaced (by key)."""
        ps, ds = list(prestaties), list(declaraties)
        return DeclaratieState(
            {**self.prestaties, **{p.key: p for p in ps}},
            {**self.declaraties, **{d.key: d for d in ds}},
            _index(
                self.credits,
                (((p.domain, p.aanbieder, p.vorig), p.referentie) for p in ps if p.vorig),
            ),
            _index(self.on_toewijzing, ((p.toewijzing_key, p.referentie) for p in ps)),
            _index(
                self.in_declaratie,
                (((p.domain, p.aanbieder, p.declaratie), p.referentie) for p in ps),
            ),
            _index(
                self.nummers, (((d.domain, d.aanbieder, d.nummer), d.identificatie) for d in ds)
            ),
        )

    # --- lookups -------------------------------------------------------------------------

    def prestatie(self, domain: str, aanbieder: str, referentie: str) -> StoredPrestatie | None:
        """A counted (not rejected) Prestatie with this ReferentieNummer."""
        p = self.prestaties.get((domain, aanbieder, referentie))
        return p if p is not None and p.counts else None

    def credited(self, p: StoredPrestatie) -> bool:
        """A counted credit Prestatie points to `p` through its VorigReferentieNummer."""
        return Overlay(self).credited(p)

    def open_debets(self, key: ToewijzingKey) -> list[StoredPrestatie]:
        """The counted, uncredited debet Prestaties on one toewijzing."""
        return Overlay(self).open_debets(key)

    def nummer_used(self, domain: str, aanbieder: str, nummer: str) -> bool:
        """TR333: a declaratie of this aanbieder with this DeclaratieNummer was not refused."""
        for ident in self.nummers.get((domain, aanbieder, nummer), frozenset()):
            d = self.declaraties.get((domain, aanbieder, ident))
            if d is not None and d.nummer == nummer and not d.refused:
                return True
        return False

    def last_periode(self, domain: str, aanbieder: str, gemeente: str) -> date | None:
        """TR318: the latest DeclaratiePeriode of a declaratie not refused, if any is loaded.
        The store loads the latest one of every scope in the batch."""
        begins = [
            d.periode_begin
            for d in self.declaraties.values()
            if d.scope == (domain, aanbieder, gemeente) and not d.refused
        ]
        return max(begins, default=None)

    # --- effects -------------------------------------------------------------------------

    def with_effects(self, effects: DeclaratieEffects) -> DeclaratieState:
        """This state after `effects` were written (idempotent, as in the store)."""
        state = self
        if effects.declaratie is not None and effects.declaratie.key not in self.declaraties:
            state = state.added((), (effects.declaratie,))
        # A Prestatie is written once; only a rejected one may be replaced, by a new one
        # from another 323 (so writing a 323's effects again revives nothing).
        new = [
            p
            for p in effects.prestaties
            if (old := state.prestaties.get(p.key)) is None
            or (old.status == REJECTED and old.declaratie != p.declaratie)
        ]
        if new:
            state = state.added(new, ())
        if effects.answered is not None:
            state = state._answered(effects)
        return state

    def _answered(self, effects: DeclaratieEffects) -> DeclaratieState:
        assert effects.answered is not None
        domain, aanbieder, ident = effects.answered
        rejected = set(effects.rejected)
        changed = []
        for ref in self.in_declaratie.get(effects.answered, frozenset()):
            p = self.prestaties.get((domain, aanbieder, ref))
            if p is None or p.status != PENDING or p.declaratie != ident:
                continue
            status = REJECTED if effects.refused or ref in rejected else APPROVED
            changed.append(_with_status(p, status))
        decls = []
        d = self.declaraties.get(effects.answered)
        if effects.refused and d is not None and not d.refused:
            decls.append(_refused(d))
        return self.added(changed, decls) if changed or decls else self


class Overlay:
    """A DeclaratieState plus the Prestaties one message accepted so far, read like the state
    after them, without copying the state for every line (a 323 may hold thousands)."""

    def __init__(self, state: DeclaratieState) -> None:
        self.state = state
        self.mine: dict[PrestatieKey, StoredPrestatie] = {}
        self.credits: dict[PrestatieKey, set[str]] = {}
        self.on_toewijzing: dict[ToewijzingKey, set[str]] = {}

    def add(self, p: StoredPrestatie) -> None:
        self.mine[p.key] = p
        if p.vorig:
            self.credits.setdefault((p.domain, p.aanbieder, p.vorig), set()).add(p.referentie)
        self.on_toewijzing.setdefault(p.toewijzing_key, set()).add(p.referentie)

    def _get(self, key: PrestatieKey) -> StoredPrestatie | None:
        found = self.mine.get(key)
        return found if found is not None else self.state.prestaties.get(key)

    def prestatie(self, domain: str, aanbieder: str, referentie: str) -> StoredPrestatie | None:
        """A counted (not rejected) Prestatie with this ReferentieNummer."""
        p = self._get((domain, aanbieder, referentie))
        return p if p is not None and p.counts else None

    def credited(self, p: StoredPrestatie) -> bool:
        """A counted credit Prestatie points to `p` through its VorigReferentieNummer."""
        key = p.key
        refs = self.state.credits.get(key, frozenset()) | self.credits.get(key, set())
        for ref in refs:
            c = self._get((p.domain, p.aanbieder, ref))
            if c is not None and c.counts and c.credit and c.vorig == p.referentie:
                return True
        return False

    def open_debets(self, key: ToewijzingKey) -> list[StoredPrestatie]:
        """The counted, uncredited debet Prestaties on one toewijzing."""
        domain, _, aanbieder, _ = key
        refs = self.state.on_toewijzing.get(key, frozenset()) | self.on_toewijzing.get(key, set())
        found = []
        for ref in sorted(refs):
            p = self._get((domain, aanbieder, ref))
            if (
                p is not None
                and p.counts
                and not p.credit
                and p.toewijzing_key == key
                and not self.credited(p)
            ):
                found.append(p)
        return found


def _with_status(p: StoredPrestatie, status: str) -> StoredPrestatie:
    return StoredPrestatie(
        p.domain, p.aanbieder, p.referentie, p.gemeente, p.declaratie, p.person, p.vorig,
        p.credit, p.toewijzing, p.categorie, p.code, p.begin, p.eind, p.volume, p.eenheid,
        p.fingerprint, status,
    )  # fmt: skip


def _refused(d: StoredDeclaratie) -> StoredDeclaratie:
    return StoredDeclaratie(
        d.domain, d.aanbieder, d.identificatie, d.gemeente, d.dagtekening, d.xsd_versie,
        d.nummer, d.periode_begin, True,
    )  # fmt: skip
