"""The shared types of a pack's basisschema, with the facets of domain.md §3."""

from __future__ import annotations

from typing import Final

from hub.messages import Standard
from hub.packgen import codelists as cl
from hub.packgen.model import Code, Complex, Field, Simple, opt

NOT_BLANK: Final = r".*[^\s].*"
VERSION_PATTERN: Final = r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
UUID4_PATTERN: Final = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"

_S, _I = "xs:string", "xs:integer"
# Documentation for structures domain.md lists only partially: the hub models them small.
_HUB = "Model van isd-hub (domain.md noemt de structuur niet volledig)."


def _code_list(name: str, codes: tuple[Code, ...], doc: str = "", max_length: int = 0) -> Simple:
    length = max_length or max(len(c.value) for c in codes)
    return Simple(name, _S, doc=doc, max_length=length, codes=codes)


def _text(name: str, max_length: int, doc: str = "", min_length: int = 1) -> Simple:
    return Simple(name, _S, doc, min_length, max_length, (NOT_BLANK,))


def _amount(name: str, maximum: int, doc: str = "") -> Simple:
    return Simple(name, _I, doc, min_inclusive=0, max_inclusive=maximum)


def _code_pattern(name: str, pattern: str, doc: str) -> Simple:
    return Simple(name, _S, doc, patterns=(pattern,))


