"""Who and when in the sample messages: the parties and clients of each pack, and the dates of
each heenbericht (the bodies are in samplebodies and sampledeclaratie)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from hub.domain.messages import Standard

# (element name, text or children); element namespaces are added by the renderer from the model.
Node: TypeAlias = tuple[str, "str | list[Node]"]


def xsd_versions(version: str) -> list[Node]:
    """The children of an XsdVersie-like element for a pack whose XSDs carry `version`."""
    return [("BasisschemaXsdVersie", version), ("BerichtXsdVersie", version)]


XSLT_VERSION = "2.10.5"
# The CAK as an 8-digit party code (LDT_CakCode in the iEb model). A hub model value.
CAK_PARTY_CODE = "99000001"


@dataclass(frozen=True, slots=True)
class Person:
    bsn: str  # passes the 11-proef
    geboortedatum: str
    geslacht: str
    achternaam: str
    voorvoegsel: str | None
    voorletters: str

    def verkorte_naam(self) -> list[Node]:
        achternaam: list[Node] = [("Achternaam", self.achternaam)]
        if self.voorvoegsel:
            achternaam.append(("Voorvoegsel", self.voorvoegsel))
        return [("Geslachtsnaam", achternaam), ("Voorletters", self.voorletters)]

    def email(self) -> str:
        surname = f"{self.voorvoegsel or ''}{self.achternaam}".replace(" ", "").lower()
        return f"{'.'.join(self.voorletters.lower())}.{surname}@example.nl"

    def volledige_naam(self) -> list[Node]:
        return [*self.verkorte_naam(), ("NaamGebruik", "1")]

    def identity(self) -> list[Node]:
        return [
            ("Bsn", self.bsn),
            ("Geboortedatum", [("Datum", self.geboortedatum)]),
            ("Geslacht", self.geslacht),
        ]


@dataclass(frozen=True, slots=True)
class Cast:
    """Who appears in one pack's samples."""

    gemeente: str
    tegenpartij: str  # AGB code of the aanbieder; for iEb the CAK party code
    client: Person
    second: Person  # another client of the same aanbieder (declaratie)
    requester: Person  # the client of the verzoek om toewijzing
    contact_plaats: str
    # Product of the first and second toewijzing, and of the verzoek om toewijzing; the
    # categories are the standard's own (iWmo WMO020, iJw JZ020).
    products: tuple[list[Node], list[Node], list[Node]] = ([], [], [])
    adres: tuple[str, str, str, str] = ("", "", "", "")  # straat, huisnummer, huisletter, postcode
    taal: str = "Turks"  # Communicatie/Taal with Vorm 1 (tolk)
    gezagsdrager_bekend: str | None = None  # JW315 only (iWmo has no such element)
    telefoon: str = "0201234567"  # the client's landline, in the gemeente's area code


CASTS: dict[Standard, Cast] = {
    Standard.IWMO: Cast(
        gemeente="0363",  # Amsterdam
        tegenpartij="65656055",
        client=Person("174285917", "1948-03-14", "2", "Berg", "van den", "AM"),
        second=Person("318402579", "1952-11-02", "1", "Jansen", None, "PJ"),
        requester=Person("603841752", "1961-06-25", "2", "Yilmaz", None, "E"),
        contact_plaats="Amsterdam",
        products=(
            [("Categorie", "02"), ("Code", "02A04")],  # begeleiding
            [("Categorie", "01"), ("Code", "01A01")],  # hulp bij het huishouden
            [("Categorie", "03"), ("Code", "03A01")],  # persoonlijke verzorging
        ),
        adres=("Kerkstraat", "12", "B", "1017GA"),
    ),
    Standard.IJW: Cast(
        gemeente="0344",  # Utrecht
        tegenpartij="41125003",
        client=Person("239157461", "2012-09-03", "1", "Vries", "de", "D"),
        second=Person("451273801", "2014-01-17", "2", "Bakker", None, "SL"),
        requester=Person("732195081", "2010-04-30", "2", "Amrani", "el", "N"),
        contact_plaats="Utrecht",
        products=(
            [("Categorie", "45"), ("Code", "45A48")],
            [("Categorie", "54"), ("Code", "54001")],
            [("Categorie", "43"), ("Code", "43A11")],
        ),
        adres=("Oudegracht", "158", "A", "3511AZ"),
        taal="Arabisch",
        gezagsdrager_bekend="1",
        telefoon="0302345678",
    ),
    Standard.IEB: Cast(
        gemeente="0363",
        tegenpartij=CAK_PARTY_CODE,
        client=Person("174285917", "1948-03-14", "2", "Berg", "van den", "AM"),
        second=Person("810463921", "1950-08-19", "1", "Smit", None, "H"),
        requester=Person("810463921", "1950-08-19", "1", "Smit", None, "H"),
        contact_plaats="Amsterdam",
    ),
}

# Dagtekening of each heenbericht / antwoord; a retour is dated two days later.
DAGTEKENING: dict[int, str] = {
    301: "2025-03-24",
    305: "2025-04-05",
    307: "2025-07-21",
    315: "2025-02-10",
    317: "2025-05-12",
    319: "2025-05-15",
    323: "2025-05-06",
    325: "2025-05-16",
    405: "2025-04-07",
    407: "2025-01-09",
}
