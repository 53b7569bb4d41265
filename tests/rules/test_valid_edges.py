"""Messages valid by the facts at the edges of the in-message rules pass XSD and every rule.

A wrong refusal is the worst defect: each case here is a message that rules.md allows but that a
rule read too broadly would refuse (iWmo exemptions, deleted lines, date conditions, optional
classes). The header is the fixture's; the body is written here, with basisschema-qualified
children as real messages have them, and the whole goes through the Validator (XSD first).
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

import pytest

from hub.domain.validation import Outcome, Validator
from tests.packkit import default_packs

FIXTURES = Path(__file__).parent.parent / "fixtures"


@cache
def _validator() -> Validator:
    return Validator(default_packs(), clock=lambda: date(2026, 1, 15))


def _message(fixture: str, body: str) -> bytes:
    """The fixture's root and Header around `body`; `b:` is the basisschema prefix."""
    text = (FIXTURES / fixture).read_text(encoding="utf-8")
    standard = fixture.split("-", 1)[0]
    basis = f"http://www.istandaarden.nl/{standard}/3_2/basisschema/schema"
    head = text[: text.index("</Header>") + len("</Header>")]
    head = head.replace("<Bericht ", f'<Bericht xmlns:b="{basis}" ', 1)
    return (head + body + "</Bericht>").encode()


def _product(categorie: str, code: str | None = None) -> str:
    inner = f"<b:Categorie>{categorie}</b:Categorie>" + (f"<b:Code>{code}</b:Code>" if code else "")
    return f"<Product>{inner}</Product>"


def _omvang(volume: str = "4", eenheid: str = "04", frequentie: str = "2") -> str:
    return (
        f"<Omvang><b:Volume>{volume}</b:Volume><b:Eenheid>{eenheid}</b:Eenheid>"
        f"<b:Frequentie>{frequentie}</b:Frequentie></Omvang>"
    )


def _toegewezen(
    nummer: str,
    product: str,
    begin: str = "2025-04-01",
    end: str | None = "2025-12-31",
    *,
    given: str = "2025-03-24",
    reden: str | None = None,
    amount: str | None = None,
) -> str:
    return (
        f"<ToegewezenProduct><ToewijzingNummer>{nummer}</ToewijzingNummer>{product}"
        f"<Toewijzingsdatum>{given}</Toewijzingsdatum><Toewijzingstijd>10:15:00</Toewijzingstijd>"
        f"<Ingangsdatum>{begin}</Ingangsdatum>"
        + (f"<Einddatum>{end}</Einddatum>" if end else "")
        + (f"<RedenWijziging>{reden}</RedenWijziging>" if reden else "")
        + (amount if amount is not None else _omvang())
        + "</ToegewezenProduct>"
    )


def _client_301(*products: str, relatie: str = "", birth: str = "") -> str:
    birth = birth or "<Geboortedatum><b:Datum>1948-03-14</b:Datum></Geboortedatum>"
    naam = (
        "<Naam><b:Geslachtsnaam><b:Achternaam>Berg</b:Achternaam></b:Geslachtsnaam>"
        "<b:NaamGebruik>1</b:NaamGebruik></Naam>"
    )
    contact = (
        "<Contact><Soort>01</Soort><Adres><b:Huis><b:Huisnummer>12</b:Huisnummer></b:Huis>"
        "<b:Postcode>1017GA</b:Postcode><b:LandCode>NL</b:LandCode></Adres></Contact>"
    )
    return (
        f"<Client><Bsn>174285917</Bsn>{birth}<Geslacht>2</Geslacht>{naam}{relatie}"
        f"<Contactgegevens>{contact}</Contactgegevens>"
        f"<ToegewezenProducten>{''.join(products)}</ToegewezenProducten></Client>"
    )


_BUDGET = "<Budget>100000</Budget>"