def _simples(standard: Standard) -> tuple[Simple, ...]:
    categorie_doc = "Productcategorie (WMO020)."
    if standard is Standard.IJW:
        categorie_doc += (
            " Let op: de officiële iJw-lijst wijkt af; domain.md noemt alleen de iWmo-lijst,"
            " dus dit pakket staat die toe tot een officieel pakket het vervangt."
        )
    simples = [
        _code_list("LDT_AdresSoort", cl.ADRES_SOORT, "Soort adres."),
        Simple("LDT_AgbCode", _S, "AGB-code (RS036: vullen met 8 cijfers).", 1, 8, ("[0-9]{8}",)),
        Simple("LDT_BerichtCode", _S, "Berichtcode; per bericht vastgelegd met een patroon.", 1, 3),
        Simple("LDT_BerichtSubversie", _I, "Subversie van het bericht.", None, None, (), 0, 99),
        Simple("LDT_BerichtVersie", _I, "Versie van het bericht.", None, None, (), 0, 99),
        _amount("LDT_Bedrag", 99_999_999, "Bedrag in centen."),
        _amount("LDT_Budget", 99_999_999, "Budget in centen."),
        Simple(
            "LDT_BurgerServicenummer",
            _S,
            "BSN; CS002 (11-proef) geldt daarnaast.",
            1,
            9,
            ("[0-9]{9}",),
        ),
        Simple("LDT_Commentaar", _S, "Vrije tekst.", patterns=(r"([.\s]*\S+[.\s]*)+",)),
        _code_pattern("LDT_CommunicatieVorm", "[0-9]{1,2}", "Vorm van communicatie. " + _HUB),
        Simple("LDT_Datum", "xs:date", "Datum zonder tijdzone (RS032).", patterns=("[^:Z]*",)),
        _code_list("LDT_DatumGebruik", cl.DATUM_GEBRUIK, "Welk deel van de datum onbekend is."),
        _code_list("LDT_DebetCredit", cl.DEBET_CREDIT, "Debet of credit (CS325: 0 is D)."),
        _code_list("LDT_Eenheid", cl.EENHEID, "Eenheid (WJ756)."),
        Simple("LDT_Emailadres", _S, "E-mailadres.", 1, 80),
        _code_list("LDT_Frequentie", cl.FREQUENTIE, "Frequentie (WMO757)."),
        Simple("LDT_Gemeente", _S, "CBS-gemeentecode (RS035).", 1, None, ("[0-9]{4}",)),
        _code_list("LDT_Geslacht", cl.GESLACHT, "Geslacht."),
        Simple("LDT_Huisletter", _S, "Huisletter. " + _HUB, 1, 1, ("[a-zA-Z]",)),
        _amount("LDT_Huisnummer", 99_999, "Huisnummer. " + _HUB),
        _text("LDT_HuisnummerToevoeging", 4, "Huisnummertoevoeging. " + _HUB),
        _text("LDT_IdentificatieBericht", 12, "Identificatie van een bericht (RS017, RS033)."),
        Simple("LDT_IdentificatieDeclaratie", _S, "Identificatie van een declaratie.", 1, 12),
        _code_list("LDT_JaNee", cl.JA_NEE, "Ja of nee."),
        _code_pattern(
            "LDT_JuridischeStatus", "[0-9]{1,2}", "Code juridische status van de cliënt. " + _HUB
        ),
        Simple("LDT_LandCode", _S, "Landcode (ISO 3166-1 alfa-2). " + _HUB, 2, 2, ("[A-Z]{2}",)),
        _text("LDT_Naam", 200, "Achternaam."),
        _code_list("LDT_NaamGebruik", cl.NAAM_GEBRUIK, "Aanduiding naamgebruik."),
        _text("LDT_NaamOrganisatie", 70, "Naam van een organisatie. " + _HUB),
        _text("LDT_NaamVerwijzer", 35, "Naam van de verwijzer."),
        _amount("LDT_Nummer", 999_999_999, "Toewijzings- of beschikkingsnummer."),
        _amount("LDT_Persoonsid", 999_999_999, "Nummer van een relatie binnen het bericht."),
        _text("LDT_Plaatsnaam", 80, "Woonplaats. " + _HUB),
        Simple("LDT_Postcode", _S, "Postcode (CS089: NL-formaat als LandCode NL).", 1, 8),
        _code_list("LDT_ProductCategorie", cl.PRODUCT_CATEGORIE, categorie_doc),
        _text("LDT_ProductCode", 5, "Productcode; moet bij de categorie passen (TR381)."),
        _code_list("LDT_RedenBeeindiging", cl.REDEN_BEEINDIGING, "Reden beëindiging (WMO588)."),
        _code_pattern("LDT_RedenAfwijzingVerzoek", "[0-9]{2}", "Reden afwijzing verzoek. " + _HUB),
        _code_pattern("LDT_RedenVerzoek", "[0-9]{2}", "Reden van het verzoek. " + _HUB),
        _code_list("LDT_RedenWijziging", cl.REDEN_WIJZIGING, "Reden wijziging (WMO002)."),
        _text("LDT_Referentie", 36, "Referentie van de aanbieder."),
        Simple("LDT_ReferentieNummer", _S, "Referentienummer van een prestatie.", 1, 20),
        Simple(
            "LDT_RelatieVolgorde", _I, "Volgorde van de relatie.", min_inclusive=1, max_inclusive=99
        ),
        _code_list("LDT_RetourCode", cl.RETOUR_CODE, "Retourcode.", max_length=4),
        _code_pattern("LDT_SoortRelatie", "[0-9]{1,2}", "Soort relatie. " + _HUB),
        _code_list("LDT_StatusAanlevering", cl.STATUS_AANLEVERING, "Status aanlevering."),
        _text("LDT_Straatnaam", 80, "Straatnaam. " + _HUB),
        _code_pattern("LDT_Taal", "[a-z]{2,3}", "Taal (ISO 639-code). " + _HUB),
        Simple("LDT_Telefoonnummer", _S, "Telefoonnummer.", 1, 15, ("[0-9]*",)),
        Simple("LDT_Tijd", "xs:time", "Tijd zonder tijdzone.", patterns=("[^Z+-]+",)),
        _amount("LDT_TotaalBedrag", 999_999_999_999, "Totaalbedrag in centen."),
        _code_pattern("LDT_TypeVerwijzer", "[0-9]{2}", "Soort verwijzer. " + _HUB),
        _code_list("LDT_VerzoekAntwoord", cl.VERZOEK_ANTWOORD, "Antwoord op een verzoek."),
        Simple("LDT_Versie", _S, "Versie x.y.z (RS048).", patterns=(VERSION_PATTERN,)),
        _amount("LDT_Volume", 99_999_999, "Volume."),
        _text("LDT_Voornamen", 200, "Voornamen."),
        Simple("LDT_Voorletters", _S, "Voorletters.", 1, 6, ("([a-zA-ZÀ-ỳ])+",)),
        _text("LDT_Voorvoegsel", 10, "Voorvoegsel van de achternaam."),
        _code_pattern(
            "LDT_WettelijkeVertegenwoordiging",
            "[0-9]{1,2}",
            "Code wettelijke vertegenwoordiging. " + _HUB,
        ),
    ]
    if standard is Standard.IEB:
        simples += [
            Simple(
                "LDT_CakCode",
                _S,
                "Partijcode van het CAK als ontvanger. isd-hub model: 8 cijfers, net als een"
                " AGB-code, zodat het partijregister het CAK als vaste partij kan adresseren.",
                8,
                8,
                ("[0-9]{8}",),
            ),
            Simple(
                "LDT_UUID",
                _S,
                "UUID versie 4, sleutel van een melding (naar iWlz LDT_UUID).",
                36,
                36,
                (UUID4_PATTERN,),
            ),
        ]
    return tuple(sorted(simples, key=lambda s: s.name))


