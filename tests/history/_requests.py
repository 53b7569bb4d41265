"""Builds 301 (with ReferentieAanbieder, RedenWijziging, Omvang, Budget), 315, 317 and 319
messages for the request history tests, from the valid fixtures (iWmo by default, iJw with
`std="JW"`). Every message gets a fresh Identificatie."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Final

from lxml import etree

from hub.domain.xmlcodec import child, parse_message, serialize

from ._build import BSN, fixture

_IDS = itertools.count(5000)
GEMEENTE: Final = {"WMO": "0363", "JW": "0344"}
AANBIEDER: Final = {"WMO": "65656055", "JW": "41125003"}
CLIENT: Final = {"WMO": BSN, "JW": "239157461"}  # the Bsn of each standard's 301 fixture


@dataclass(frozen=True)
class Omvang:
    volume: int = 4
    eenheid: str = "04"
    frequentie: str = "2"


@dataclass(frozen=True)
class T:
    """One ToegewezenProduct; None leaves the element out."""

    nummer: str = "300201"
    categorie: str | None = "02"
    code: str | None = "02A04"
    ingang: str = "2025-04-01"
    eind: str | None = "2025-12-31"
    reden: str | None = None
    omvang: Omvang | None = field(default_factory=Omvang)
    budget: int | None = None
    ref: str | None = None
    datum: str = "2025-03-24"
    tijd: str = "10:15:00"


@dataclass(frozen=True)
class W:
    """One TeWijzigenProduct."""

    nummer: str = "300201"
    ingang: str = "2025-06-01"
    eind: str | None = "2025-12-31"
    omvang: Omvang | None = field(default_factory=Omvang)
    budget: int | None = None


@dataclass(frozen=True)
class N:
    """One NieuwProduct."""

    categorie: str | None = "03"
    code: str | None = "03A01"
    ingang: str = "2025-06-01"
    eind: str | None = "2025-12-31"
    omvang: Omvang | None = field(default_factory=Omvang)


class _Doc:
    """The fixture of one message kind, with element builders in its namespaces."""

    def __init__(self, std: str, number: str, bsn: str | None, dag: str | None) -> None:
        self.root = fixture(f"{std}{number}")
        nsmap = self.root.nsmap
        self.ns = nsmap[None]
        self.basis = next(uri for prefix, uri in nsmap.items() if prefix is not None)
        header = child(self.root, "Header")
        ident = child(header, "BerichtIdentificatie")
        _text(child(ident, "Identificatie"), str(next(_IDS)))
        if dag is not None:
            _text(child(ident, "Dagtekening"), dag)
        if bsn is not None:
            _text(child(child(self.root, "Client"), "Bsn"), bsn)

    def el(self, parent: etree._Element, name: str, text: object = None) -> etree._Element:
        made = etree.SubElement(parent, f"{{{self.ns}}}{name}")
        if text is not None:
            made.text = str(text)
        return made

    def basis_el(self, parent: etree._Element, name: str, text: object) -> None:
        etree.SubElement(parent, f"{{{self.basis}}}{name}").text = str(text)

    def product(self, parent: etree._Element, categorie: str | None, code: str | None) -> None:
        if categorie is None:
            return
        product = self.el(parent, "Product")
        self.basis_el(product, "Categorie", categorie)
        if code is not None:
            self.basis_el(product, "Code", code)

    def omvang(self, parent: etree._Element, omvang: Omvang | None) -> None:
        if omvang is None:
            return
        el = self.el(parent, "Omvang")
        self.basis_el(el, "Volume", omvang.volume)
        self.basis_el(el, "Eenheid", omvang.eenheid)
        self.basis_el(el, "Frequentie", omvang.frequentie)

    def emptied(self, *path: str) -> etree._Element:
        el: etree._Element | None = self.root
        for name in path:
            el = child(el, name)
        assert el is not None, path
        for old in list(el):
            el.remove(old)
        return el

    def done(self) -> etree._Element:
        return parse_message(serialize(self.root))  # exactly what the hub would parse


def _text(el: etree._Element | None, value: str) -> None:
    assert el is not None
    el.text = value


def toewijzing(*lines: T, bsn: str | None = None, std: str = "WMO") -> etree._Element:
    """A 301 with these ToegewezenProducten (the fixture's Client otherwise)."""
    doc = _Doc(std, "301", bsn, None)
    parent = doc.emptied("Client", "ToegewezenProducten")
    for t in lines or (T(),):
        line = doc.el(parent, "ToegewezenProduct")
        doc.el(line, "ToewijzingNummer", t.nummer)
        if t.ref is not None:
            doc.el(line, "ReferentieAanbieder", t.ref)
        doc.product(line, t.categorie, t.code)
        doc.el(line, "Toewijzingsdatum", t.datum)
        doc.el(line, "Toewijzingstijd", t.tijd)
        doc.el(line, "Ingangsdatum", t.ingang)
        if t.eind is not None:
            doc.el(line, "Einddatum", t.eind)
        if t.reden is not None:
            doc.el(line, "RedenWijziging", t.reden)
        doc.omvang(line, t.omvang)
        if t.budget is not None:
            doc.el(line, "Budget", t.budget)
    return doc.done()


def aanvraag(*refs: str, bsn: str | None = None, std: str = "WMO") -> etree._Element:
    """A 315 with one AangevraagdProduct per ReferentieAanbieder (the fixture's product,
    each a year apart so that they never overlap)."""
    doc = _Doc(std, "315", bsn or CLIENT[std], None)
    parent = child(child(doc.root, "Client"), "AangevraagdeProducten")
    assert parent is not None
    template = child(parent, "AangevraagdProduct")
    assert template is not None
    parent.remove(template)
    for i, ref in enumerate(refs or ("VOT-1",)):
        line = etree.fromstring(etree.tostring(template))
        _text(child(line, "ReferentieAanbieder"), ref)
        for name in ("ToewijzingIngangsdatum", "ToewijzingEinddatum"):
            el = child(line, name)
            if el is not None and el.text:
                el.text = str(int(el.text[:4]) + i) + el.text[4:]
        parent.append(line)
    return doc.done()


def verzoek(
    ref: str = "VOW-1",
    *,
    ongewijzigd: tuple[str, ...] = (),
    te_wijzigen: tuple[W, ...] = (),
    nieuw: tuple[N, ...] = (),
    bsn: str | None = None,
    dag: str = "2025-05-12",
    std: str = "WMO",
) -> etree._Element:
    """A 317 whose Verzoek carries `ref` and these products."""
    doc = _Doc(std, "317", bsn or CLIENT[std], dag)
    v = doc.emptied("Client", "Verzoek")
    doc.el(v, "ReferentieAanbieder", ref)
    doc.el(v, "RedenVerzoek", "1")
    if ongewijzigd:
        parent = doc.el(v, "OngewijzigdeProducten")
        for nummer in ongewijzigd:
            doc.el(doc.el(parent, "OngewijzigdProduct"), "ToewijzingNummer", nummer)
    if te_wijzigen:
        parent = doc.el(v, "TeWijzigenProducten")
        for w in te_wijzigen:
            line = doc.el(parent, "TeWijzigenProduct")
            doc.el(line, "ToewijzingNummer", w.nummer)
            doc.el(line, "GewensteIngangsdatum", w.ingang)
            if w.eind is not None:
                doc.el(line, "Einddatum", w.eind)
            doc.omvang(line, w.omvang)
            if w.budget is not None:
                doc.el(line, "Budget", w.budget)
    if nieuw:
        parent = doc.el(v, "NieuweProducten")
        for n in nieuw:
            line = doc.el(parent, "NieuwProduct")
            doc.product(line, n.categorie, n.code)
            doc.el(line, "GewensteIngangsdatum", n.ingang)
            if n.eind is not None:
                doc.el(line, "Einddatum", n.eind)
            doc.omvang(line, n.omvang)
    return doc.done()


def antwoord(ref: str = "VOW-1", answer: str = "1", std: str = "WMO") -> etree._Element:
    """A 319 on `ref`: 1 afgewezen (with a RedenAfwijzingVerzoek, CD085) or 2 in onderzoek."""
    doc = _Doc(std, "319", None, None)
    a = doc.emptied("Antwoord")
    doc.el(a, "ReferentieAanbieder", ref)
    doc.el(a, "VerzoekAntwoord", answer)
    if answer == "1":
        doc.el(a, "RedenAfwijzingVerzoek", "2")
    return doc.done()