CASES: dict[str, tuple[str, str]] = {
    # rules.md §0/§5: iWmo categories 11–14 may overlap anything, a generic line included.
    "TR302 iWmo hulpmiddelen overlap each other and a generic budget line": (
        "iwmo-3.2/WMO301.xml",
        _client_301(
            _toegewezen("1", _product("12", "12A01")),
            _toegewezen("2", _product("12", "12A01"), "2025-05-01"),
            _toegewezen("3", "", amount=_BUDGET),
        ),
    ),
    # §0: a deleted toewijzing (Einddatum = Ingangsdatum, RedenWijziging 13) does not count.
    "TR302 a deleted toewijzing does not overlap its replacement": (
        "iwmo-3.2/WMO301.xml",
        _client_301(
            _toegewezen("1", _product("02", "02A04"), end="2025-04-01", reden="13"),
            _toegewezen("2", _product("02", "02A04")),
        ),
    ),
    # CS336/CS338/CD080: toewijzingen of before 2021 may still carry what 2021 on forbids.
    "CS336 CS338 CD080 an old toewijzing keeps its old values": (
        "iwmo-3.2/WMO301.xml",
        _client_301(
            _toegewezen(
                "1",
                _product("02", "02A04"),
                "2020-01-01",
                "2020-12-31",
                given="2020-06-01",
                reden="01",
                amount=_omvang("1", "14", "1"),
            ),
            _toegewezen("2", _product("03"), "2020-01-01", "2020-12-31", given="2019-12-01"),
            _toegewezen("3", _product("02", "02A04")),
        ),
    ),
    # TR002 exempts the unknown birth date; CS139 placeholders; TR006 a Telefoon suffices.
    "TR002 CS139 TR006 placeholders and a Relatie reached by phone": (
        "iwmo-3.2/WMO301.xml",
        _client_301(
            _toegewezen("1", _product("02", "02A04")),
            birth="<Geboortedatum><b:Datum>1948-03-01</b:Datum>"
            "<b:DatumGebruik>1</b:DatumGebruik></Geboortedatum>",
            relatie="<Relaties><Relatie><Nummer>1</Nummer><Soort>03</Soort>"
            "<Geboortedatum><b:Datum>1900-01-01</b:Datum><b:DatumGebruik>3</b:DatumGebruik>"
            "</Geboortedatum><Naam><b:Geslachtsnaam><b:Achternaam>Berg</b:Achternaam>"
            "</b:Geslachtsnaam><b:NaamGebruik>6</b:NaamGebruik></Naam>"
            "<Contact><Soort>02</Soort><Telefoon><b:Telefoon01>"
            "<b:Telefoonnummer>0612345678</b:Telefoonnummer><b:Landnummer>0031</b:Landnummer>"
            "</b:Telefoon01></Telefoon></Contact></Relatie></Relaties>",
        ),
    ),
    # TR377/TR409 are iJw only; WMO319 has no Woonplaatsbeginsel class.
    "TR377 JW319 reason 8 with the responsible gemeente": (
        "ijw-3.2/JW319.xml",
        "<Antwoord><ReferentieAanbieder>VOW-2025-0007</ReferentieAanbieder>"
        "<VerzoekAntwoord>1</VerzoekAntwoord><RedenAfwijzingVerzoek>8</RedenAfwijzingVerzoek>"
        "<Woonplaatsbeginsel><Gemeente>0599</Gemeente></Woonplaatsbeginsel></Antwoord>",
    ),
    "TR377 WMO319 reason 8 has no class to fill": (
        "iwmo-3.2/WMO319.xml",
        "<Antwoord><ReferentieAanbieder>VOW-2025-0007</ReferentieAanbieder>"
        "<VerzoekAntwoord>1</VerzoekAntwoord><RedenAfwijzingVerzoek>8</RedenAfwijzingVerzoek>"
        "</Antwoord>",
    ),
    # TR352/TR353: an unchanged product and a new one; TR380 leaves GewensteIngangsdatum free.
    "TR352 TR353 TR380 an OngewijzigdProduct beside a NieuwProduct starting in the past": (
        "iwmo-3.2/WMO317.xml",
        "<Client><Bsn>174285917</Bsn><Verzoek><ReferentieAanbieder>VOW-1</ReferentieAanbieder>"
        "<RedenVerzoek>1</RedenVerzoek><OngewijzigdeProducten><OngewijzigdProduct>"
        "<ToewijzingNummer>300202</ToewijzingNummer></OngewijzigdProduct></OngewijzigdeProducten>"
        "<NieuweProducten><NieuwProduct>"
        + _product("02", "02A04")
        + "<GewensteIngangsdatum>2025-05-01</GewensteIngangsdatum>"
        "<Einddatum>2025-12-31</Einddatum>" + _omvang() + "</NieuwProduct>"
        "<NieuwProduct>" + _product("12") + "<GewensteIngangsdatum>2025-05-01"
        "</GewensteIngangsdatum><Einddatum>2025-12-31</Einddatum>" + _BUDGET + "</NieuwProduct>"
        "<NieuwProduct>" + _product("12") + "<GewensteIngangsdatum>2025-06-01"
        "</GewensteIngangsdatum><Einddatum>2025-12-31</Einddatum>" + _BUDGET + "</NieuwProduct>"
        "</NieuweProducten></Verzoek></Client>",
    ),
}