def _complexes() -> tuple[Complex, ...]:
    period_doc = "Periode met begin- en einddatum."
    return (
        Complex(
            "CDT_Achternaam",
            (Field("Achternaam", "LDT_Naam"), opt("Voorvoegsel", "LDT_Voorvoegsel")),
        ),
        Complex(
            "CDT_Adres",
            (
                opt("Straatnaam", "LDT_Straatnaam"),
                opt("Huisnummer", "LDT_Huisnummer"),
                opt("Huisletter", "LDT_Huisletter"),
                opt("HuisnummerToevoeging", "LDT_HuisnummerToevoeging"),
                opt("Postcode", "LDT_Postcode"),
                opt("Plaatsnaam", "LDT_Plaatsnaam"),
                opt("LandCode", "LDT_LandCode"),
            ),
            doc="Adres. " + _HUB,
        ),
        Complex(
            "CDT_BedragMetDC",
            (Field("Bedrag", "LDT_Bedrag"), Field("DebetCredit", "LDT_DebetCredit")),
        ),
        Complex(
            "CDT_BerichtIdentificatie",
            (Field("Identificatie", "LDT_IdentificatieBericht"), Field("Dagtekening", "LDT_Datum")),
        ),
        Complex(
            "CDT_Communicatie",
            (opt("Vorm", "LDT_CommunicatieVorm"), opt("Taal", "LDT_Taal")),
            doc="Bijzonderheden in de communicatie met de cliënt. " + _HUB,
        ),
        Complex(
            "CDT_Geboortedatum",
            (Field("Datum", "LDT_Datum"), opt("DatumGebruik", "LDT_DatumGebruik")),
        ),
        Complex(
            "CDT_GeslotenPeriode",
            (Field("Begindatum", "LDT_Datum"), Field("Einddatum", "LDT_Datum")),
            doc=period_doc,
        ),
        Complex(
            "CDT_Omvang",
            (
                Field("Volume", "LDT_Volume"),
                Field("Eenheid", "LDT_Eenheid"),
                Field("Frequentie", "LDT_Frequentie"),
            ),
        ),
        Complex(
            "CDT_OpenPeriode",
            (Field("Begindatum", "LDT_Datum"), opt("Einddatum", "LDT_Datum")),
            doc="Periode waarvan de einddatum open kan zijn.",
        ),
        Complex(
            "CDT_Organisatie",
            (Field("Naam", "LDT_NaamOrganisatie"), opt("AgbCode", "LDT_AgbCode")),
            doc="Organisatie van een contact. " + _HUB,
        ),
        Complex(
            "CDT_Product",
            (Field("Categorie", "LDT_ProductCategorie"), opt("Code", "LDT_ProductCode")),
        ),
        Complex(
            "CDT_Referentie",
            (
                Field("ReferentieNummer", "LDT_ReferentieNummer"),
                opt("VorigReferentieNummer", "LDT_ReferentieNummer"),
            ),
        ),
        Complex(
            "CDT_Telefoonnummers",
            (
                Field("Telefoonnummer", "LDT_Telefoonnummer"),
                opt("AnderTelefoonnummer", "LDT_Telefoonnummer"),
            ),
        ),
        Complex(
            "CDT_TotaalBedragMetDC",
            (Field("TotaalBedrag", "LDT_TotaalBedrag"), Field("DebetCredit", "LDT_DebetCredit")),
        ),
        Complex(
            "CDT_VerkorteNaam",
            (
                Field("Geslachtsnaam", "CDT_Achternaam"),
                opt("Voornamen", "LDT_Voornamen"),
                opt("Voorletters", "LDT_Voorletters"),
            ),
        ),
        Complex(
            "CDT_Verwijzer",
            (
                Field("Type", "LDT_TypeVerwijzer"),
                opt("Naam", "LDT_NaamVerwijzer"),
                opt("ZorgverlenerCode", "LDT_AgbCode"),
            ),
        ),
        Complex(
            "CDT_VolledigeNaam",
            (
                Field("Geslachtsnaam", "CDT_Achternaam"),
                opt("Partnernaam", "CDT_Achternaam"),
                opt("Voornamen", "LDT_Voornamen"),
                opt("Voorletters", "LDT_Voorletters"),
                Field("NaamGebruik", "LDT_NaamGebruik"),
            ),
        ),
        Complex(
            "CDT_XsdVersie",
            (Field("BasisschemaXsdVersie", "LDT_Versie"), Field("BerichtXsdVersie", "LDT_Versie")),
        ),
    )


def basis_types(standard: Standard) -> tuple[tuple[Simple, ...], tuple[Complex, ...]]:
    """The simple and complex types of `standard`'s basisschema, in name order."""
    return _simples(standard), _complexes()
