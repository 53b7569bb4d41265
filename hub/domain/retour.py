"""The retour builder: one retourbericht (or 325 declaratie-antwoord) per heenbericht.

Fill rules (IV028, domain.md §2.2, §2.10, §2.11), in order of precedence:

- any XSD finding (controleniveau 1): no retour at all, the sender gets an infrastructure
  error instead; `build_retour` raises `NoRetour` (a ValueError).
- any XSLT finding (niveau 2): only the Header, RetourCode 0001, XsltVersie filled.
- a niveau 3/4 finding in the Header, or one that does not lie inside a berichtklasse: only the
  Header, with the codes of those findings.
- niveau 3/4 findings inside classes: Header 0200; every top-level body element (the Client)
  holding such a finding is copied unchanged with all its classes, and each class gets
    * the codes of the findings whose nearest enclosing class it is;
    * 0233 ("niet beoordeeld") when it has no finding of its own but a class above it has:
      a rejected class is not processed further, so what hangs below it was not judged;
    * 0200 otherwise (the hub evaluates every class, so nothing else is "not evaluated").
  Body elements without findings are left out.
- no findings: only the Header, without RetourCodes.

A finding's location is resolved in the heenbericht as far as it exists; its class is the
nearest element on that path whose type in the retour schema has a RetourCodes child.

WMO325/JW325 (the answer to a 323) has its own header: Afzender and Ontvanger are swapped, its
BerichtIdentificatie is the hub's (`RetourContext`), the 323's goes into DeclaratieIdentificatie.
Header codes: 0001 (XSLT), the header-level codes, 0200 when Prestaties are rejected, 8001 when
the declaratie is fully accepted. Findings located on the Declaratie outside any Client count as
header-level (the whole declaratie is rejected). Only a body with rejected Prestaties is sent:
DeclaratieNummer, TotaalIngediendBedrag (copied), TotaalToegekendBedrag (ingediend minus the
rejected Prestaties' IngediendBedrag, D counted positive and C negative, the sign of the result
giving DebetCredit), and per Client with a rejected Prestatie its Bsn and only its rejected
Prestaties. A finding on the Client itself rejects all its Prestaties (each gets 0233 unless it
has its own codes); the Client then carries that code, otherwise 0200.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from lxml import etree

from hub.domain.findings import XSLT_RETOURCODE, Finding, Level
from hub.domain.messages import Direction
from hub.domain.packs import PackMessage, PackRegistry
from hub.domain.retourshape import RETOUR_CODES, Shape, locate, shape_of
from hub.domain.xmlcodec import child, child_text, local_name, read_envelope

__all__ = ["NoRetour", "RetourContext", "build_retour"]

OK: Final = "0200"  # Geen opmerking over deze berichtklasse
NOT_EVALUATED: Final = "0233"  # Berichtklasse is niet beoordeeld
FULLY_GRANTED: Final = "8001"  # Declaratie is volledig toegewezen
_VERSIE: Final = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")


class NoRetour(ValueError):
    """The heenbericht failed its XSD: IV028 sends no retour, the node reports the error."""


@dataclass(frozen=True, slots=True)
class RetourContext:
    """What the hub fills in that the heenbericht does not carry."""

    identificatie_retour: str  # unique per sender, 1..12 characters (LDT_IdentificatieBericht)
    dagtekening_retour: date
    xslt_versie: str | None  # e.g. "2.10.5"; required when the rejection is XSLT-based (IV028)

    def __post_init__(self) -> None:
        ident = self.identificatie_retour
        if not 1 <= len(ident) <= 12 or ident.isspace():
            raise ValueError("identificatie_retour must be 1 to 12 characters, not only spaces")
        if self.xslt_versie is not None and not _VERSIE.fullmatch(self.xslt_versie):
            raise ValueError(f"xslt_versie must look like 2.10.5, not {self.xslt_versie!r}")


def build_retour(
    heen: etree._Element, findings: Sequence[Finding], ctx: RetourContext, packs: PackRegistry
) -> etree._Element:
    """The retour (or 325) answering `heen`, which passed its XSD, given every finding on it.

    Raises NoRetour when a finding is an XSD failure, ValueError when `heen` is no heenbericht
    of a loaded pack or an XSLT rejection comes without `ctx.xslt_versie`, and KeyError when
    the pack lacks the answer message. The result validates against the answer's schema when
    `heen` validates against its own.
    """
    xsd = [f.rule for f in findings if f.level is Level.XSD]
    if xsd:
        raise NoRetour(f"XSD failures ({', '.join(sorted(set(xsd)))}) get no retourbericht")
    namespace = read_envelope(heen).namespace
    heen_pm = packs.match(namespace) if namespace else None
    if heen_pm is None:
        raise ValueError(f"no loaded pack has a message with namespace {namespace!r}")
    mt = heen_pm.message_type
    if not mt.is_heen or mt.answer is None:
        raise ValueError(f"{mt.name} is no heenbericht; only a heenbericht gets a retour")
    answer = packs.get(heen_pm.pack.standard, heen_pm.pack.release, mt.answer)
    xslt = any(f.level is Level.XSLT for f in findings)
    if xslt and ctx.xslt_versie is None:
        raise ValueError("an XSLT rejection needs the XsltVersie (IV028): set ctx.xslt_versie")
    writer = _Writer(heen, heen_pm, answer)
    if answer.message_type.direction is Direction.ANTWOORD:
        return _declaratie_antwoord(writer, findings, ctx, xslt)
    return _retour(writer, findings, ctx, xslt)


def _unique(codes: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(codes))


class _Writer:
    """Builds elements of the answer message, copying from the heenbericht where needed."""

    def __init__(self, heen: etree._Element, heen_pm: PackMessage, answer: PackMessage) -> None:
        self.heen, self.answer = heen, answer
        self.heen_ns, self.ns = heen_pm.namespace, answer.namespace
        self.header = _need(heen, "Header")
        # The heen's other prefixes (the basisschema's) stay, so copies read like the original.
        nsmap: dict[Any, str] = {
            p: uri for p, uri in heen.nsmap.items() if p is not None and uri != self.heen_ns
        }
        nsmap[None] = self.ns
        self.root = etree.Element(f"{{{self.ns}}}Bericht", nsmap=nsmap)

    def tag(self, src: etree._Element) -> str:
        """`src`'s tag, moved from the heen's namespace to the answer's."""
        return (
            f"{{{self.ns}}}{local_name(src)}"
            if src.tag.startswith(f"{{{self.heen_ns}}}")
            else src.tag
        )

    def add(self, parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
        el = etree.SubElement(parent, f"{{{self.ns}}}{name}")
        el.text = text
        return el

    def copy(self, parent: etree._Element, src: etree._Element) -> etree._Element:
        """A copy of `src` (elements, attributes and leaf text only) appended to `parent`."""
        el = etree.SubElement(parent, self.tag(src))
        el.attrib.update(src.attrib)
        kids = [c for c in src if isinstance(c.tag, str)]
        if not kids:
            el.text = src.text
        for c in kids:
            self.copy(el, c)
        return el

    def copy_header(self, parent: etree._Element, *names: str) -> None:
        for name in names:
            self.copy(parent, _need(self.header, name))

    def codes(self, parent: etree._Element, codes: Iterable[str]) -> None:
        wrapper = self.add(parent, RETOUR_CODES)
        for code in codes:
            self.add(wrapper, "RetourCode", code)

    def versions(self, parent: etree._Element, name: str) -> None:
        """An XsdVersie-like element holding the answer pack's versions; the child tags (in the
        basisschema namespace) and any version the pack does not declare come from the heen."""
        pack = self.answer.pack
        ours = {
            "BasisschemaXsdVersie": pack.basisschema_xsd_versie,
            "BerichtXsdVersie": pack.bericht_xsd_versie,
        }
        el = self.add(parent, name)
        for src in _need(self.header, "XsdVersie"):
            if isinstance(src.tag, str):
                etree.SubElement(el, src.tag).text = ours.get(local_name(src)) or src.text


def _need(el: etree._Element, name: str) -> etree._Element:
    found = child(el, name)
    if found is None:
        raise ValueError(f"heenbericht lacks <{name}> under <{local_name(el)}>")
    return found


def _retour(
    w: _Writer, findings: Sequence[Finding], ctx: RetourContext, xslt: bool
) -> etree._Element:
    shape = shape_of(w.answer)
    header_codes: list[str] = []
    own: dict[etree._Element, list[str]] = {}
    if xslt:
        header_codes = [XSLT_RETOURCODE]
    else:
        for f in findings:
            cls = _class_of(w.heen, shape, f.location)
            if cls is None:
                header_codes.append(f.retourcode)
            else:
                own.setdefault(cls, []).append(f.retourcode)
        if header_codes:
            own.clear()  # an error in the header answers with the header alone
        elif own:
            header_codes = [OK]
    header = w.add(w.root, "Header")
    w.add(header, "BerichtCode", w.answer.bericht_code)
    w.copy_header(
        header, "BerichtVersie", "BerichtSubversie", "Afzender", "Ontvanger",
        "BerichtIdentificatie", "XsdVersie",
    )  # fmt: skip
    w.add(header, "IdentificatieRetour", ctx.identificatie_retour)
    w.add(header, "DagtekeningRetour", ctx.dagtekening_retour.isoformat())
    if ctx.xslt_versie is not None:
        w.add(header, "XsltVersie", ctx.xslt_versie)
    w.versions(header, "XsdVersieRetour")
    if header_codes:
        w.codes(header, _unique(header_codes))
    if own:
        holders = {el for cls in own for el in cls.iterancestors()} | set(own)
        for body in w.heen:
            if body is not w.header and body in holders:
                type_name = shape.child_type(shape.root, local_name(body))
                _copy_with_codes(w, w.root, body, type_name, shape, own, False)
    return w.root


def _class_of(heen: etree._Element, shape: Shape, location: str) -> etree._Element | None:
    """The nearest class on `location` in the heenbericht; None for the Header or no class."""
    chain = locate(heen, location)
    if len(chain) < 2 or local_name(chain[1]) == "Header":
        return None
    found: etree._Element | None = None
    type_name: str | None = shape.root
    for el in chain[1:]:
        type_name = shape.child_type(type_name, local_name(el))
        if type_name is None:
            break
        if shape.is_class(type_name):
            found = el
    return found


def _copy_with_codes(
    w: _Writer,
    parent: etree._Element,
    src: etree._Element,
    type_name: str | None,
    shape: Shape,
    own: dict[etree._Element, list[str]],
    rejected_above: bool,
) -> None:
    if type_name is None:  # a basisschema type: copied as is
        w.copy(parent, src)
        return
    el = etree.SubElement(parent, w.tag(src))
    el.attrib.update(src.attrib)
    kids = [c for c in src if isinstance(c.tag, str)]
    if not kids:
        el.text = src.text
    is_class = shape.is_class(type_name)
    codes = own.get(src, [])
    below = rejected_above or (is_class and bool(codes))
    for c in kids:
        kid_type = shape.child_type(type_name, local_name(c))
        _copy_with_codes(w, el, c, kid_type, shape, own, below)
    if is_class:
        w.codes(el, _unique(codes) or [NOT_EVALUATED if rejected_above else OK])


def _declaratie_antwoord(
    w: _Writer, findings: Sequence[Finding], ctx: RetourContext, xslt: bool
) -> etree._Element:
    declaratie = _need(w.heen, "Declaratie")
    header_codes: list[str] = []
    # Per Client (in document order): the Client's own codes and its Prestaties' codes.
    clients: dict[etree._Element, tuple[list[str], dict[etree._Element, list[str]]]] = {}
    for client in _children(_need(declaratie, "Clienten"), "Client"):
        clients[client] = ([], {})
    if xslt:
        header_codes = [XSLT_RETOURCODE]
    else:
        for f in findings:
            chain = locate(w.heen, f.location)
            owner = next((e for e in chain if e in clients), None)
            if owner is None:
                header_codes.append(f.retourcode)
                continue
            prestatie = next(
                (e for e in chain[chain.index(owner) :] if _named(e, "Prestatie")), None
            )
            client_codes, prestaties = clients[owner]
            if prestatie is None:
                client_codes.append(f.retourcode)
            else:
                prestaties.setdefault(prestatie, []).append(f.retourcode)
    rejected = {c: v for c, v in clients.items() if v[0] or v[1]}
    if not header_codes:
        header_codes = [OK] if rejected else [FULLY_GRANTED]
    _antwoord_header(w, ctx, _unique(header_codes))
    if header_codes != [OK]:
        return w.root
    body = w.add(w.root, "DeclaratieAntwoord")
    w.copy(body, _need(declaratie, "DeclaratieNummer"))
    ingediend = w.copy(body, _need(declaratie, "TotaalIngediendBedrag"))
    toegekend = _signed(ingediend, "TotaalBedrag")
    wrapper = w.add(body, "Clienten")
    for client, (client_codes, prestaties) in rejected.items():
        out = w.add(wrapper, "Client")
        w.copy(out, _need(client, "Bsn"))
        listed = w.add(out, "Prestaties")
        for prestatie in _children(_need(client, "Prestaties"), "Prestatie"):
            codes = prestaties.get(prestatie) or ([NOT_EVALUATED] if client_codes else [])
            if codes:
                copied = w.copy(listed, prestatie)
                w.codes(copied, _unique(codes))
                toegekend -= _signed(_need(prestatie, "IngediendBedrag"), "Bedrag")
        w.codes(out, _unique(client_codes) or [OK])
    total = etree.Element(f"{{{w.ns}}}TotaalToegekendBedrag")
    ingediend.addnext(total)
    etree.SubElement(total, _need(ingediend, "TotaalBedrag").tag).text = str(abs(toegekend))
    etree.SubElement(total, _need(ingediend, "DebetCredit").tag).text = (
        "D" if toegekend >= 0 else "C"
    )
    w.codes(body, [OK])
    return w.root


def _antwoord_header(w: _Writer, ctx: RetourContext, codes: list[str]) -> None:
    header = w.add(w.root, "Header")
    w.add(header, "BerichtCode", w.answer.bericht_code)
    w.copy_header(header, "BerichtVersie", "BerichtSubversie")
    # The 325 is the gemeente's own message: the 323's receiver sends it back to its sender.
    w.add(header, "Afzender", _need(w.header, "Ontvanger").text)
    w.add(header, "Ontvanger", _need(w.header, "Afzender").text)
    ident = w.add(header, "BerichtIdentificatie")
    for src, value in zip(
        _need(w.header, "BerichtIdentificatie").iterchildren("{*}Identificatie", "{*}Dagtekening"),
        (ctx.identificatie_retour, ctx.dagtekening_retour.isoformat()),
        strict=True,
    ):
        etree.SubElement(ident, src.tag).text = value
    w.versions(header, "XsdVersie")
    declaratie_ident = w.copy(header, _need(w.header, "BerichtIdentificatie"))
    declaratie_ident.tag = f"{{{w.ns}}}DeclaratieIdentificatie"
    if ctx.xslt_versie is not None:
        w.add(header, "XsltVersie", ctx.xslt_versie)
    xsd = w.copy(header, _need(w.header, "XsdVersie"))
    xsd.tag = f"{{{w.ns}}}XsdVersieDeclaratie"
    w.codes(header, codes)


def _children(el: etree._Element, name: str) -> list[etree._Element]:
    return list(el.iterchildren("{*}" + name))


def _named(el: etree._Element, name: str) -> bool:
    return local_name(el) == name


def _signed(amount: etree._Element, name: str) -> int:
    """A bedrag-with-DebetCredit as a signed number of cents (credit negative)."""
    value, sign = child_text(amount, name), child_text(amount, "DebetCredit")
    if value is None or not value.lstrip("+").isdigit():
        raise ValueError(f"<{local_name(amount)}> has no whole {name}")
    return -int(value) if sign == "C" else int(value)
