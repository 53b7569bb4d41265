"""The data of the sample messages: parties, clients and one heen body per message number."""

from __future__ import annotations

from collections.abc import Callable
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


def _telefoon(nummer: str) -> Node:
    return ("Telefoon", [("Telefoon01", [("Telefoonnummer", nummer), ("Landnummer", "0031")])])


def _toewijzing(cast: Cast) -> list[Node]:
    c = cast.client
    straat, huisnummer, huisletter, postcode = cast.adres
    # A BRP address (Soort 01) needs Huis + Postcode (TR006, CD034) and, with LandCode NL, a
    # Dutch postcode (CD005, CD025, CS089).
    adres: list[Node] = [
        ("Huis", [("Huisnummer", huisnummer), ("Huisletter", huisletter)]),
        ("Postcode", postcode),
        ("Straatnaam", straat),
        ("Plaatsnaam", cast.contact_plaats),
        ("LandCode", "NL"),
    ]
    partner = Person("", c.geboortedatum, "1", c.achternaam, c.voorvoegsel, "JH")
    first, second, _ = cast.products

    def product(nummer: str, code: list[Node], uren: str) -> Node:
        # Per week (Frequentie 2) needs an Einddatum (CD076); Omvang, so no Budget (CD078).
        return (
            "ToegewezenProduct",
            [
                ("ToewijzingNummer", nummer),
                ("Product", code),
                ("Toewijzingsdatum", "2025-03-24"),
                ("Toewijzingstijd", "10:15:00"),
                ("Ingangsdatum", "2025-04-01"),
                ("Einddatum", "2025-12-31"),
                ("Omvang", [("Volume", uren), ("Eenheid", "04"), ("Frequentie", "2")]),
            ],
        )

    return [
        *c.identity(),
        ("Naam", c.volledige_naam()),
        ("Communicatie", [("Vorm", "1"), ("Taal", cast.taal)]),
        ("Commentaar", "Cliënt is slechthorend; bij voorkeur bellen na 10.00 uur."),
        (
            "Relaties",
            [
                (
                    "Relatie",
                    [
                        ("Nummer", "1"),
                        ("Soort", "03"),
                        ("Naam", partner.volledige_naam()),
                        (
                            "Contact",
                            [
                                ("Soort", "02"),
                                _telefoon("0612345678"),
                                ("Emailadres", partner.email()),
                            ],
                        ),
                    ],
                )
            ],
        ),
        (
            "Contactgegevens",
            [("Contact", [("Soort", "01"), ("Adres", adres), _telefoon(cast.telefoon)])],
        ),
        (
            "ToegewezenProducten",
            [product("300201", first, "4"), product("300202", second, "3")],
        ),
    ]


def _start(cast: Cast) -> list[Node]:
    def product(nummer: str, code: list[Node], begin: str) -> Node:
        return (
            "StartProduct",
            [
                ("ToewijzingNummer", nummer),
                ("Product", code),
                ("ToewijzingIngangsdatum", "2025-04-01"),
                ("Begindatum", begin),
                ("StatusAanlevering", "1"),
            ],
        )

    c = cast.client
    first, second, _ = cast.products
    return [
        *c.identity(),
        ("Naam", c.verkorte_naam()),
        (
            "StartProducten",
            [
                product("300201", first, "2025-04-01"),
                product("300202", second, "2025-04-03"),
            ],
        ),
    ]


def _stop(cast: Cast) -> list[Node]:
    def product(nummer: str, code: list[Node], begin: str) -> Node:
        return (
            "StopProduct",
            [
                ("ToewijzingNummer", nummer),
                ("Product", code),
                ("ToewijzingIngangsdatum", "2025-04-01"),
                ("Begindatum", begin),
                ("RedenBeeindiging", "31"),
                ("Einddatum", "2025-07-18"),
                ("StatusAanlevering", "1"),
            ],
        )

    c = cast.client
    first, second, _ = cast.products
    return [
        *c.identity(),
        ("Naam", c.verkorte_naam()),
        (
            "StopProducten",
            [
                product("300201", first, "2025-04-01"),
                product("300202", second, "2025-04-03"),
            ],
        ),
    ]


def _verzoek_toewijzing(cast: Cast) -> list[Node]:
    r = cast.requester
    gezag: list[Node] = []
    if cast.gezagsdrager_bekend is not None:
        gezag.append(("GezagsdragerBekend", cast.gezagsdrager_bekend))
    return [
        *r.identity(),
        ("Naam", r.verkorte_naam()),
        *gezag,
        (
            "AangevraagdeProducten",
            [
                (
                    "AangevraagdProduct",
                    [
                        ("ReferentieAanbieder", "VOT-2025-0042"),
                        ("Product", cast.products[2]),
                        ("ToewijzingIngangsdatum", "2025-03-01"),
                        ("ToewijzingEinddatum", "2025-08-31"),
                        ("Omvang", [("Volume", "2"), ("Eenheid", "04"), ("Frequentie", "2")]),
                        # A huisarts (02) with an AGB code carries no Naam (CD066).
                        ("Verwijzer", [("Type", "02"), ("ZorgverlenerCode", "01012345")]),
                        ("Raamcontract", "2"),
                    ],
                )
            ],
        ),
    ]


