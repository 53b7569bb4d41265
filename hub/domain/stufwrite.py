"""Writing what the GGk-like door sends: a Bv03 receipt, a SOAP Fault with a Fo03, a Fo01, and
the ggk_Di01 / ggk_Du01 envelopes of a delivery, each in a SOAP 1.1 Envelope (pure).

Every document is built as a tree and serialised by the one XML door (xmlcodec.serialize), so
no party-supplied text can break out of its element. The shapes follow nodes.md §1 and the
hub's schemas (hub/nodeschemas/ggk0210/); the tests validate what is written here against them.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from lxml import etree

from hub.domain import xmlcodec
from hub.domain.stuf import GGK_NS, SOAP_NS, STUF_NS, Stuurgegevens, Systeem

# The parameters the envelopes the hub sends carry: the versions seen in the facts' examples
# (nodes.md §1: the values per iWmo/iJw 3.2 message are not public).
VERSIONS = ("0004", "0003", "0002", "0002")


def tijdstip(now: datetime) -> str:
    """StUF's Tijdstip: yyyyMMddHHmmss and milliseconds (17 digits), in UTC."""
    at = now.astimezone(UTC)
    return at.strftime("%Y%m%d%H%M%S") + f"{at.microsecond // 1000:03d}"


def _s(tag: str, text: str | None = None) -> etree._Element:
    el = etree.Element(f"{{{STUF_NS}}}{tag}")
    if text is not None:
        el.text = text
    return el


def _systeem(tag: str, who: Systeem) -> etree._Element:
    el = _s(tag)
    for name in ("organisatie", "applicatie", "administratie", "gebruiker"):
        value = getattr(who, name)
        if value is not None:
            el.append(_s(name, value))
    return el


def _stuurgegevens(sg: Stuurgegevens, ns: str = STUF_NS) -> etree._Element:
    # In a GGK envelope the element itself is GGK's (declared in its type), its children StUF's.
    el = etree.Element(f"{{{ns}}}stuurgegevens")
    el.append(_s("berichtcode", sg.berichtcode))
    el.append(_systeem("zender", sg.zender))
    el.append(_systeem("ontvanger", sg.ontvanger))
    el.append(_s("referentienummer", sg.referentienummer))
    el.append(_s("tijdstipBericht", sg.tijdstip))
    if sg.cross is not None:
        el.append(_s("crossRefnummer", sg.cross))
    if sg.functie is not None:
        el.append(_s("functie", sg.functie))
    return el


def _soap(content: etree._Element) -> bytes:
    nsmap = {"soapenv": SOAP_NS, "StUF": STUF_NS, "GGK": GGK_NS}
    envelope = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap=nsmap)
    body = etree.SubElement(envelope, f"{{{SOAP_NS}}}Body")
    body.append(content)
    return xmlcodec.serialize(envelope)


def answer_stuurgegevens(
    berichtcode: str, request: Stuurgegevens | None, hub: Systeem, reference: str, now: datetime
) -> Stuurgegevens:
    """The stuurgegevens of an answer (Bv03, Fo03) to `request`: zender and ontvanger
    swapped, a fresh referentienummer, crossRefnummer = the request's referentienummer. A
    request too broken to read them from is answered from `hub` to an unnamed caller."""
    if request is None:
        unknown = Systeem(organisatie=None, applicatie="onbekend")
        return Stuurgegevens(berichtcode, hub, unknown, reference, tijdstip(now))
    return Stuurgegevens(
        berichtcode,
        zender=request.ontvanger,
        ontvanger=request.zender,
        referentienummer=reference,
        tijdstip=tijdstip(now),
        cross=request.referentienummer or None,
    )


def bv03(sg: Stuurgegevens) -> bytes:
    """A SOAP response holding a Bv03Bericht with these stuurgegevens."""
    element = _s("Bv03Bericht")
    element.append(_stuurgegevens(sg))
    return _soap(element)


def _foutbericht(code: str, plek: str, omschrijving: str, details: str | None) -> etree._Element:
    body = _s("body")
    body.append(_s("code", code[:7]))
    body.append(_s("plek", plek))
    body.append(_s("omschrijving", omschrijving[:200]))
    if details:
        body.append(_s("details", details[:1000]))
    return body


def fo03_fault(
    sg: Stuurgegevens, code: str, omschrijving: str, details: str | None, *, client: bool
) -> bytes:
    """A SOAP 1.1 Fault (faultcode Client or Server) whose detail holds a Fo03Bericht."""
    fo03 = _s("Fo03Bericht")
    fo03.append(_stuurgegevens(sg))
    fo03.append(_foutbericht(code, "client" if client else "server", omschrijving, details))
    fault = etree.Element(f"{{{SOAP_NS}}}Fault")
    faultcode = etree.SubElement(fault, "faultcode")
    faultcode.text = "soapenv:Client" if client else "soapenv:Server"
    faultstring = etree.SubElement(fault, "faultstring")
    faultstring.text = f"{code}: {omschrijving}"[:250]
    detail = etree.SubElement(fault, "detail")
    detail.append(fo03)
    return _soap(fault)


def fo01(sg: Stuurgegevens, code: str, omschrijving: str, details: str | None) -> bytes:
    """A SOAP request holding a Fo01Bericht (an asynchronous error report)."""
    element = _s("Fo01Bericht")
    element.append(_stuurgegevens(sg))
    element.append(_foutbericht(code, "server", omschrijving, details))
    return _soap(element)


def envelope(sg: Stuurgegevens, payload: bytes) -> bytes:
    """A SOAP request holding a ggk_Di01 (berichtcode Di01) or ggk_Du01 envelope with `payload`
    as its xmlBestand."""
    tag = (
        "envelopHeenbericht-ggk_Di01"
        if sg.berichtcode == "Di01"
        else ("envelopRetourbericht-ggk_Du01")
    )
    element = etree.Element(f"{{{GGK_NS}}}{tag}")
    element.append(_stuurgegevens(sg, GGK_NS))
    parameters = etree.SubElement(element, f"{{{GGK_NS}}}parameters")
    for name, value in zip(
        ("applicatieVersie", "applicatieSubversie", "functieVersie", "functieSubversie"),
        VERSIONS,
        strict=True,
    ):
        etree.SubElement(parameters, f"{{{GGK_NS}}}{name}").text = value
    bericht = etree.SubElement(parameters, f"{{{GGK_NS}}}bericht")
    etree.SubElement(bericht, f"{{{GGK_NS}}}xmlBestand").text = base64.b64encode(payload).decode()
    return _soap(element)
