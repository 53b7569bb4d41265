"""History facts: what the berichtoverstijgende rules need from one message, without its BSN.

`extract` reads a message that already passed controleniveau 1 and 2 (XSD and in-message
rules) and keeps only keys, dates and codes. The person is kept as `person_key` (a keyed
hash); the BSN, names and birth date never leave the XML tree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Final
from uuid import UUID

from lxml import etree

from hub.domain.history.declaratie_facts import (
    DeclaratieAntwoordFacts,
    DeclaratieFacts,
    extract_antwoord,
    extract_declaratie,
)
from hub.domain.history.reading import (
    HistoryInputError,
    line_elements,
    required,
    required_date,
    toewijzing_nummer,
)
from hub.domain.history.request_facts import (
    AanvraagLine,
    AntwoordFacts,
    Omvang,
    VerzoekFacts,
    aanvragen_of,
    antwoord_of,
    budget_of,
    omvang_of,
    verzoek_of,
)
from hub.domain.messages import Direction, MessageType, Role, Standard, by_name
from hub.domain.privacy import person_key
from hub.domain.rules.base import fields, parse_date, path_of
from hub.domain.xmlcodec import child, local_name, text_of

__all__ = [
    "DELETE",
    "DELETED_REASONS",
    "IDENTIFICATIE_LOCATION",
    "NEW",
    "TEMPORARY_STOP",
    "HistoryFacts",
    "Parties",
    "Scope",
    "StartKey",
    "StartLine",
    "StopKey",
    "StopLine",
    "ToewijzingLine",
    "extract",
]

IDENTIFICATIE_LOCATION: Final = "/Bericht/Header/BerichtIdentificatie/Identificatie"
TEMPORARY_STOP: Final = "20"  # RedenBeeindiging: tijdelijke beëindiging
NEW: Final = "1"  # StatusAanlevering: eerste aanlevering
DELETE: Final = "3"  # StatusAanlevering: verwijderen
# RedenWijziging of a deleted toewijzing (with Einddatum = Ingangsdatum, rules.md §0):
# 13 verwijderd, 01 administratieve correctie (vervallen).
DELETED_REASONS: Final = frozenset({"13", "01"})

_LINE_NUMBERS: Final = frozenset({301, 305, 307, 315, 317, 319})
_LINE_STANDARDS: Final = frozenset({Standard.IWMO, Standard.IJW})


@dataclass(frozen=True, slots=True)
class Parties:
    """The gemeente and aanbieder of an iWmo/iJw message, in their domain ("iwmo"/"ijw").

    iWmo and iJw are separate domains (rules.md §0): a ToewijzingNummer or ReferentieAanbieder
    of one says nothing about the other."""

    domain: str
    gemeente: str
    aanbieder: str


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose history a line belongs to: one client of one aanbieder in one gemeente."""

    gemeente: str
    aanbieder: str
    person: str  # person_key of the Bsn, never the Bsn


@dataclass(frozen=True, slots=True, order=True)
class StartKey:
    """Logical key of a StartProduct apart from the person (who is in the Scope).

    Absent optional parts are "" so keys compare and store without NULLs: an empty
    `toewijzing` means taakgericht (no ToewijzingNummer).
    """

    toewijzing: str
    categorie: str
    code: str
    begindatum: date

    @property
    def product(self) -> tuple[str, str, str]:
        """The toegewezen product this start delivers: ToewijzingNummer + Product."""
        return (self.toewijzing, self.categorie, self.code)


@dataclass(frozen=True, slots=True, order=True)
class StopKey:
    """Logical key of a StopProduct: the start it stops + RedenBeeindiging + Einddatum."""

    start: StartKey
    reden: str
    einddatum: date

    @property
    def temporary(self) -> bool:
        return self.reden == TEMPORARY_STOP


