"""Builds 301/323/325 messages for the declaratie history tests (by editing the valid
fixtures) and replays them in memory or on the real PostgreSQL."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import uuid4

from lxml import etree

from hub.domain.findings import Finding
from hub.domain.history import HistoryEffects, HistoryFacts, HistoryState, evaluate, extract
from hub.domain.xmlcodec import child, local_name, parse_message, read_envelope, serialize
from hub.infra import store

from ._build import BSN, SECRET, fixture

__all__ = ["BSN", "SECRET", "P", "T", "antwoord", "declaratie", "toewijzing"]

_IDS = itertools.count(5000)
_NUMMERS = itertools.count(1)


@dataclass(frozen=True)
class T:
    """One ToegewezenProduct of a 301 (None leaves the element out)."""

    nummer: str = "300201"
    categorie: str | None = "02"
    code: str | None = "02A04"
    ingang: str = "2025-04-01"
    eind: str | None = "2025-12-31"
    omvang: tuple[int, str, str] | None = (4, "04", "2")  # Volume, Eenheid, Frequentie
    budget: int | None = None
    reden: str | None = None
    tijd: str = "10:15:00"
    datum: str = "2025-03-24"


@dataclass(frozen=True)
class P:
    """One Prestatie of a 323."""

    ref: str
    nummer: str = "300201"
    categorie: str = "02"
    code: str = "02A04"
    begin: str = "2025-04-01"
    end: str = "2025-04-30"
    volume: int = 16
    eenheid: str = "04"
    tarief: int | None = 6250
    credit: bool = False
    vorig: str | None = None
    bsn: str = BSN

    @property
    def bedrag(self) -> int:
        return self.volume if self.eenheid == "83" else self.volume * (self.tarief or 0)


def _set(parent: etree._Element, name: str, value: str | None) -> None:
    el = child(parent, name)
    if value is None:
        if el is not None:
            parent.remove(el)
        return
    assert el is not None, name
    el.text = value


def _after(parent: etree._Element, anchor: str, tag: str, value: str) -> None:
    el = etree.Element(tag)
    el.text = value
    found = child(parent, anchor)
    assert found is not None, anchor
    found.addnext(el)


def toewijzing(
    *lines: T, bsn: str = BSN, identificatie: str | None = None, kind: str = "WMO"
) -> etree._Element:
    """A WMO301 (or, kind "JW", a JW301 between the same parties) with these
    ToegewezenProducten."""
    root = fixture(f"{kind}301")
    header = child(root, "Header")
    assert header is not None
    _set(header, "Afzender", "0363")
    _set(header, "Ontvanger", "65656055")
    _set(child(header, "BerichtIdentificatie"), "Identificatie", identificatie or str(next(_IDS)))  # type: ignore[arg-type]
    client = child(root, "Client")
    assert client is not None
    _set(client, "Bsn", bsn)
    parent = child(client, "ToegewezenProducten")
    assert parent is not None
    template = child(parent, "ToegewezenProduct")
    assert template is not None
    ns = template.tag[: template.tag.index("}") + 1]
    for old in list(parent):
        parent.remove(old)
    for t in lines:
        el = copy.deepcopy(template)
        _set(el, "ToewijzingNummer", t.nummer)
        product = child(el, "Product")
        assert product is not None
        if t.categorie is None:
            el.remove(product)
        else:
            _set(product, "Categorie", t.categorie)
            _set(product, "Code", t.code)
        _set(el, "Toewijzingsdatum", t.datum)
        _set(el, "Toewijzingstijd", t.tijd)
        _set(el, "Ingangsdatum", t.ingang)
        _set(el, "Einddatum", t.eind)
        omvang = child(el, "Omvang")
        assert omvang is not None
        if t.omvang is None:
            el.remove(omvang)
        else:
            for name, value in zip(("Volume", "Eenheid", "Frequentie"), t.omvang, strict=True):
                _set(omvang, name, str(value))
        if t.reden is not None:
            _after(el, "Einddatum" if t.eind else "Ingangsdatum", f"{ns}RedenWijziging", t.reden)
        if t.budget is not None:
            last = child(el, "Omvang") or child(el, "Einddatum")
            assert last is not None
            b = etree.Element(f"{ns}Budget")
            b.text = str(t.budget)
            last.addnext(b)
        parent.append(el)
    return parse_message(serialize(root))


def declaratie(
    *prestaties: P,
    identificatie: str | None = None,
    nummer: str | None = None,
    periode: tuple[str, str] = ("2025-04-01", "2025-04-30"),
    dagtekening: str = "2025-05-06",
    kind: str = "WMO",
) -> etree._Element:
    """A WMO323 (or, kind "JW", a JW323 between the same parties) with these Prestaties,
    grouped per Bsn in order of first appearance."""
    root = fixture(f"{kind}323")
    header = child(root, "Header")
    assert header is not None
    _set(header, "Afzender", "65656055")
    _set(header, "Ontvanger", "0363")
    ident = child(header, "BerichtIdentificatie")
    assert ident is not None
    _set(ident, "Identificatie", identificatie or str(next(_IDS)))
    _set(ident, "Dagtekening", dagtekening)
    decl = child(root, "Declaratie")
    assert decl is not None
    _set(decl, "DeclaratieNummer", nummer or f"D{next(_NUMMERS)}")
    _set(child(decl, "DeclaratiePeriode"), "Begindatum", periode[0])  # type: ignore[arg-type]
    _set(child(decl, "DeclaratiePeriode"), "Einddatum", periode[1])  # type: ignore[arg-type]
    _set(decl, "DeclaratieDagtekening", dagtekening)
    clienten = child(decl, "Clienten")
    assert clienten is not None
    client_template = child(clienten, "Client")
    assert client_template is not None
    prestatie_template = child(child(client_template, "Prestaties"), "Prestatie")
    assert prestatie_template is not None
    for old in list(clienten):
        clienten.remove(old)
    by_bsn: dict[str, etree._Element] = {}
    total = 0
    for p in prestaties:
        if p.bsn not in by_bsn:
            c = copy.deepcopy(client_template)
            _set(c, "Bsn", p.bsn)
            ps = child(c, "Prestaties")
            assert ps is not None
            for old in list(ps):
                ps.remove(old)
            clienten.append(c)
            by_bsn[p.bsn] = ps
        by_bsn[p.bsn].append(_prestatie(prestatie_template, p))
        total += -p.bedrag if p.credit else p.bedrag
    totaal = child(decl, "TotaalIngediendBedrag")
    assert totaal is not None
    _set(totaal, "TotaalBedrag", str(abs(total)))
    _set(totaal, "DebetCredit", "C" if total < 0 else "D")
    return parse_message(serialize(root))


def _prestatie(template: etree._Element, p: P) -> etree._Element:
    el = copy.deepcopy(template)
    ref = child(el, "ProductReferentie")
    assert ref is not None
    _set(ref, "ReferentieNummer", p.ref)
    if p.vorig is not None:
        nr = child(ref, "ReferentieNummer")
        assert nr is not None
        _after(
            ref,
            "ReferentieNummer",
            nr.tag.replace("ReferentieNummer", "VorigReferentieNummer"),
            p.vorig,
        )
    _set(el, "ToewijzingNummer", p.nummer)
    _set(el, "ProductCategorie", p.categorie)
    _set(el, "ProductCode", p.code)
    _set(child(el, "ProductPeriode"), "Begindatum", p.begin)  # type: ignore[arg-type]
    _set(child(el, "ProductPeriode"), "Einddatum", p.end)  # type: ignore[arg-type]
    _set(el, "GeleverdVolume", str(p.volume))
    _set(el, "Eenheid", p.eenheid)
    _set(el, "ProductTarief", None if p.eenheid == "83" else str(p.tarief))
    bedrag = child(el, "IngediendBedrag")
    assert bedrag is not None
    _set(bedrag, "Bedrag", str(p.bedrag))
    _set(bedrag, "DebetCredit", "C" if p.credit else "D")
    return el


def antwoord(
    heen: etree._Element,
    rejected: Sequence[str] = (),
    *,
    header_codes: Sequence[str] | None = None,
    identificatie: str | None = None,
    dagtekening: str | None = None,
    nummer: str | None = None,
    change: dict[str, tuple[str, str]] | None = None,
    xsd_versie: str | None = None,
    bsn: str | None = None,
) -> etree._Element:
    """The gemeente's WMO325 on the 323 `heen`, returning the Prestaties `rejected` (by
    ReferentieNummer, code 9307) unchanged, or changed per `change` {ref: (element, value)}."""
    root = fixture("WMO325")
    ns = root.tag[: root.tag.index("}") + 1]
    header = child(root, "Header")
    assert header is not None
    heen_header = child(heen, "Header")
    heen_ident = child(heen_header, "BerichtIdentificatie")
    _set(child(header, "BerichtIdentificatie"), "Identificatie", identificatie or str(next(_IDS)))  # type: ignore[arg-type]
    decl_ident = child(header, "DeclaratieIdentificatie")
    assert decl_ident is not None
    _set(decl_ident, "Identificatie", child(heen_ident, "Identificatie").text)  # type: ignore[union-attr]
    _set(decl_ident, "Dagtekening", dagtekening or child(heen_ident, "Dagtekening").text)  # type: ignore[union-attr]
    if xsd_versie is not None:
        _set(child(header, "XsdVersieDeclaratie"), "BerichtXsdVersie", xsd_versie)  # type: ignore[arg-type]
    codes = child(header, "RetourCodes")
    assert codes is not None
    for old in list(codes):
        codes.remove(old)
    for code in header_codes or (["0200"] if rejected else ["8001"]):
        etree.SubElement(codes, f"{ns}RetourCode").text = code
    body = child(root, "DeclaratieAntwoord")
    assert body is not None
    heen_decl = child(heen, "Declaratie")
    _set(body, "DeclaratieNummer", nummer or child(heen_decl, "DeclaratieNummer").text)  # type: ignore[union-attr]
    clienten = child(body, "Clienten")
    assert clienten is not None
    for old in list(clienten):
        clienten.remove(old)
    for heen_client in child(heen_decl, "Clienten"):  # type: ignore[union-attr]
        returned = [
            p
            for p in child(heen_client, "Prestaties")  # type: ignore[union-attr]
            if _ref(p) in rejected
        ]
        if not returned:
            continue
        c = etree.SubElement(clienten, f"{ns}Client")
        etree.SubElement(c, f"{ns}Bsn").text = bsn or child(heen_client, "Bsn").text  # type: ignore[union-attr]
        ps = etree.SubElement(c, f"{ns}Prestaties")
        for p in returned:
            copied = _moved(p, heen.tag[: heen.tag.index("}") + 1], ns)
            ref = child(child(copied, "ProductReferentie"), "ReferentieNummer").text  # type: ignore[union-attr]
            if change and ref in change:
                name, value = change[ref]
                holder = (
                    child(copied, "ProductReferentie") if name == "ReferentieNummer" else copied
                )
                _set(holder, name, value)  # type: ignore[arg-type]
            rc = etree.SubElement(copied, f"{ns}RetourCodes")
            etree.SubElement(rc, f"{ns}RetourCode").text = "9307"
            ps.append(copied)
        rc = etree.SubElement(c, f"{ns}RetourCodes")
        etree.SubElement(rc, f"{ns}RetourCode").text = "0200"
    _totals(body, heen_decl, rejected)  # type: ignore[arg-type]
    if not len(clienten):
        body.remove(clienten)
    if header_codes is None and not rejected:
        root.remove(body)  # fully granted: the header alone (8001)
    return parse_message(serialize(root))


def _signed(amount: etree._Element | None, name: str) -> int:
    value = int(child(amount, name).text or "0")  # type: ignore[union-attr]
    return -value if child(amount, "DebetCredit").text == "C" else value  # type: ignore[union-attr]


def _totals(body: etree._Element, heen_decl: etree._Element, rejected: Sequence[str]) -> None:
    """TotaalIngediendBedrag as in the 323, TotaalToegekendBedrag minus the rejected (TR342)."""
    ingediend = _signed(child(heen_decl, "TotaalIngediendBedrag"), "TotaalBedrag")
    returned = sum(
        _signed(child(p, "IngediendBedrag"), "Bedrag")
        for p in heen_decl.iter("{*}Prestatie")
        if _ref(p) in rejected
    )
    for name, value in (
        ("TotaalIngediendBedrag", ingediend),
        ("TotaalToegekendBedrag", ingediend - returned),
    ):
        el = child(body, name)
        assert el is not None
        _set(el, "TotaalBedrag", str(abs(value)))
        _set(el, "DebetCredit", "C" if value < 0 else "D")


def _ref(prestatie: etree._Element) -> str:
    return child(child(prestatie, "ProductReferentie"), "ReferentieNummer").text or ""  # type: ignore[union-attr]


def _moved(el: etree._Element, old: str, new: str) -> etree._Element:
    """A fresh copy of `el` with its tags moved from namespace `old` to `new` (built anew:
    retagging a deep copy keeps the old default namespace in lxml's serialisation)."""
    out = etree.Element(new + local_name(el) if el.tag.startswith(old) else el.tag)
    kids = list(el.iterchildren("*"))
    if not kids:
        out.text = el.text
    for kid in kids:
        out.append(_moved(kid, old, new))
    return out


# --- replay --------------------------------------------------------------------------------


def facts_of(root: etree._Element) -> HistoryFacts:
    name = read_envelope(root).message_name
    assert name is not None
    return extract(root, name, SECRET, message_id=uuid4())


def kept(facts: HistoryFacts, findings: tuple[Finding, ...], effects: HistoryEffects) -> bool:
    """Whether the hub keeps the effects, as hub.domain.decide.heenbericht does: a clean message,
    or a 323 whose declaratie stands while some Prestaties are rejected."""
    return not findings or (facts.declaratie is not None and effects.declaratie is not None)


class Memory:
    """The history in memory."""

    def __init__(self) -> None:
        self.state = HistoryState()

    def send(self, root: etree._Element) -> list[tuple[str, str]]:
        facts = facts_of(root)
        outcome = evaluate(facts, self.state)
        if kept(facts, outcome.findings, outcome.effects):
            self.state = self.state.with_effects(outcome.effects)
        return [(f.rule, f.retourcode) for f in outcome.findings]


async def on_db(pool: store.Pool, *roots: etree._Element) -> list[list[tuple[str, str]]]:
    """One batch in one transaction on the real PostgreSQL: extract, load, evaluate, apply."""
    facts = [facts_of(root) for root in roots]
    found: list[list[tuple[str, str]]] = []
    effects: list[HistoryEffects] = []
    async with pool.acquire() as conn, conn.transaction():
        state = await store.load_history(conn, facts)
        for f in facts:
            outcome = evaluate(f, state)
            found.append([(x.rule, x.retourcode) for x in outcome.findings])
            if kept(f, outcome.findings, outcome.effects):
                state = state.with_effects(outcome.effects)
                effects.append(outcome.effects)
        await store.apply_history(conn, effects)
    return found
