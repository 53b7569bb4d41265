"""Builds small inline messages for the rule tests, shaped like real ones."""

from __future__ import annotations

from datetime import date

from lxml import etree

from hub.domain.findings import Finding
from hub.domain.rules import check_message
from hub.domain.xmlcodec import parse_message, read_envelope

TODAY = date(2025, 5, 1)
VALID_BSN = "174285917"
OTHER_VALID_BSN = "999993653"


def namespace(segment: str, standard: str = "iwmo", release: str = "3_2") -> str:
    return f"http://www.istandaarden.nl/{standard}/{release}/{segment}/schema"


def message(
    segment: str,
    body: str,
    *,
    standard: str = "iwmo",
    release: str = "3_2",
    dagtekening: str = "2025-04-05",
    versie: str = "3",
    subversie: str = "2",
    header_extra: str = "",
    basis_children: bool = True,
) -> etree._Element:
    """A message `segment` whose body is `body`.

    Write children of basisschema types with the `b:` prefix, as real messages qualify them
    with the basisschema namespace; `basis_children=False` moves them into the message's own
    namespace instead, so rules are shown to read both.
    """
    ns = namespace(segment, standard, release)
    basis = namespace("basisschema", standard, release)
    header = (
        "<Header><BerichtCode>000</BerichtCode>"
        f"<BerichtVersie>{versie}</BerichtVersie><BerichtSubversie>{subversie}</BerichtSubversie>"
        "<Afzender>65656055</Afzender><Ontvanger>0363</Ontvanger>"
        "<BerichtIdentificatie><b:Identificatie>1</b:Identificatie>"
        f"<b:Dagtekening>{dagtekening}</b:Dagtekening></BerichtIdentificatie>"
        f"{header_extra}</Header>"
    )
    xml = f'<Bericht xmlns="{ns}" xmlns:b="{basis}">{header}{body}</Bericht>'
    if not basis_children:
        xml = xml.replace("<b:", "<").replace("</b:", "</")
    return parse_message(xml.encode())


def client(*lines: str, bsn: str = VALID_BSN, birth: str = "1950-01-01", container: str) -> str:
    """A 305/307-style Client with its lines inside `container` (StartProducten, …)."""
    return (
        f"<Client><Bsn>{bsn}</Bsn><Geboortedatum><b:Datum>{birth}</b:Datum></Geboortedatum>"
        "<Geslacht>1</Geslacht><Naam><b:Geslachtsnaam><b:Achternaam>Berg</b:Achternaam>"
        f"</b:Geslachtsnaam></Naam><{container}>{''.join(lines)}</{container}></Client>"
    )


def start(
    begin: str = "2025-04-01",
    *,
    nummer: str | None = "300201",
    categorie: str = "02",
    code: str | None = "02A04",
    status: str = "1",
) -> str:
    product = f"<Product><b:Categorie>{categorie}</b:Categorie>" + (
        f"<b:Code>{code}</b:Code></Product>" if code else "</Product>"
    )
    return (
        "<StartProduct>"
        + (f"<ToewijzingNummer>{nummer}</ToewijzingNummer>" if nummer else "")
        + product
        + f"<Begindatum>{begin}</Begindatum><StatusAanlevering>{status}</StatusAanlevering>"
        "</StartProduct>"
    )


def stop(
    begin: str = "2025-01-01",
    end: str = "2025-04-01",
    *,
    nummer: str = "300201",
    reden: str = "19",
    status: str = "1",
) -> str:
    return (
        f"<StopProduct><ToewijzingNummer>{nummer}</ToewijzingNummer>"
        "<Product><b:Categorie>02</b:Categorie><b:Code>02A04</b:Code></Product>"
        f"<Begindatum>{begin}</Begindatum><RedenBeeindiging>{reden}</RedenBeeindiging>"
        f"<Einddatum>{end}</Einddatum><StatusAanlevering>{status}</StatusAanlevering>"
        "</StopProduct>"
    )


def run(
    root: etree._Element, name: str | None = None, *, today: date = TODAY
) -> tuple[Finding, ...]:
    """All in-message findings; the message kind defaults to the one its namespace names."""
    kind = name or read_envelope(root).message_name
    assert kind is not None
    return check_message(root, kind, today=today)


def of(findings: tuple[Finding, ...], rule: str) -> list[Finding]:
    return [f for f in findings if f.rule == rule]
