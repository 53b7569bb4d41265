"""Rules of the requests: verzoek om toewijzing 315 (TR383, TR386, CD043, CD066–CD068) and
verzoek om wijziging 317 (TR352, TR353, TR380, TR410)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from lxml import etree

from hub.domain.rules.base import Rule, RuleContext, names, parse_date, path_of, rule
from hub.domain.rules.lines import AANGEVRAAGD, NIEUW, TE_WIJZIGEN, LineClass, lines
from hub.domain.rules.overlap import Line, clashes
from hub.domain.xmlcodec import text_of

# Verwijzer types that are care professionals with an AGB code: huisarts, jeugdarts,
# gecertificeerde instelling, medisch specialist.
_PROFESSIONAL_TYPES: Final = frozenset({"02", "03", "04", "05"})
_AANGEVRAAGD: Final = {315: (AANGEVRAAGD,)}
_CHANGES: Final = {317: (TE_WIJZIGEN, NIEUW)}


def _step(el: etree._Element | None) -> str:
    """The last step of an element's path, e.g. `AangevraagdProduct[2]`."""
    return "" if el is None else path_of(el).rsplit("/", 1)[-1]


# --- 315: verzoek om toewijzing ---------------------------------------------------------------


@rule(
    "TR383",
    "Elk AangevraagdProduct moet een eigen ReferentieAanbieder hebben",
    names(315),
)
def TR383(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    if len(ctx.each(AANGEVRAAGD.name)) < 2:
        return
    seen: dict[str | None, etree._Element] = {}
    for _cls, line, f in lines(ctx, _AANGEVRAAGD):
        referentie = f.get("ReferentieAanbieder")
        if referentie is None:
            continue
        first = seen.setdefault(text_of(referentie), line)
        if first is not line:
            # The reference is the aanbieder's own free text: name the lines, not its value.
            yield (
                path_of(referentie),
                f"ReferentieAanbieder of {_step(line)} repeats the one of {_step(first)}",
            )


def _overlap_lines(ctx: RuleContext, cls: LineClass) -> list[Line]:
    """The lines of `cls` as the overlap logic sees them; lines without a readable start are left
    out (the XSD is the verdict for those)."""
    found: list[Line] = []
    for _cls, el, f in lines(ctx, {ctx.message.number: (cls,)}):
        begin = parse_date(text_of(f.get(cls.start)))
        if begin is None:
            continue
        end_el = f.get(cls.end)
        end = parse_date(text_of(end_el))
        if end_el is not None and end is None:
            continue
        product = f.get("Product")
        pf = ctx.fields(product)
        categorie = text_of(pf.get("Categorie")) if product is not None else None
        found.append(Line(categorie, text_of(pf.get("Code")), begin, end, el))
    return found


def _overlaps(ctx: RuleContext, cls: LineClass) -> Iterator[tuple[str, str]]:
    if len(ctx.each(cls.name)) < 2:
        return
    for earlier, line in clashes(_overlap_lines(ctx, cls), ctx.message.standard):
        if not isinstance(line.ref, etree._Element) or not isinstance(earlier.ref, etree._Element):
            continue  # never: _overlap_lines sets every ref to its element
        yield (
            path_of(line.ref),
            f"{_step(line.ref)} is for the same product as {_step(earlier.ref)} and its period "
            f"{cls.start}–{cls.end} overlaps it",
        )


@rule(
    "TR386",
    "Een product mag in een verzoek om toewijzing niet in overlappende perioden voorkomen",
    names(315),
)
def TR386(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    yield from _overlaps(ctx, AANGEVRAAGD)


@rule(
    "CD043",
    "BeschikkingNummer en BeschikkingIngangsdatum zijn beide gevuld of beide leeg",
    names(315),
)
def CD043(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    for _cls, line, f in lines(ctx, _AANGEVRAAGD):
        has_nummer = "BeschikkingNummer" in f
        if has_nummer != ("BeschikkingIngangsdatum" in f):
            missing, present = (
                ("BeschikkingIngangsdatum", "BeschikkingNummer")
                if has_nummer
                else ("BeschikkingNummer", "BeschikkingIngangsdatum")
            )
            yield (
                path_of(line) + "/" + missing,
                f"{missing} is mandatory when {present} is filled",
            )


def _verwijzers(ctx: RuleContext) -> Iterator[tuple[etree._Element, str | None, bool, bool]]:
    """Each Verwijzer of the 315 with its Type, and whether Naam and ZorgverlenerCode are filled."""
    for _cls, _line, line_fields in lines(ctx, _AANGEVRAAGD):
        verwijzer = line_fields.get("Verwijzer")
        if verwijzer is not None:
            f = ctx.fields(verwijzer)
            yield verwijzer, text_of(f.get("Type")), "Naam" in f, "ZorgverlenerCode" in f


@rule(
    "CD066",
    "Als Verwijzer/Type 02 t/m 05 is en ZorgverlenerCode gevuld, moet Naam leeg zijn",
    names(315),
)
def CD066(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    for verwijzer, soort, naam, code in _verwijzers(ctx):
        if soort in _PROFESSIONAL_TYPES and code and naam:
            yield (
                path_of(verwijzer) + "/Naam",
                f"Verwijzer of Type {soort} with a ZorgverlenerCode may not have a Naam",
            )


@rule(
    "CD067",
    "Als Verwijzer/Type 02 t/m 05 is en ZorgverlenerCode leeg, moet Naam gevuld zijn",
    names(315),
)
def CD067(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    for verwijzer, soort, naam, code in _verwijzers(ctx):
        if soort in _PROFESSIONAL_TYPES and not code and not naam:
            yield (
                path_of(verwijzer) + "/Naam",
                f"Verwijzer of Type {soort} without a ZorgverlenerCode must have a Naam",
            )


@rule(
    "CD068",
    "Als Verwijzer/Type niet 02 t/m 05 is, moet ZorgverlenerCode leeg zijn",
    names(315),
)
def CD068(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    for verwijzer, soort, _naam, code in _verwijzers(ctx):
        if code and soort is not None and soort not in _PROFESSIONAL_TYPES:
            yield (
                path_of(verwijzer) + "/ZorgverlenerCode",
                f"Verwijzer of Type {soort} may not have a ZorgverlenerCode "
                "(only types 02, 03, 04 and 05 do)",
            )


# --- 317: verzoek om wijziging ----------------------------------------------------------------


def _verzoek(ctx: RuleContext) -> etree._Element | None:
    return ctx.fields(ctx.fields(ctx.root).get("Client")).get("Verzoek")


def _holds(ctx: RuleContext, verzoek: etree._Element, container: str, line: str) -> bool:
    """Whether the Verzoek's `container` (e.g. NieuweProducten) holds a `line`."""
    return ctx.fields(ctx.fields(verzoek).get(container)).get(line) is not None


@rule(
    "TR352",
    "Een verzoek om wijziging bevat minstens één OngewijzigdProduct of TeWijzigenProduct",
    names(317),
)
def TR352(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    verzoek = _verzoek(ctx)
    if verzoek is None:
        return
    if not _holds(ctx, verzoek, "OngewijzigdeProducten", "OngewijzigdProduct") and not _holds(
        ctx, verzoek, "TeWijzigenProducten", TE_WIJZIGEN.name
    ):
        yield (
            path_of(verzoek),
            "Verzoek must hold at least one OngewijzigdProduct or TeWijzigenProduct "
            "(a verzoek om wijziging rests on an actual toewijzing)",
        )


@rule(
    "TR353",
    "Een verzoek om wijziging bevat minstens één TeWijzigenProduct of NieuwProduct",
    names(317),
)
def TR353(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    verzoek = _verzoek(ctx)
    if verzoek is None:
        return
    if not _holds(ctx, verzoek, "TeWijzigenProducten", TE_WIJZIGEN.name) and not _holds(
        ctx, verzoek, "NieuweProducten", NIEUW.name
    ):
        yield (
            path_of(verzoek),
            "Verzoek must hold at least one TeWijzigenProduct or NieuwProduct "
            "(something must change)",
        )


@rule("TR380", "Einddatum moet na de Dagtekening van het bericht liggen", names(317))
def TR380(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    # rules.md §6 reading 1: the Einddatum of TeWijzigenProduct and NieuwProduct; not the
    # GewensteIngangsdatum, which may lie on or before the Dagtekening.
    dagtekening = ctx.dagtekening
    if dagtekening is None:
        return
    for cls, _line, f in lines(ctx, _CHANGES):
        end_el = f.get(cls.end)
        end = parse_date(text_of(end_el))
        if end_el is not None and end is not None and end <= dagtekening:
            yield (
                path_of(end_el),
                f"{cls.name}/{cls.end} {end} must lie after the Dagtekening {dagtekening}",
            )


@rule(
    "TR410",
    "Een product mag in de nieuwe producten niet in overlappende perioden voorkomen",
    names(317),
)
def TR410(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    yield from _overlaps(ctx, NIEUW)


# This family's rules, in the order their findings are reported.
RULES: Final[tuple[Rule, ...]] = (
    TR383,
    TR386,
    CD043,
    CD066,
    CD067,
    CD068,
    TR352,
    TR353,
    TR380,
    TR410,
)
