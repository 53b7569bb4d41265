"""The shared types of a pack's basisschema, as the published iWmo/iJw 3.2 basisschema has them."""

from __future__ import annotations

from typing import Final

from hub.domain.messages import Standard
from hub.ops.packgen import codelists as cl
from hub.ops.packgen.model import Code, Complex, Field, Simple, opt

NOT_BLANK: Final = r".*[^\s].*"
VERSION_PATTERN: Final = r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
UUID4_PATTERN: Final = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"

_S, _I = "xs:string", "xs:integer"


def _code_list(name: str, codes: tuple[Code, ...], doc: str = "", max_length: int = 0) -> Simple:
    length = max_length or max(len(c.value) for c in codes)
    return Simple(name, _S, doc=doc, max_length=length, codes=codes)


def _text(name: str, max_length: int, doc: str = "", min_length: int = 1) -> Simple:
    return Simple(name, _S, doc, min_length, max_length, (NOT_BLANK,))


def _amount(name: str, maximum: int, doc: str = "") -> Simple:
    return Simple(name, _I, doc, min_inclusive=0, max_inclusive=maximum)


def _simples(standard: Standard) -> tuple[Simple, ...]:
    ijw = standard is Standard.IJW
    categorie = cl.PRODUCT_CATEGORIE_IJW if ijw else cl.PRODUCT_CATEGORIE
    categorie_doc = "Productcategorie (JZ020)." if ijw else "Productcategorie (WMO020)."
    beeindiging = cl.REDEN_BEEINDIGING_IJW if ijw else cl.REDEN_BEEINDIGING
    beeindiging_doc = "Reden beëindiging (JZ588)." if ijw else "Reden beëindiging (WMO588)."
    simples = [
        _code_list("LDT_AanduidingWoonadres", cl.AANDUIDING_WOONADRES, "Aanduiding bij adres."),
        _code_list("LDT_AdresSoort", cl.ADRES_SOORT, "Soort adres."),
        Simple("LDT_AgbCode", _S, "AGB-code (RS036: vullen met 8 cijfers).", 1, 8, ("[0-9]{8}",)),
        _amount("LDT_Bedrag", 99_999_999, "Bedrag in centen."),
        Simple("LDT_BerichtCode", _S, "Berichtcode; per bericht vastgelegd met een patroon.", 1, 3),
        _amount("LDT_BerichtSubversie", 99, "Subversie van het bericht."),
        _amount("LDT_BerichtVersie", 99, "Versie van het bericht."),
        _amount("LDT_Budget", 99_999_999, "Budget in centen."),
        Simple(
            "LDT_BurgerServicenummer",
            _S,
            "BSN; CS002 (11-proef) geldt daarnaast.",
            1,
            9,
            ("[0-9]{9}",),
        ),
        Simple("LDT_Commentaar", _S, "Vrije tekst.", 1, patterns=(r"([.\s]*\S+[.\s]*)+",)),
        _code_list("LDT_Communicatievorm", cl.COMMUNICATIEVORM, "Vorm van communicatie."),
        Simple("LDT_Datum", "xs:date", "Datum zonder tijdzone (RS032).", patterns=("[^:Z]*",)),
        _code_list("LDT_DatumGebruik", cl.DATUM_GEBRUIK, "Welk deel van de datum onbekend is."),
        _code_list("LDT_DebetCredit", cl.DEBET_CREDIT, "Debet of credit (CS325: 0 is D)."),
        _code_list("LDT_Eenheid", cl.EENHEID, "Eenheid (WJ756)."),
        _text("LDT_Emailadres", 80, "E-mailadres."),
        _code_list("LDT_Frequentie", cl.FREQUENTIE, "Frequentie (WMO757)."),
        Simple("LDT_Gemeente", _S, "CBS-gemeentecode (RS035).", 1, None, ("[0-9]{4}",)),
        _code_list("LDT_Geslacht", cl.GESLACHT, "Geslacht."),
        _text("LDT_Huisletter", 1, "Huisletter."),
        _amount("LDT_Huisnummer", 99_999, "Huisnummer."),
        _text("LDT_HuisnummerToevoeging", 4, "Huisnummertoevoeging."),
        _text("LDT_IdentificatieBericht", 12, "Identificatie van een bericht (RS017, RS033)."),
        Simple("LDT_IdentificatieDeclaratie", _S, "Identificatie van een declaratie.", 1, 12),
        _code_list("LDT_JaNee", cl.JA_NEE, "Ja of nee."),
        _code_list(
            "LDT_JuridischeStatus", cl.JURIDISCHE_STATUS, "Juridische status van de cliënt."
        ),
        _code_list("LDT_LandCode", cl.LAND_CODE, "Landcode (ISO 3166-1 alfa-2)."),
        _text("LDT_Landnummer", 4, "Landnummer van een telefoonnummer."),
        _text("LDT_Naam", 200, "Naam (achternaam, voornamen)."),
        _code_list("LDT_NaamGebruik", cl.NAAM_GEBRUIK, "Aanduiding naamgebruik."),
        _text("LDT_NaamVerwijzer", 64, "Naam van de verwijzer."),
        _amount("LDT_Nummer", 999_999_999, "Toewijzings- of beschikkingsnummer."),
        _text("LDT_Organisatienaam", 35, "Naam van een organisatie."),
        _text("LDT_Persoonsid", 20, "Nummer van een relatie binnen het bericht."),
        _text("LDT_Plaatsnaam", 80, "Woonplaats."),
        _text("LDT_Postcode", 8, "Postcode (CS089: NL-formaat als LandCode NL)."),
        _code_list("LDT_ProductCategorie", categorie, categorie_doc),
        _text("LDT_ProductCode", 5, "Productcode; moet bij de categorie passen (TR381)."),
        _code_list(
            "LDT_RedenAfwijzingVerzoek",
            cl.REDEN_AFWIJZING_VERZOEK,
            "Reden afwijzing verzoek (WJ759).",
            max_length=2,
        ),
        _code_list("LDT_RedenBeeindiging", beeindiging, beeindiging_doc),
        _code_list("LDT_RedenVerzoek", cl.REDEN_VERZOEK, "Reden van het verzoek."),
        _code_list("LDT_RedenWijziging", cl.REDEN_WIJZIGING, "Reden wijziging (WMO002)."),
        _text("LDT_Referentie", 36, "Referentie van de aanbieder."),
        Simple("LDT_ReferentieNummer", _S, "Referentienummer van een prestatie.", 1, 20),
        _amount("LDT_RelatieVolgorde", 99, "Volgorde van de relatie."),
        _code_list("LDT_RetourCode", cl.RETOUR_CODE, "Retourcode.", max_length=4),
        _code_list("LDT_SoortRelatie", cl.SOORT_RELATIE, "Soort relatie."),
        _code_list("LDT_StatusAanlevering", cl.STATUS_AANLEVERING, "Status aanlevering."),
        _text("LDT_Straatnaam", 24, "Straatnaam."),
        _text("LDT_Taal", 25, "Taal waarin een tolk nodig is."),
        Simple("LDT_Telefoonnummer", _S, "Telefoonnummer.", 1, 15, ("[0-9]*",)),
        Simple("LDT_Tijd", "xs:time", "Tijd zonder tijdzone.", patterns=("[^Z+-]+",)),
        _amount("LDT_TotaalBedrag", 999_999_999_999, "Totaalbedrag in centen."),
        _code_list("LDT_TypeVerwijzer", cl.TYPE_VERWIJZER, "Soort verwijzer."),
        Simple("LDT_Versie", _S, "Versie x.y.z (RS048).", 1, patterns=(VERSION_PATTERN,)),
        _code_list("LDT_VerzoekAntwoord", cl.VERZOEK_ANTWOORD, "Antwoord op een verzoek."),
        _amount("LDT_Volume", 99_999_999, "Volume."),
        Simple("LDT_Voorletters", _S, "Voorletters.", 1, 6, ("([a-zA-ZÀ-ỳ])+",)),
        _text("LDT_Voorvoegsel", 10, "Voorvoegsel van de achternaam."),
        _code_list(
            "LDT_WettelijkeVertegenwoordiging",
            cl.WETTELIJKE_VERTEGENWOORDIGING,
            "Wettelijke vertegenwoordiging.",
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
    return (
        Complex(
            "CDT_Achternaam",
            (Field("Achternaam", "LDT_Naam"), opt("Voorvoegsel", "LDT_Voorvoegsel")),
        ),
        Complex(
            "CDT_Adres",
            (
                opt("Huis", "CDT_Huis"),
                opt("Postcode", "LDT_Postcode"),
                opt("Straatnaam", "LDT_Straatnaam"),
                opt("Plaatsnaam", "LDT_Plaatsnaam"),
                opt("LandCode", "LDT_LandCode"),
            ),
            doc="Adres (CD005, CD025, CS089: samenhang Postcode, LandCode en Huis).",
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
            (Field("Vorm", "LDT_Communicatievorm"), opt("Taal", "LDT_Taal")),
            doc="Bijzonderheden in de communicatie met de cliënt (CD007).",
        ),
        Complex(
            "CDT_Geboortedatum",
            (Field("Datum", "LDT_Datum"), opt("DatumGebruik", "LDT_DatumGebruik")),
        ),
        Complex(
            "CDT_GeslotenPeriode",
            (Field("Begindatum", "LDT_Datum"), Field("Einddatum", "LDT_Datum")),
            doc="Periode met begin- en einddatum.",
        ),
        Complex(
            "CDT_Huis",
            (
                Field("Huisnummer", "LDT_Huisnummer"),
                opt("Huisletter", "LDT_Huisletter"),
                opt("HuisnummerToevoeging", "LDT_HuisnummerToevoeging"),
                opt("AanduidingWoonadres", "LDT_AanduidingWoonadres"),
            ),
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
            (opt("Begindatum", "LDT_Datum"), opt("Einddatum", "LDT_Datum")),
            doc="Periode waarvan begin en einde open kunnen zijn.",
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
            "CDT_Telefoon",
            (Field("Telefoonnummer", "LDT_Telefoonnummer"), Field("Landnummer", "LDT_Landnummer")),
        ),
        Complex(
            "CDT_Telefoonnummers",
            (Field("Telefoon01", "CDT_Telefoon"), opt("Telefoon02", "CDT_Telefoon")),
        ),
        Complex(
            "CDT_TotaalBedragMetDC",
            (Field("TotaalBedrag", "LDT_TotaalBedrag"), Field("DebetCredit", "LDT_DebetCredit")),
        ),
        Complex(
            "CDT_VerkorteNaam",
            (
                Field("Geslachtsnaam", "CDT_Achternaam"),
                opt("Voornamen", "LDT_Naam"),
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
                opt("Voornamen", "LDT_Naam"),
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