@dataclass(frozen=True, slots=True)
class ToewijzingLine:
    """One ToegewezenProduct of a 301 (in the state: the current version of its number)."""

    location: str = field(compare=False)  # where it was read; not part of its value
    nummer: str
    categorie: str
    code: str
    ingangsdatum: date
    einddatum: date | None
    toegewezen_op: datetime  # Toewijzingsdatum + Toewijzingstijd: the newest version wins
    reden_wijziging: str = ""  # RedenWijziging, "" when absent
    omvang: Omvang | None = None
    budget: int | None = None
    referentie: str = ""  # ReferentieAanbieder, "" when absent

    @property
    def deleted(self) -> bool:
        """Einddatum = Ingangsdatum with RedenWijziging 13 or 01 (rules.md §0)."""
        return self.einddatum == self.ingangsdatum and self.reden_wijziging in DELETED_REASONS

    def actual_on(self, day: date) -> bool:
        """Not deleted and valid on or after `day` (open end, or Einddatum >= day)."""
        return not self.deleted and (self.einddatum is None or self.einddatum >= day)


@dataclass(frozen=True, slots=True)
class StartLine:
    location: str
    key: StartKey
    status: str  # StatusAanlevering, "1" or "3"


@dataclass(frozen=True, slots=True)
class StopLine:
    location: str
    key: StopKey
    status: str


@dataclass(frozen=True, slots=True)
class HistoryFacts:
    """Everything the history rules read from one message, in document order."""

    message_name: str  # catalogue name, "WMO305"
    berichtsoort: str  # the message kind's BerichtCode, "418"
    sender: str  # Header/Afzender
    receiver: str  # Header/Ontvanger
    identificatie: str
    identificatie_location: str
    message_id: UUID | None  # the hub's upload id, recorded with the identificatie
    scope: Scope | None  # None for messages without start/stop/toewijzing lines
    toewijzingen: tuple[ToewijzingLine, ...] = ()
    starts: tuple[StartLine, ...] = ()
    stops: tuple[StopLine, ...] = ()
    parties: Parties | None = None  # every iWmo/iJw 301-319 message
    dagtekening: date | None = None  # BerichtIdentificatie/Dagtekening
    aanvragen: tuple[AanvraagLine, ...] = ()  # 315
    verzoek: VerzoekFacts | None = None  # 317
    request_answer: AntwoordFacts | None = None  # 319 (its Antwoord)
    declaratie: DeclaratieFacts | None = None  # 323 (hub/domain/history/declaratie_facts.py)
    declaratie_antwoord: DeclaratieAntwoordFacts | None = None  # 325

    @property
    def domain(self) -> str:
        return self.parties.domain if self.parties is not None else ""

    @property
    def named_nummers(self) -> frozenset[str]:
        """The ToewijzingNummers this message names that the rules look up regardless of the
        client (TR332 on a 301, TR304 on a 317): `load_history` loads them by number."""
        nummers = {t.nummer for t in self.toewijzingen}
        if self.verzoek is not None:
            nummers.update(self.verzoek.nummers)
        if self.declaratie is not None:  # TR338/TR304 on a 323 look its toewijzingen up
            nummers.update(p.toewijzing for p in self.declaratie.prestaties if p.toewijzing)
        return frozenset(nummers)

    @property
    def referenties(self) -> frozenset[str]:
        """The ReferentieAanbieder values this message names (315, 317, 319, a 301 line)."""
        refs = {a.referentie for a in self.aanvragen}
        refs.update(t.referentie for t in self.toewijzingen if t.referentie)
        if self.verzoek is not None:
            refs.add(self.verzoek.referentie)
        if self.request_answer is not None:
            refs.add(self.request_answer.referentie)
        return frozenset(refs)


