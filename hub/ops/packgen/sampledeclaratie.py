"""The declaratie family of the sample messages: the 323's Prestaties per client, its body, and
the amounts the 325 answers."""

from __future__ import annotations

from hub.ops.packgen.sampledata import Cast, Node


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


def declaratie(cast: Cast) -> list[Node]:
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