def _verzoek_wijziging(cast: Cast) -> list[Node]:
    return [
        ("Bsn", cast.client.bsn),
        (
            "Verzoek",
            [
                ("ReferentieAanbieder", "VOW-2025-0007"),
                ("RedenVerzoek", "1"),
                (
                    "OngewijzigdeProducten",
                    [("OngewijzigdProduct", [("ToewijzingNummer", "300202")])],
                ),
                (
                    "TeWijzigenProducten",
                    [
                        (
                            "TeWijzigenProduct",
                            [
                                ("ToewijzingNummer", "300201"),
                                ("GewensteIngangsdatum", "2025-06-01"),
                                ("Einddatum", "2025-12-31"),
                                (
                                    "Omvang",
                                    [("Volume", "6"), ("Eenheid", "04"), ("Frequentie", "2")],
                                ),
                            ],
                        )
                    ],
                ),
            ],
        ),
    ]


def _antwoord(cast: Cast) -> list[Node]:
    # "In onderzoek" (2) carries no RedenAfwijzingVerzoek (CD086), hence no Woonplaatsbeginsel.
    return [("ReferentieAanbieder", "VOW-2025-0007"), ("VerzoekAntwoord", "2")]


def prestatie(referentie: str, nummer: str, code: list[Node], volume: str, tarief: int) -> Node:
    categorie, product_code = (str(v) for _, v in code)
    return (
        "Prestatie",
        [
            ("ProductReferentie", [("ReferentieNummer", referentie)]),
            ("ToewijzingNummer", nummer),
            ("ProductCategorie", categorie),
            ("ProductCode", product_code),
            ("ProductPeriode", [("Begindatum", "2025-04-01"), ("Einddatum", "2025-04-30")]),
            ("GeleverdVolume", volume),
            ("Eenheid", "04"),
            ("ProductTarief", str(tarief)),
            ("IngediendBedrag", [("Bedrag", str(int(volume) * tarief)), ("DebetCredit", "D")]),
        ],
    )


DECLARATIE_NUMMER = "202504000123"


def declaratie_clients(cast: Cast) -> list[tuple[str, list[Node]]]:
    """(Bsn, Prestaties) per client; amounts are cents."""
    first, second, _ = cast.products
    return [
        (
            cast.client.bsn,
            [
                prestatie("P2025040001", "300201", first, "16", 6250),
                prestatie("P2025040002", "300202", second, "12", 3150),
            ],
        ),
        (cast.second.bsn, [prestatie("P2025040003", "300311", first, "8", 6250)]),
    ]


def amount(prestaties: list[Node]) -> int:
    """Sum of IngediendBedrag/Bedrag over `prestaties` (all debet in the samples)."""
    total = 0
    for _, fields in prestaties:
        if isinstance(fields, str):
            continue
        for name, value in fields:
            if name == "IngediendBedrag" and not isinstance(value, str):
                total += int(str(value[0][1]))
    return total


def _declaratie(cast: Cast) -> list[Node]:
    clients = declaratie_clients(cast)
    total = sum(amount(p) for _, p in clients)
    return [
        ("DeclaratieNummer", DECLARATIE_NUMMER),
        ("DeclaratiePeriode", [("Begindatum", "2025-04-01"), ("Einddatum", "2025-04-30")]),
        ("DeclaratieDagtekening", "2025-05-06"),
        ("TotaalIngediendBedrag", [("TotaalBedrag", str(total)), ("DebetCredit", "D")]),
        (
            "Clienten",
            [("Client", [("Bsn", bsn), ("Prestaties", list(p))]) for bsn, p in clients],
        ),
    ]


def _eigen_bijdrage(melding: list[Node]) -> Callable[[Cast], list[Node]]:
    def body(cast: Cast) -> list[Node]:
        c = cast.client
        return [
            ("Bsn", c.bsn),
            ("Geboortedatum", [("Datum", c.geboortedatum)]),
            ("EigenBijdragen", [("EigenBijdrage", melding)]),
        ]

    return body


# Abonnementstarief from the first StartProduct of the 305; beschermd wonen from a beschikking.
_ABONNEMENTSTARIEF: list[Node] = [
    ("MeldingID", "3f2b8c1e-7d4a-4e59-9b06-2c5d8e1f4a73"),
    ("ProductCategorie", "02"),
    ("Begindatum", "2025-04-01"),
    ("StatusAanlevering", "1"),
]
_BESCHERMD_WONEN: list[Node] = [
    ("MeldingID", "a9e4d2b7-1c3f-4a86-8e5d-07b6c9f21d4e"),
    ("ProductCategorie", "15"),
    ("Begindatum", "2025-01-01"),
    ("StatusAanlevering", "1"),
]

HEEN_DATA: dict[int, Callable[[Cast], list[Node]]] = {
    301: _toewijzing,
    305: _start,
    307: _stop,
    315: _verzoek_toewijzing,
    317: _verzoek_wijziging,
    319: _antwoord,
    323: _declaratie,
    405: _eigen_bijdrage(_ABONNEMENTSTARIEF),
    407: _eigen_bijdrage(_BESCHERMD_WONEN),
}
