"""The heen body of every sample message by message number (HEEN_DATA): toewijzing, start and
stop, the verzoeken and their antwoord, eigen bijdrage; the declaratie from sampledeclaratie."""

from __future__ import annotations

from collections.abc import Callable

from hub.ops.packgen.sampledata import Cast, Node, Person
from hub.ops.packgen.sampledeclaratie import declaratie


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
    323: declaratie,
    405: _eigen_bijdrage(_ABONNEMENTSTARIEF),
    407: _eigen_bijdrage(_BESCHERMD_WONEN),
}
