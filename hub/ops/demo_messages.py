"""The demo's messages: made-up persons and the pack samples rewritten to be about them."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from hub.domain import xmlcodec
from hub.domain.messages import Standard, by_name
from hub.ops.demo_dates import Timeline, redate
from hub.ops.packgen.packspec import PACKS
from hub.ops.packgen.samples import samples

_PERSONS = 10_000_000  # distinct BSN bodies in the demo's range


@functools.cache
def template(standard: Standard, number: str) -> bytes:
    """The pack's sample of message `number` ("301", "302", …) of `standard`."""
    prefix = "WMO" if standard is Standard.IWMO else "JW"
    spec = next(p for p in PACKS if p.standard is standard)
    return samples(spec, by_name(f"{prefix}{number}"))


@dataclass(frozen=True, slots=True)
class Person:
    """One client of one trajectory: a BSN and a number that keeps its toewijzingen apart."""

    n: int
    bsn: str

    def toewijzing_nummer(self, line: int) -> str:
        # A ToewijzingNummer names one toewijzing within the gemeente (TR332): each person has
        # numbers of its own, and an LDT_Nummer is at most 999999999.
        return str((self.n % (_PERSONS * 10)) * 10 + line % 10)

    def referentie(self, line: int) -> str:
        # A ReferentieAanbieder is never reused by the aanbieder, for any client (TR347).
        return f"DEMO-{self.n}-{line}"


def demo_persons(start: int) -> Iterator[Person]:
    """Made-up persons whose BSNs pass the 11-proef (9·d9 + … + 2·d2 − d1 ≡ 0 mod 11) and never
    repeat (within 10⁷ candidates).

    BSNs are 9xxxxxxxx, a range the demo uses for every person it invents, so each trajectory is
    its own client and the history rules see a clean life cycle. A candidate whose check digit
    would be 10 is skipped, never bent into its neighbour: that is how the demo once gave one
    person in eleven the BSN of the person before.
    """
    for n in itertools.count(start):
        body = f"{90_000_000 + n % _PERSONS:08d}"
        check = sum(int(d) * w for d, w in zip(body, range(9, 1, -1), strict=True)) % 11
        if check < 10:
            yield Person(n, body + str(check))


def personalise(
    message: bytes,
    identificatie: str,
    retour_id: str | None,
    person: Person | None = None,
    timeline: Timeline | None = None,
    *,
    adjusted: bool = False,
) -> bytes:
    """A copy of `message` with a fresh Identificatie (and, for a retour, its own
    IdentificatieRetour), about `person`: its BSN wherever the sample names its client, and its
    own ToewijzingNummers. The samples number their lines 300201, 300202, … in every message
    alike, so a 305, 307 or retour built this way names the 301's numbers. With a `timeline`,
    the message carries its trajectory's dates (`adjusted`: the 301 that ends the toewijzing
    at the stop, hub.ops.demo_dates.redate)."""
    root = xmlcodec.parse_message(message)
    if timeline is not None:
        redate(root, timeline, adjusted=adjusted)
    header = xmlcodec.child(root, "Header")
    ident = xmlcodec.child(xmlcodec.child(header, "BerichtIdentificatie"), "Identificatie")
    if ident is not None:
        ident.text = identificatie
    if retour_id is not None:
        element = xmlcodec.child(header, "IdentificatieRetour")
        if element is not None:
            element.text = retour_id
    if person is None:
        return xmlcodec.serialize(root)
    _verzoek(root, person, honours=timeline is not None and timeline.verzoek and not adjusted)
    client_bsn = xmlcodec.child_text(root, "Client", "Bsn")
    for element in root.iter("{*}Bsn", "{*}ToewijzingNummer"):
        name = xmlcodec.local_name(element)
        text = (element.text or "").strip()
        if name == "Bsn" and client_bsn is not None and text == client_bsn:
            element.text = person.bsn
        elif name == "ToewijzingNummer" and text.isdigit():
            element.text = person.toewijzing_nummer(int(text))
    return xmlcodec.serialize(root)


def _verzoek(root: etree._Element, person: Person, *, honours: bool) -> None:
    """The person's own ReferentieAanbieders in a 315, each asking for the product of the 301's
    line of the same number; in the 301 that honours the 315 (`honours`), its first line
    carries the reference of the product asked for (TR379), which only that version does."""
    asked = list(root.iter("{*}AangevraagdProduct"))
    if asked:
        standard = xmlcodec.read_envelope(root).standard
        toegewezen = xmlcodec.parse_message(template(standard or Standard.IWMO, "301"))
        assigned = list(toegewezen.iter("{*}ToegewezenProduct"))
        for line, product in enumerate(asked, start=1):
            _set_text(product, "ReferentieAanbieder", person.referentie(line))
            wanted = xmlcodec.child(assigned[(line - 1) % len(assigned)], "Product")
            for name in ("Categorie", "Code"):  # the element stays in the 315's namespace
                value = xmlcodec.child_text(wanted, name)
                if value is not None:
                    _set_text(xmlcodec.child(product, "Product"), name, value)
    first = next(root.iter("{*}ToegewezenProduct"), None)
    nummer = xmlcodec.child(first, "ToewijzingNummer")
    if honours and nummer is not None:
        reference = etree.Element(nummer.tag.replace("ToewijzingNummer", "ReferentieAanbieder"))
        reference.text = person.referentie(1)
        reference.tail = nummer.tail
        nummer.addnext(reference)


def _set_text(parent: etree._Element | None, name: str, value: str) -> None:
    element = xmlcodec.child(parent, name)
    if element is not None:
        element.text = value