def extract(
    root: etree._Element,
    message_name: str,
    person_secret: bytes,
    *,
    message_id: UUID | None = None,
) -> HistoryFacts:
    """The history facts of one heenbericht (any iWmo/iJw/iEb kind except retours).

    iWmo and iJw messages also give their Parties and Dagtekening; 301, 305, 307, 315 and 317
    their client's Scope and lines (ToegewezenProducten, StartProducten, StopProducten,
    AangevraagdProducten, the Verzoek), 319 its Antwoord (it has no Client); 323/325 see
    hub/domain/history/declaratie_facts.py. Every other kind gives only what TR056 needs. Raises
    HistoryInputError when something a valid message always has is missing, and ValueError
    for a retour.
    """
    mt = by_name(message_name)
    if mt.direction is Direction.RETOUR:
        raise ValueError(f"{mt.name} is a retour: history rules read heenberichten only")
    header_el = child(root, "Header")
    header = fields(header_el)
    ident_parent = header.get("BerichtIdentificatie")
    ident_el = child(ident_parent, "Identificatie")
    sender = required(text_of(header.get("Afzender")), "/Bericht/Header/Afzender")
    receiver = required(text_of(header.get("Ontvanger")), "/Bericht/Header/Ontvanger")
    ident = required(text_of(ident_el), IDENTIFICATIE_LOCATION)
    location = _identificatie_location(root, (header_el, ident_parent, ident_el))

    if mt.number in (323, 325) and mt.standard in _LINE_STANDARDS:
        return _declaratie_facts(root, mt, person_secret, sender, receiver, ident, location,
                                 message_id)  # fmt: skip
    if mt.number not in _LINE_NUMBERS or mt.standard not in _LINE_STANDARDS:
        return HistoryFacts(
            mt.name, mt.bericht_code, sender, receiver, ident, location, message_id, None
        )
    if mt.sender is Role.GEMEENTE:
        parties = Parties(mt.standard.value, sender, receiver)
    else:
        parties = Parties(mt.standard.value, receiver, sender)
    dagtekening = parse_date(text_of(child(ident_parent, "Dagtekening")))

    def facts(
        scope: Scope | None,
        toewijzingen: tuple[ToewijzingLine, ...] = (),
        starts: tuple[StartLine, ...] = (),
        stops: tuple[StopLine, ...] = (),
        aanvragen: tuple[AanvraagLine, ...] = (),
        verzoek: VerzoekFacts | None = None,
        request_answer: AntwoordFacts | None = None,
    ) -> HistoryFacts:
        # One constructor call per message (dataclasses.replace would build it twice).
        return HistoryFacts(
            mt.name, mt.bericht_code, sender, receiver, ident, location, message_id, scope,
            toewijzingen, starts, stops, parties, dagtekening, aanvragen, verzoek, request_answer,
        )  # fmt: skip

    if mt.number == 319:  # no Client: the Antwoord names its request by ReferentieAanbieder
        return facts(None, request_answer=antwoord_of(root))
    client = child(root, "Client")
    bsn = required(text_of(child(client, "Bsn")), "/Bericht/Client/Bsn")
    scope = _scope(mt, sender, receiver, person_key(bsn, person_secret))
    if mt.number == 301:
        found = line_elements(client, "ToegewezenProducten", "ToegewezenProduct")
        return facts(scope, toewijzingen=tuple(_toewijzing(el, where) for el, where in found))
    if mt.number == 305:
        found = line_elements(client, "StartProducten", "StartProduct")
        return facts(scope, starts=tuple(_start(el, w) for el, w in found))
    if mt.number == 315:
        return facts(scope, aanvragen=aanvragen_of(client))
    if mt.number == 317:
        return facts(scope, verzoek=verzoek_of(client))
    found = line_elements(client, "StopProducten", "StopProduct")
    return facts(scope, stops=tuple(_stop(el, w) for el, w in found))


def _identificatie_location(root: etree._Element, chain: tuple[etree._Element | None, ...]) -> str:
    """path_of the Identificatie (root/Header/BerichtIdentificatie/Identificatie, each the
    first of its name). In a message that passed XSD that is IDENTIFICATIE_LOCATION: the root
    is a Bericht and each of the three occurs once, so no position is written. Checking just
    that is cheaper than walking the path; anything else is walked."""
    last = chain[-1]
    if last is None:
        return IDENTIFICATIE_LOCATION
    # Each is the first of its local name, so no same-tag sibling comes before it: only a
    # later one would give its step a position.
    if (
        root.getparent() is None
        and local_name(root) == "Bericht"
        and all(el is not None and next(el.itersiblings(el.tag), None) is None for el in chain)
    ):
        return IDENTIFICATIE_LOCATION
    return path_of(last)


