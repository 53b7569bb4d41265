"""Builds the WMO405 / WMO407 notices of the iEb pack and validates them before they leave.

One notice message per person, route and source message: a Client with its Bsn and
Geboortedatum (copied from the 305/307 that caused it) and one EigenBijdrage per entry
(MeldingID, Begindatum, Einddatum when the period is closed, Kostprijs for a priced
hulpmiddel (hub.domain.eigenbijdrage.kostprijs), StatusAanlevering).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import cast
from uuid import UUID

from lxml import etree

from hub.domain import xmlcodec
from hub.domain.eigenbijdrage.lines import BirthDate
from hub.domain.eigenbijdrage.periods import Entry, Route
from hub.domain.messages import Standard, basisschema_namespace
from hub.domain.packs import PackMessage, PackRegistry
from hub.domain.rules.base import path_of

__all__ = ["NoticeError", "NoticeHeader", "build_notice", "notice_pack_message"]


class NoticeError(ValueError):
    """A notice the hub built does not validate against its pack: a bug, never sent."""


@dataclass(frozen=True, slots=True)
class NoticeHeader:
    gemeente: str  # Afzender: the gemeente the hub acts for (a 407: its centrumgemeente)
    cak: str  # Ontvanger
    identificatie: str
    dagtekening: date


def _release_key(release: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in release.split("."))


def notice_pack_message(packs: PackRegistry, route: Route) -> PackMessage:
    """The newest loaded iEb release's WMO405 / WMO407; KeyError when none is loaded."""
    for release in sorted(packs.releases(Standard.IEB), key=_release_key, reverse=True):
        try:
            return packs.get(Standard.IEB, release, route.message_name)
        except KeyError:
            continue
    raise KeyError(f"no iEb pack with {route.message_name} is loaded")


def build_notice(
    pm: PackMessage,
    header: NoticeHeader,
    bsn: str,
    birth: BirthDate,
    entries: Sequence[Entry],
    kostprijs: Mapping[UUID, int] | None = None,
) -> etree._Element:
    """The notice as an element tree, validated against `pm`'s schema (NoticeError if not).
    `kostprijs`: the Kostprijs (cents) of the entries that carry one, by MeldingID."""
    if not entries:
        raise ValueError("a notice needs at least one entry")
    ns = pm.namespace
    basis = basisschema_namespace(pm.pack.standard, pm.pack.release)
    root = etree.Element(f"{{{ns}}}Bericht", nsmap={None: ns, "ieb": basis})  # type: ignore[dict-item]

    def add(parent: etree._Element, name: str, text: str | None = None, *,
            in_basis: bool = False) -> etree._Element:  # fmt: skip
        el = etree.SubElement(parent, f"{{{basis if in_basis else ns}}}{name}")
        if text is not None:
            el.text = text
        return el

    head = add(root, "Header")
    add(head, "BerichtCode", pm.bericht_code)
    add(head, "BerichtVersie", str(pm.pack.bericht_versie or 0))
    add(head, "BerichtSubversie", str(pm.pack.bericht_subversie or 0))
    add(head, "Afzender", header.gemeente)
    add(head, "Ontvanger", header.cak)
    ident = add(head, "BerichtIdentificatie")
    add(ident, "Identificatie", header.identificatie, in_basis=True)
    add(ident, "Dagtekening", header.dagtekening.isoformat(), in_basis=True)
    versions = add(head, "XsdVersie")
    add(versions, "BasisschemaXsdVersie", pm.pack.basisschema_xsd_versie or "1.0.0", in_basis=True)
    add(versions, "BerichtXsdVersie", pm.pack.bericht_xsd_versie or "1.0.0", in_basis=True)

    client = add(root, "Client")
    add(client, "Bsn", bsn)
    born = add(client, "Geboortedatum")
    add(born, "Datum", birth.datum.isoformat(), in_basis=True)
    if birth.gebruik:
        add(born, "DatumGebruik", birth.gebruik, in_basis=True)
    wrapper = add(client, "EigenBijdragen")
    for entry in entries:
        el = add(wrapper, "EigenBijdrage")
        add(el, "MeldingID", str(entry.melding_id))
        add(el, "Begindatum", entry.period.begin.isoformat())
        if entry.period.end is not None:
            add(el, "Einddatum", entry.period.end.isoformat())
        if kostprijs and entry.melding_id in kostprijs:
            add(el, "Kostprijs", str(kostprijs[entry.melding_id]))
        add(el, "StatusAanlevering", entry.status)

    schema = pm.schema
    if not schema.validate(root):
        # The element path only: lxml's message can quote a value, and values here are a
        # BSN and a birth date.
        # lxml-stubs lack _ErrorLog.__iter__; at runtime it yields _LogEntry objects.
        errors = list(cast("Iterable[etree._LogEntry]", schema.error_log))
        where = _named_path(root, errors[0].path) if errors else "?"
        raise NoticeError(f"{pm.name} built by the hub is not valid at {where}")
    return root


def _named_path(root: etree._Element, path: str | None) -> str:
    """lxml's positional path (/*/*[2]) as element names (/Bericht/Client)."""
    try:
        hits = root.getroottree().xpath(path) if path else []
    except etree.XPathError:
        hits = []
    if isinstance(hits, list) and hits and isinstance(hits[0], etree._Element):
        return path_of(hits[0])
    return path or "?"


def serialize(root: etree._Element) -> bytes:
    return xmlcodec.serialize(root)
