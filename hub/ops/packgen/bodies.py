"""Message bodies of iWmo/iJw 3.2 (the published XSD facts), keyed by message number."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from hub.domain.messages import Standard
from hub.ops.packgen.headers import RETOUR_CODES_TYPE, retour_codes_type
from hub.ops.packgen.model import Body, Complex, Field, many, opt


def _client_base(naam_type: str) -> tuple[Field, ...]:
    return (
        Field("Bsn", "LDT_BurgerServicenummer"),
        Field("Geboortedatum", "CDT_Geboortedatum"),
        Field("Geslacht", "LDT_Geslacht"),
        Field("Naam", naam_type),
    )


def _wrapper(name: str, item: str) -> Complex:
    return Complex(name, (many(item, item),))


def _contact() -> Complex:
    return Complex(
        "Contact",
        (
            Field("Soort", "LDT_AdresSoort"),
            opt("Adres", "CDT_Adres"),
            opt("Organisatie", "LDT_Organisatienaam"),
            opt("Telefoon", "CDT_Telefoonnummers"),
            opt("Emailadres", "LDT_Emailadres"),
            opt("Periode", "CDT_OpenPeriode"),
        ),
        is_class=True,
    )


def toewijzing(_: Standard) -> Body:
    """WMO301 / JW301."""
    client = Complex(
        "Client",
        (
            *_client_base("CDT_VolledigeNaam"),
            opt("Communicatie", "CDT_Communicatie"),
            opt("JuridischeStatus", "LDT_JuridischeStatus"),
            opt("WettelijkeVertegenwoordiging", "LDT_WettelijkeVertegenwoordiging"),
            opt("Commentaar", "LDT_Commentaar"),
            opt("Relaties", "Relaties"),
            Field("Contactgegevens", "Contactgegevens"),
            Field("ToegewezenProducten", "ToegewezenProducten"),
        ),
        is_class=True,
    )
    relatie = Complex(
        "Relatie",
        (
            Field("Nummer", "LDT_Persoonsid"),
            opt("Volgorde", "LDT_RelatieVolgorde"),
            Field("Soort", "LDT_SoortRelatie"),
            opt("Geboortedatum", "CDT_Geboortedatum"),
            opt("Geslacht", "LDT_Geslacht"),
            Field("Naam", "CDT_VolledigeNaam"),
            Field("Contact", "Contact"),
        ),
        is_class=True,
    )
    product = Complex(
        "ToegewezenProduct",
        (
            Field("ToewijzingNummer", "LDT_Nummer"),
            opt("ReferentieAanbieder", "LDT_Referentie"),
            opt("Product", "CDT_Product"),
            Field("Toewijzingsdatum", "LDT_Datum"),
            Field("Toewijzingstijd", "LDT_Tijd"),
            Field("Ingangsdatum", "LDT_Datum"),
            opt("Einddatum", "LDT_Datum"),
            opt("RedenWijziging", "LDT_RedenWijziging"),
            opt("Omvang", "CDT_Omvang"),
            opt("Budget", "LDT_Budget"),
            opt("Commentaar", "LDT_Commentaar"),
        ),
        is_class=True,
    )
    return Body(
        (Field("Client", "Client"),),
        (
            client,
            _wrapper("Relaties", "Relatie"),
            relatie,
            _wrapper("Contactgegevens", "Contact"),
            _contact(),
            _wrapper("ToegewezenProducten", "ToegewezenProduct"),
            product,
        ),
    )


def _regie(kind: str, extra: tuple[Field, ...]) -> Body:
    """Start (305) and stop (307) share everything but the product class."""
    product = Complex(
        f"{kind}Product",
        (
            opt("ToewijzingNummer", "LDT_Nummer", "Leeg in de taakgerichte variant (IV096)."),
            opt("Product", "CDT_Product"),
            opt("ToewijzingIngangsdatum", "LDT_Datum"),
            Field("Begindatum", "LDT_Datum"),
            *extra,
            Field("StatusAanlevering", "LDT_StatusAanlevering", doc="Alleen 1 of 3 (CS058)."),
        ),
        is_class=True,
    )
    client = Complex(
        "Client",
        (*_client_base("CDT_VerkorteNaam"), Field(f"{kind}Producten", f"{kind}Producten")),
        is_class=True,
    )
    return Body(
        (Field("Client", "Client"),),
        (client, _wrapper(f"{kind}Producten", f"{kind}Product"), product),
    )


def start(_: Standard) -> Body:
    """WMO305 / JW305."""
    return _regie("Start", ())


def stop(_: Standard) -> Body:
    """WMO307 / JW307."""
    return _regie(
        "Stop",
        (Field("RedenBeeindiging", "LDT_RedenBeeindiging"), Field("Einddatum", "LDT_Datum")),
    )


def verzoek_toewijzing(standard: Standard) -> Body:
    """WMO315 / JW315; only the JW315 knows GezagsdragerBekend."""
    gezag = (opt("GezagsdragerBekend", "LDT_JaNee"),) if standard is Standard.IJW else ()
    client = Complex(
        "Client",
        (
            *_client_base("CDT_VerkorteNaam"),
            *gezag,
            opt("Commentaar", "LDT_Commentaar"),
            Field("AangevraagdeProducten", "AangevraagdeProducten"),
        ),
        is_class=True,
    )
    product = Complex(
        "AangevraagdProduct",
        (
            Field("ReferentieAanbieder", "LDT_Referentie"),
            opt("BeschikkingNummer", "LDT_Nummer"),
            opt("Product", "CDT_Product"),
            opt("BeschikkingIngangsdatum", "LDT_Datum"),
            Field("ToewijzingIngangsdatum", "LDT_Datum"),
            opt("ToewijzingEinddatum", "LDT_Datum"),
            opt("Omvang", "CDT_Omvang"),
            opt("Budget", "LDT_Budget"),
            Field("Verwijzer", "CDT_Verwijzer"),
            opt("Raamcontract", "LDT_JaNee"),
            opt("Commentaar", "LDT_Commentaar"),
        ),
        is_class=True,
    )
    return Body(
        (Field("Client", "Client"),),
        (client, _wrapper("AangevraagdeProducten", "AangevraagdProduct"), product),
    )


def verzoek_wijziging(_: Standard) -> Body:
    """WMO317 / JW317: no name or birth date, one Verzoek."""
    wijziging = (
        Field("GewensteIngangsdatum", "LDT_Datum"),
        opt("Einddatum", "LDT_Datum"),
        opt("Omvang", "CDT_Omvang"),
        opt("Budget", "LDT_Budget"),
    )
    verzoek = Complex(
        "Verzoek",
        (
            Field("ReferentieAanbieder", "LDT_Referentie"),
            Field("RedenVerzoek", "LDT_RedenVerzoek"),
            opt("OngewijzigdeProducten", "OngewijzigdeProducten"),
            opt("TeWijzigenProducten", "TeWijzigenProducten"),
            opt("NieuweProducten", "NieuweProducten"),
        ),
        is_class=True,
    )
    return Body(
        (Field("Client", "Client"),),
        (
            Complex(
                "Client",
                (Field("Bsn", "LDT_BurgerServicenummer"), Field("Verzoek", "Verzoek")),
                is_class=True,
            ),
            verzoek,
            _wrapper("OngewijzigdeProducten", "OngewijzigdProduct"),
            Complex(
                "OngewijzigdProduct", (Field("ToewijzingNummer", "LDT_Nummer"),), is_class=True
            ),
            _wrapper("TeWijzigenProducten", "TeWijzigenProduct"),
            Complex(
                "TeWijzigenProduct",
                (Field("ToewijzingNummer", "LDT_Nummer"), *wijziging),
                is_class=True,
            ),
            _wrapper("NieuweProducten", "NieuwProduct"),
            Complex("NieuwProduct", (opt("Product", "CDT_Product"), *wijziging), is_class=True),
        ),
    )


def antwoord(standard: Standard) -> Body:
    """WMO319 / JW319; only the JW319 names the gemeente of the woonplaatsbeginsel."""
    fields = (
        Field("ReferentieAanbieder", "LDT_Referentie"),
        Field("VerzoekAntwoord", "LDT_VerzoekAntwoord"),
        opt(
            "RedenAfwijzingVerzoek",
            "LDT_RedenAfwijzingVerzoek",
            "Verplicht als VerzoekAntwoord 1 is (CD085/CD086).",
        ),
    )
    if standard is not Standard.IJW:
        return Body((Field("Antwoord", "Antwoord"),), (Complex("Antwoord", fields, True),))
    woonplaats = opt(
        "Woonplaatsbeginsel",
        "Woonplaatsbeginsel",
        "Alleen bij RedenAfwijzingVerzoek 8 (TR377, TR409).",
    )
    return Body(
        (Field("Antwoord", "Antwoord"),),
        (
            Complex("Antwoord", (*fields, woonplaats), is_class=True),
            Complex(
                "Woonplaatsbeginsel",
                (Field("Gemeente", "LDT_Gemeente", doc="De gemeente die verantwoordelijk is."),),
                is_class=True,
            ),
        ),
    )


PRESTATIE_FIELDS = (
    Field("ProductReferentie", "CDT_Referentie"),
    Field("ToewijzingNummer", "LDT_Nummer"),
    Field("ProductCategorie", "LDT_ProductCategorie"),
    Field("ProductCode", "LDT_ProductCode"),
    Field("ProductPeriode", "CDT_GeslotenPeriode"),
    Field("GeleverdVolume", "LDT_Volume"),
    Field("Eenheid", "LDT_Eenheid"),
    opt("ProductTarief", "LDT_Bedrag"),
    Field("IngediendBedrag", "CDT_BedragMetDC"),
)


def declaratie(_: Standard) -> Body:
    """WMO323 / JW323."""
    return Body(
        (Field("Declaratie", "Declaratie"),),
        (
            Complex(
                "Declaratie",
                (
                    Field(
                        "DeclaratieNummer",
                        "LDT_IdentificatieDeclaratie",
                        doc="Alleen letters en cijfers (CS319).",
                        patterns=("([a-zA-Z0-9])+",),
                    ),
                    Field("DeclaratiePeriode", "CDT_GeslotenPeriode"),
                    Field("DeclaratieDagtekening", "LDT_Datum"),
                    Field("TotaalIngediendBedrag", "CDT_TotaalBedragMetDC"),
                    Field("Clienten", "Clienten"),
                ),
            ),
            _wrapper("Clienten", "Client"),
            Complex(
                "Client",
                (Field("Bsn", "LDT_BurgerServicenummer"), Field("Prestaties", "Prestaties")),
                is_class=True,
            ),
            _wrapper("Prestaties", "Prestatie"),
            Complex("Prestatie", PRESTATIE_FIELDS, is_class=True),
        ),
    )


def declaratie_antwoord(_: Standard) -> Body:
    """WMO325 / JW325: only rejected Prestaties are listed (TR342)."""
    codes = Field("RetourCodes", RETOUR_CODES_TYPE)
    return Body(
        (opt("DeclaratieAntwoord", "DeclaratieAntwoord"),),
        (
            Complex(
                "DeclaratieAntwoord",
                (
                    Field("DeclaratieNummer", "LDT_IdentificatieDeclaratie"),
                    Field("TotaalIngediendBedrag", "CDT_TotaalBedragMetDC"),
                    Field("TotaalToegekendBedrag", "CDT_TotaalBedragMetDC"),
                    opt("Clienten", "Clienten"),
                    codes,
                ),
                is_class=True,
            ),
            _wrapper("Clienten", "Client"),
            Complex(
                "Client",
                (Field("Bsn", "LDT_BurgerServicenummer"), Field("Prestaties", "Prestaties"), codes),
                is_class=True,
            ),
            _wrapper("Prestaties", "Prestatie"),
            Complex("Prestatie", (*PRESTATIE_FIELDS, codes), is_class=True),
            retour_codes_type(),
        ),
    )


def as_retour(heen: Body) -> Body:
    """The retour body of `heen` (domain.md §2.2): the top-level element becomes optional and
    every class gets a mandatory RetourCodes as its last element."""
    complexes = tuple(
        Complex(c.name, (*c.fields, Field("RetourCodes", RETOUR_CODES_TYPE)), True, c.doc)
        if c.is_class
        else c
        for c in heen.complexes
    )
    root = tuple(replace(f, min=0) for f in heen.root_fields)
    return Body(root, (retour_codes_type(), *complexes), heen.simples)


HEEN_BODIES: dict[int, Callable[[Standard], Body]] = {
    301: toewijzing,
    305: start,
    307: stop,
    315: verzoek_toewijzing,
    317: verzoek_wijziging,
    319: antwoord,
    323: declaratie,
    325: declaratie_antwoord,
}
