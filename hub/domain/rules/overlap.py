"""The "same product" test and period overlap of rules.md §0 (TR302, TR386, TR410, TR361)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Final

from hub.domain.messages import Standard

# iWmo hulpmiddelen (rolstoelen, vervoer-, woonvoorzieningen, overige hulpmiddelen) may overlap
# anything, a generic line included. iJw has no such exemption (rules.md §5).
IWMO_EXEMPT_CATEGORIES: Final = frozenset({"11", "12", "13", "14"})
# RedenWijziging of a deleted toewijzing: 13 verwijderd, 01 administratieve correctie (vervallen).
DELETED_REASONS: Final = frozenset({"13", "01"})


@dataclass(frozen=True, slots=True)
class Line:
    """One product line as the overlap rules see it.

    `categorie` None means the line has no Product (a generic toewijzing); `code` None means
    Product/Code is absent. `end` None is an open period. `ref` is the caller's handle (an
    element, an index, a ToewijzingNummer): carried along, never compared.
    """

    categorie: str | None
    code: str | None
    begin: date
    end: date | None = None
    ref: object = None


def is_deleted(begin: date | None, end: date | None, reden_wijziging: str | None) -> bool:
    """A deleted toewijzing: Einddatum = Ingangsdatum and RedenWijziging 13 or 01 (§0)."""
    return begin is not None and end == begin and reden_wijziging in DELETED_REASONS


def is_exempt(line: Line, standard: Standard) -> bool:
    """iWmo categories 11–14 take no part in overlap checks at all."""
    return standard is Standard.IWMO and line.categorie in IWMO_EXEMPT_CATEGORIES


def same_product(a: Line, b: Line, standard: Standard) -> bool:
    """Same Categorie+Code; a missing Code compares on Categorie; a generic line matches all."""
    if is_exempt(a, standard) or is_exempt(b, standard):
        return False
    if a.categorie is None or b.categorie is None:
        return True
    if a.categorie != b.categorie:
        return False
    return a.code is None or b.code is None or a.code == b.code


def periods_overlap(a_begin: date, a_end: date | None, b_begin: date, b_end: date | None) -> bool:
    """Each period starts on or before the other ends; an absent end is open."""
    return (b_end is None or a_begin <= b_end) and (a_end is None or b_begin <= a_end)


def overlaps(a: Line, b: Line, standard: Standard) -> bool:
    """Two lines for the same product whose periods overlap."""
    return same_product(a, b, standard) and periods_overlap(a.begin, a.end, b.begin, b.end)


def clashes(lines: Iterable[Line], standard: Standard) -> Iterator[tuple[Line, Line]]:
    """For each line that overlaps an earlier one: (the first such earlier line, the line).

    Lines come in document order; each offending line is reported once, against the first
    line it clashes with. Callers leave deleted lines out before calling (`is_deleted`).
    """
    # Only lines of one Categorie, or a generic line, can be the same product: compare a line
    # with its own category's earlier lines and the earlier generic ones, not with all.
    by_categorie: dict[str | None, list[tuple[int, Line]]] = {}
    earlier: list[tuple[int, Line]] = []  # every earlier line, for a generic line
    for index, line in enumerate(lines):
        if is_exempt(line, standard):
            continue
        if line.categorie is None:
            candidates: Iterable[tuple[int, Line]] = earlier
        else:
            own = by_categorie.get(line.categorie, [])
            generic = by_categorie.get(None, [])
            candidates = sorted(own + generic, key=_position) if generic and own else own or generic
        for _, other in candidates:
            if periods_overlap(other.begin, other.end, line.begin, line.end) and same_product(
                other, line, standard
            ):
                yield other, line
                break
        by_categorie.setdefault(line.categorie, []).append((index, line))
        earlier.append((index, line))


def _position(item: tuple[int, Line]) -> int:
    return item[0]
