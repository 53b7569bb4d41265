"""Renders one valid sample message per message kind per pack (the test fixtures)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from hub.domain.messages import CATALOGUE, Direction, MessageType, Role
from hub.ops.packgen.basistypes import basis_types
from hub.ops.packgen.model import Complex
from hub.ops.packgen.packspec import PackSpec, message_schema
from hub.ops.packgen.samplebodies import HEEN_DATA
from hub.ops.packgen.sampledata import CASTS, DAGTEKENING, XSLT_VERSION, Cast, Node, xsd_versions
from hub.ops.packgen.sampledeclaratie import DECLARATIE_NUMMER, amount, declaratie_clients


@dataclass(frozen=True, slots=True)
class RetourCase:
    """What a sample retour says about its heenbericht (fill rules IV028, domain.md §2.11)."""

    header_codes: tuple[str, ...]  # empty: accepted without remarks, no RetourCodes at all
    with_body: bool = False  # client-level findings copy the client with all its classes
    class_codes: dict[tuple[str, int], str] = field(default_factory=dict)  # (class, nth): code
    xslt: bool = False  # rejected by the XSLT checks: XsltVersie is filled


RETOUR_CASES: dict[int, RetourCase] = {
    302: RetourCase(()),
    306: RetourCase(("0200",), True, {("StartProduct", 1): "9074"}),
    308: RetourCase(("0200",), True, {("StopProduct", 1): "9415"}),
    316: RetourCase(("0200",), True, {("AangevraagdProduct", 0): "S329"}),
    318: RetourCase(("0001",), xslt=True),
    320: RetourCase(("8848",)),
    406: RetourCase(()),
    408: RetourCase(("0200",), True, {("EigenBijdrage", 0): "9074"}),
}
_OK = "0200"


def _retour_date(date: str) -> str:
    # Every sample heen date is early enough in its month for a two-day step.
    return f"{date[:8]}{int(date[8:]) + 2:02d}"


def _identificatie(number: int, date: str, prefix: str = "") -> str:
    return f"{prefix}{number}{date.replace('-', '')}"


def _header(spec: PackSpec, mt: MessageType, cast: Cast, date: str) -> list[Node]:
    # `mt` is the message whose parties fill the header: a retour passes its heenbericht.
    parties = (cast.gemeente, cast.tegenpartij)
    afzender, ontvanger = parties if mt.sender is Role.GEMEENTE else parties[::-1]
    return [
        ("BerichtCode", mt.bericht_code),
        ("BerichtVersie", str(spec.bericht_versie)),
        ("BerichtSubversie", str(spec.bericht_subversie)),
        ("Afzender", afzender),
        ("Ontvanger", ontvanger),
        (
            "BerichtIdentificatie",
            [("Identificatie", _identificatie(mt.number, date)), ("Dagtekening", date)],
        ),
        ("XsdVersie", xsd_versions(spec.xsd_version)),
    ]


def _codes(*codes: str) -> Node:
    return ("RetourCodes", [("RetourCode", code) for code in codes])


def _with_codes(nodes: list[Node], classes: frozenset[str], case: RetourCase) -> list[Node]:
    seen: dict[str, int] = {}

    def walk(node: Node) -> Node:
        name, value = node
        if isinstance(value, str):
            return node
        children = [walk(child) for child in value]
        if name in classes:
            nth = seen.get(name, 0)
            seen[name] = nth + 1
            children.append(_codes(case.class_codes.get((name, nth), _OK)))
        return name, children

    return [walk(node) for node in nodes]


def _heen(spec: PackSpec, mt: MessageType, cast: Cast) -> list[Node]:
    date = DAGTEKENING[mt.number]
    return [("Header", _header(spec, mt, cast, date)), (mt.body, HEEN_DATA[mt.number](cast))]


def _retour(spec: PackSpec, mt: MessageType, cast: Cast) -> list[Node]:
    if mt.answers is None:
        raise ValueError(f"{mt.name} answers no heenbericht")
    heen = CATALOGUE[mt.answers]
    case = RETOUR_CASES[mt.number]
    date = DAGTEKENING[heen.number]
    header = _header(spec, heen, cast, date)
    header[0] = ("BerichtCode", mt.bericht_code)
    retour_date = _retour_date(date)
    header += [
        ("IdentificatieRetour", _identificatie(mt.number, retour_date, "R")),
        ("DagtekeningRetour", retour_date),
    ]
    if case.xslt:
        header.append(("XsltVersie", XSLT_VERSION))
    header.append(("XsdVersieRetour", xsd_versions(spec.xsd_version)))
    if case.header_codes:
        header.append(_codes(*case.header_codes))
    out: list[Node] = [("Header", header)]
    if case.with_body:
        classes = message_schema(spec, mt).body.class_names()
        body: Node = (heen.body, HEEN_DATA[heen.number](cast))
        out += _with_codes([body], classes, case)
    return out


def _declaratie_antwoord(spec: PackSpec, mt: MessageType, cast: Cast) -> list[Node]:
    """A 325 that rejects one Prestatie (outside the toewijzing period, 9307)."""
    if mt.answers is None:
        raise ValueError(f"{mt.name} answers no declaratie")
    declaratie = CATALOGUE[mt.answers]
    date, declaratie_date = DAGTEKENING[mt.number], DAGTEKENING[declaratie.number]
    header = _header(spec, mt, cast, date)
    header += [
        (
            "DeclaratieIdentificatie",
            [
                ("Identificatie", _identificatie(declaratie.number, declaratie_date)),
                ("Dagtekening", declaratie_date),
            ],
        ),
        ("XsdVersieDeclaratie", xsd_versions(spec.xsd_version)),
        _codes(_OK),
    ]
    clients = declaratie_clients(cast)
    total = sum(amount(p) for _, p in clients)
    bsn, prestaties = clients[0]
    rejected = prestaties[1]
    rejected = (rejected[0], [*rejected[1], _codes("9307")])
    granted = total - amount([rejected])
    body: list[Node] = [
        ("DeclaratieNummer", DECLARATIE_NUMMER),
        ("TotaalIngediendBedrag", [("TotaalBedrag", str(total)), ("DebetCredit", "D")]),
        ("TotaalToegekendBedrag", [("TotaalBedrag", str(granted)), ("DebetCredit", "D")]),
        ("Clienten", [("Client", [("Bsn", bsn), ("Prestaties", [rejected]), _codes(_OK)])]),
        _codes(_OK),
    ]
    return [("Header", header), (mt.body, body)]


class _Typer:
    """Knows, for every complex type, its fields and the namespace its elements live in.

    The basisschema is qualified too, so the children of a CDT_ type (Datum, Categorie, …)
    are in the basisschema namespace, not in the message namespace.
    """

    def __init__(self, spec: PackSpec, mt: MessageType) -> None:
        ms = message_schema(spec, mt)
        self.namespace = ms.namespace
        self.types: dict[str, tuple[Complex, str]] = {
            c.name: (c, ms.namespace) for c in ms.complexes()
        }
        for c in basis_types(spec.standard)[1]:
            self.types[c.name] = (c, spec.basis_namespace)

    def build(self, parent: etree._Element, type_name: str, nodes: list[Node]) -> None:
        complex_, namespace = self.types[type_name]
        fields = {f.name: f for f in complex_.fields}
        for name, value in nodes:
            if name not in fields:
                raise ValueError(f"sample element {name!r} is not a field of {type_name}")
            child = etree.SubElement(parent, f"{{{namespace}}}{name}")
            if isinstance(value, str):
                child.text = value
            else:
                self.build(child, fields[name].type, value)


def samples(spec: PackSpec, mt: MessageType) -> bytes:
    """The sample message of `mt` in `spec`'s pack, as UTF-8 bytes with a trailing newline."""
    cast = CASTS[spec.standard]
    if mt.direction is Direction.HEEN:
        nodes = _heen(spec, mt, cast)
    elif mt.direction is Direction.RETOUR:
        nodes = _retour(spec, mt, cast)
    else:
        nodes = _declaratie_antwoord(spec, mt, cast)
    typer = _Typer(spec, mt)
    # Default namespace for the message, a prefix for the basisschema, as in the standard's
    # own examples. (The stubs do not know the None key lxml uses for the default namespace.)
    nsmap: dict[Any, str] = {None: typer.namespace, spec.prefix: spec.basis_namespace}
    root = etree.Element(f"{{{typer.namespace}}}Bericht", nsmap=nsmap)
    typer.build(root, "Root", nodes)
    etree.indent(root, space="  ")
    body: bytes = etree.tostring(root, encoding="UTF-8", pretty_print=True)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body