def _scope(mt: MessageType, sender: str, receiver: str, person: str) -> Scope:
    if mt.sender is Role.GEMEENTE:
        return Scope(gemeente=sender, aanbieder=receiver, person=person)
    return Scope(gemeente=receiver, aanbieder=sender, person=person)


def _status(f: dict[str, etree._Element], where: str) -> str:
    status = text_of(f.get("StatusAanlevering"))
    if status not in (NEW, DELETE):  # CS058 refuses anything else at level 2
        raise HistoryInputError(f"{where}/StatusAanlevering is not 1 or 3")
    return status


def _start_key(f: dict[str, etree._Element], where: str) -> StartKey:
    product = fields(f.get("Product"))
    return StartKey(
        toewijzing=toewijzing_nummer(text_of(f.get("ToewijzingNummer"))),
        categorie=text_of(product.get("Categorie")) or "",
        code=text_of(product.get("Code")) or "",
        begindatum=required_date(f.get("Begindatum"), f"{where}/Begindatum"),
    )


def _start(line: etree._Element, where: str) -> StartLine:
    f = fields(line)
    status = _status(f, where)
    return StartLine(where, _start_key(f, where), status)


def _stop(line: etree._Element, where: str) -> StopLine:
    f = fields(line)
    key = StopKey(
        start=_start_key(f, where),
        reden=required(text_of(f.get("RedenBeeindiging")), f"{where}/RedenBeeindiging"),
        einddatum=required_date(f.get("Einddatum"), f"{where}/Einddatum"),
    )
    status = _status(f, where)
    return StopLine(where, key, status)


def _toewijzing(line: etree._Element, where: str) -> ToewijzingLine:
    f = fields(line)
    product = fields(f.get("Product"))
    einde = f.get("Einddatum")
    tijd = text_of(f.get("Toewijzingstijd"))
    try:
        clock = time.fromisoformat(tijd or "")
    except ValueError:
        raise HistoryInputError(f"{where}/Toewijzingstijd is missing or not a time") from None
    datum = required_date(f.get("Toewijzingsdatum"), f"{where}/Toewijzingsdatum")
    return ToewijzingLine(
        location=where,
        nummer=required(
            toewijzing_nummer(text_of(f.get("ToewijzingNummer"))), f"{where}/ToewijzingNummer"
        ),
        categorie=text_of(product.get("Categorie")) or "",
        code=text_of(product.get("Code")) or "",
        ingangsdatum=required_date(f.get("Ingangsdatum"), f"{where}/Ingangsdatum"),
        einddatum=None if einde is None else required_date(einde, f"{where}/Einddatum"),
        # Naive: LDT_Datum and LDT_Tijd carry no timezone (Dutch local time).
        toegewezen_op=datetime.combine(datum, clock.replace(tzinfo=None)),
        reden_wijziging=text_of(f.get("RedenWijziging")) or "",
        omvang=omvang_of(f.get("Omvang")),
        budget=budget_of(f.get("Budget")),
        referentie=text_of(f.get("ReferentieAanbieder")) or "",
    )


def _declaratie_facts(
    root: etree._Element, mt: MessageType, secret: bytes, sender: str, receiver: str,
    ident: str, location: str, message_id: UUID | None,
) -> HistoryFacts:  # fmt: skip
    """A 323 or 325: its declaratie facts (history.declaratie_facts) and its parties."""
    if mt.sender is Role.GEMEENTE:
        parties = Parties(mt.standard.value, sender, receiver)
    else:
        parties = Parties(mt.standard.value, receiver, sender)
    declaratie = antwoord = None
    if mt.number == 323:
        declaratie = extract_declaratie(root, mt, secret)
    else:
        antwoord = extract_antwoord(root, mt, secret)
    return HistoryFacts(
        mt.name, mt.bericht_code, sender, receiver, ident, location, message_id, None,
        parties=parties, declaratie=declaratie, declaratie_antwoord=antwoord,
    )  # fmt: skip