def _prestatie(ref: str, dc: str, vorig: str | None = None, nummer: str = "300201") -> str:
    return (
        f"<Prestatie><ProductReferentie><b:ReferentieNummer>{ref}</b:ReferentieNummer>"
        + (f"<b:VorigReferentieNummer>{vorig}</b:VorigReferentieNummer>" if vorig else "")
        + f"</ProductReferentie><ToewijzingNummer>{nummer}</ToewijzingNummer>"
        "<ProductCategorie>02</ProductCategorie><ProductCode>02A04</ProductCode>"
        "<ProductPeriode><b:Begindatum>2024-02-01</b:Begindatum>"
        "<b:Einddatum>2024-02-29</b:Einddatum></ProductPeriode><GeleverdVolume>16</GeleverdVolume>"
        "<Eenheid>04</Eenheid><ProductTarief>6250</ProductTarief>"
        f"<IngediendBedrag><b:Bedrag>100000</b:Bedrag><b:DebetCredit>{dc}</b:DebetCredit>"
        "</IngediendBedrag></Prestatie>"
    )


# TR416 counts debets only: a credit of an earlier debet and its corrected debet share the key.
# ToewijzingNummer 0300201 is 300201, so the credit keys the same toewijzing. February of a leap
# year is one whole month (CS340, CS337) and within five years of the DeclaratieDagtekening.
CASES["TR416 TR315 CS340 a credit and its corrected debet in a leap February"] = (
    "iwmo-3.2/WMO323.xml",
    "<Declaratie><DeclaratieNummer>202402000001</DeclaratieNummer><DeclaratiePeriode>"
    "<b:Begindatum>2024-02-01</b:Begindatum><b:Einddatum>2024-02-29</b:Einddatum>"
    "</DeclaratiePeriode><DeclaratieDagtekening>2025-05-06</DeclaratieDagtekening>"
    "<TotaalIngediendBedrag><b:TotaalBedrag>0</b:TotaalBedrag><b:DebetCredit>D</b:DebetCredit>"
    "</TotaalIngediendBedrag><Clienten><Client><Bsn>174285917</Bsn><Prestaties>"
    + _prestatie("P2", "C", vorig="P1", nummer="0300201")
    + _prestatie("P3", "D")
    + "</Prestaties></Client></Clienten></Declaratie>",
)


@pytest.mark.parametrize("case", sorted(CASES))
def test_valid_edge_message_is_valid(case: str) -> None:
    fixture, body = CASES[case]
    verdict = _validator().validate(_message(fixture, body))
    assert verdict.outcome is Outcome.VALID, verdict.findings
