"""Code lists of the basisschema (domain.md §3 and §4.2), as enumerations with their meanings."""

from __future__ import annotations

from typing import Final

from hub.ops.packgen.model import Code


def _codes(*pairs: tuple[str, str]) -> tuple[Code, ...]:
    return tuple(Code(value, meaning) for value, meaning in pairs)


STATUS_AANLEVERING: Final = _codes(
    ("1", "Eerste aanlevering"),
    ("2", "Gewijzigde aanlevering"),
    ("3", "Verwijderen aanlevering"),
    ("9", "Niet van toepassing (ongewijzigd)"),
)

REDEN_BEEINDIGING: Final = _codes(
    ("02", "Overlijden"),
    ("19", "Beëindigd volgens plan"),
    ("20", "Tijdelijk beëindigd"),
    ("21", "Eenzijdig beëindigd door cliënt"),
    ("22", "Eenzijdig beëindigd door aanbieder"),
    ("23", "In overeenstemming voortijdig beëindigd"),
    ("31", "Verhuizing naar andere gemeente"),
    ("36", "Beëindiging geïnitieerd door gemeente"),
    ("37", "Beëindiging in verband met wijzigingsverzoek"),
    ("38", "Overstap naar andere aanbieder"),
    ("39", "Uitstroom naar ander domein"),
)

# iJw (JZ588): only 02, 20 and 31 have meanings in our sources (rules.md §5).
REDEN_BEEINDIGING_IJW: Final = (
    Code("02", "Overlijden"),
    Code("20", "Tijdelijk beëindigd"),
    Code("31", "Beëindigd volgens plan"),
    *(
        Code(v, "Reden beëindiging (betekenis: officiële codelijst JZ588)")
        for v in ("32", "33", "34", "35", "36", "37", "38", "39")
    ),
)

REDEN_WIJZIGING: Final = _codes(
    ("01", "Administratieve correctie (vervallen, niet gebruiken: CS336)"),
    ("02", "Cliënt overleden"),
    ("03", "Contractwijziging"),
    ("04", "Herbeoordeling: verlenging"),
    ("05", "Herbeoordeling: verkorting"),
    ("06", "Uitstroom naar ander domein"),
    ("07", "Verhuizing naar andere gemeente"),
    ("08", "Wijziging leveringsvorm"),
    ("09", "Overstap naar andere aanbieder"),
    ("10", "Nieuwe bekostigingssystematiek"),
    ("11", "Gemeentelijke herindeling"),
    ("12", "Geïnitieerd door aanbieder"),
    ("13", "Verwijderd"),
    ("14", "Administratieve correctie"),
)

PRODUCT_CATEGORIE: Final = _codes(
    ("01", "Hulp bij het huishouden"),
    ("02", "Begeleiding"),
    ("03", "Persoonlijke verzorging"),
    ("04", "Kortdurend verblijf"),
    ("05", "Woondiensten"),
    ("06", "Overige ondersteuning individu/huishouden"),
    ("07", "Dagbesteding"),
    ("08", "Vervoerdiensten"),
    ("09", "Overige groepsgerichte ondersteuning"),
    ("10", "Overige maatwerkarrangementen"),
    ("11", "Rolstoelen"),
    ("12", "Vervoervoorzieningen"),
    ("13", "Woonvoorzieningen"),
    ("14", "Overige hulpmiddelen"),
    ("15", "Beschermd wonen"),
    ("16", "Opvang"),
    ("17", "Spoedopvang"),
    ("18", "Overige beschermd wonen en opvang"),
)

# iJw (JZ020): 31–38 and 40–55; the meanings are not in our sources.
PRODUCT_CATEGORIE_IJW: Final = tuple(
    Code(f"{n}", "Jeugdwet-productcategorie (betekenis: officiële codelijst JZ020)")
    for n in (*range(31, 39), *range(40, 56))
)

EENHEID: Final = _codes(
    ("01", "Minuut"),
    ("04", "Uur"),
    ("14", "Etmaal"),
    ("16", "Dagdeel (4 uur)"),
    ("82", "Stuks (output)"),
    ("83", "Euro's"),
    ("84", "Stuks (inspanning)"),
)

FREQUENTIE: Final = _codes(
    ("1", "Per dag"),
    ("2", "Per week"),
    ("4", "Per maand"),
    ("6", "Totaal binnen geldigheidsduur toewijzing"),
)

DEBET_CREDIT: Final = _codes(("C", "Credit"), ("D", "Debet"))

GESLACHT: Final = _codes(("0", "Onbekend"), ("1", "Mannelijk"), ("2", "Vrouwelijk"))

DATUM_GEBRUIK: Final = _codes(
    ("1", "Dag onbekend; alleen maand en jaar gebruiken"),
    ("2", "Dag en maand onbekend; alleen jaar gebruiken"),
    ("3", "Dag, maand en jaar onbekend; onbekende datum"),
)

# domain.md only gives the range 1–6; the meanings were not in our sources.
NAAM_GEBRUIK: Final = tuple(
    Code(str(n), "Code van de aanduiding naamgebruik (betekenis: officiële codelijst)")
    for n in range(1, 7)
)


def _unexplained(values: tuple[str, ...], what: str) -> tuple[Code, ...]:
    """A list whose values the published schema gives but whose meanings our sources lack."""
    return tuple(Code(v, f"{what} (betekenis: officiële codelijst)") for v in values)


AANDUIDING_WOONADRES: Final = _codes(
    ("AB", "Aan boord"),
    ("BY", "Bij"),
    ("TO", "Tegenover"),
    ("WW", "Woonwagen"),
)

COMMUNICATIEVORM: Final = (
    Code("1", "Tolk taal (CD007: dan is Taal gevuld)"),
    *_unexplained(("2", "3"), "Vorm van communicatie"),
)

JURIDISCHE_STATUS: Final = _unexplained(
    ("01", "02", "03", "04", "05", "11", "12"), "Juridische status"
)

WETTELIJKE_VERTEGENWOORDIGING: Final = _unexplained(
    ("06", "07", "08", "09", "10"), "Wettelijke vertegenwoordiging"
)

SOORT_RELATIE: Final = _unexplained(tuple(f"{n:02d}" for n in range(3, 26)), "Soort relatie")

TYPE_VERWIJZER: Final = _unexplained(("01", "02", "03", "04", "05", "06", "08"), "Type verwijzer")

REDEN_VERZOEK: Final = _unexplained(("1", "2"), "Reden van het verzoek")

REDEN_AFWIJZING_VERZOEK: Final = (
    *_unexplained(tuple(str(n) for n in range(1, 8)), "Reden afwijzing verzoek"),
    Code("8", "Woonplaatsbeginsel (JW319: dan is Woonplaatsbeginsel gevuld, TR377)"),
    *_unexplained(("9",), "Reden afwijzing verzoek"),
)

# ISO 3166-1 alfa-2, as the published basisschema lists them.
_LANDEN: Final = (
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ "
    "BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM "
    "DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS "
    "GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN "
    "KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ "
    "MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM "
    "PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV "
    "SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI "
    "VN VU WF WS YE YT ZA ZM ZW"
)
LAND_CODE: Final = tuple(Code(v, "") for v in _LANDEN.split())

ADRES_SOORT: Final = _codes(
    ("01", "BRP-adres"),
    ("02", "Correspondentie-adres"),
    ("03", "Verblijfadres"),
    ("04", "Tijdelijk verblijfadres"),
)

VERZOEK_ANTWOORD: Final = _codes(("1", "Verzoek afgewezen"), ("2", "Verzoek in onderzoek"))

JA_NEE: Final = _codes(("1", "Ja"), ("2", "Nee"))

# Every code named in domain.md §4.2. Codes whose text we do not have carry their rule.
RETOUR_CODE: Final = _codes(
    ("0001", "Bericht is afgekeurd om technische redenen"),
    ("0200", "Geen opmerking over deze berichtklasse"),
    ("0233", "Berichtklasse is niet beoordeeld"),
    ("0611", "Tarief wijkt af van het contract (TR418)"),
    ("8001", "Declaratie is volledig toegewezen"),
    ("8017", "Creditregel zonder bijbehorende debetregel (TR323)"),
    ("8021", "ReferentieNummer is al eerder aangeleverd (TR314)"),
    ("8187", "Prestatie hoort niet bij de cliënt (TR304)"),
    ("8214", "Periode sluit niet aan (TR318)"),
    ("8848", "Dagtekening moet kleiner dan of gelijk aan de systeemdatum zijn (TR135)"),
    ("9019", "Regiebericht kan niet gekoppeld worden aan een toewijzing (TR019)"),
    ("9056", "Identificatie moet per berichtsoort uniek zijn voor de verzendende partij (TR056)"),
    ("9063", "Verwijdering zonder eerdere aanlevering met dezelfde logische sleutel (TR063)"),
    ("9069", "Geen actueel startbericht met dezelfde sleutel (TR382)"),
    ("9071", "Start kan niet verwijderd worden: er is al een stop (TR071)"),
    ("9074", "Eerste aanlevering met een sleutel die al eerder ontvangen is (TR074)"),
    ("9307", "Buiten de toewijzingsperiode (TR307)"),
    ("9308", "Buiten de toewijzingsperiode (TR308)"),
    ("9319", "Zie regel TR319"),
    ("9321", "Zie regel TR321"),
    ("9322", "Zie regel TR322"),
    ("9326", "Nieuwe start terwijl de actuele levering nog niet gestopt is (TR326)"),
    ("9332", "Zie regel TR332"),
    ("9333", "Zie regel TR333"),
    ("9338", "Zie regel TR338"),
    ("9339", "Zie regel TR339"),
    ("9340", "Zie regel TR340"),
    ("9341", "Zie regel TR341"),
    ("9346", "Zie regel TR346"),
    ("9347", "Zie regel TR347"),
    ("9349", "Zie regel TR349"),
    ("9350", "Zie regel TR350"),
    ("9351", "Zie regel TR351"),
    ("9355", "Zie regel TR355"),
    ("9357", "Zie regel TR357"),
    ("9359", "Zie regel TR359"),
    ("9360", "Zie regel TR360"),
    ("9361", "Zie regel TR361"),
    ("9365", "Zie regel TR365"),
    ("9366", "Zie regel TR366"),
    ("9367", "Zie regel TR367"),
    ("9369", "Zie regel TR369"),
    ("9373", "Zie regel TR373"),
    ("9374", "Zie regel TR374"),
    ("9375", "Zie regel TR375"),
    ("9379", "Zie regel TR379"),
    ("9384", "Zie regel TR384"),
    ("9385", "Zie regel TR385"),
    ("9387", "Zie regel TR387"),
    ("9388", "Zie regel TR388"),
    ("9389", "Zie regel TR389"),
    ("9390", "Zie regel TR390"),
    ("9411", "Zie regel TR411"),
    ("9412", "Zie regel TR412"),
    ("9413", "Tweede tijdelijke stop zonder tussenliggende start (TR413)"),
    ("9414", "Einddatum ligt voor de Einddatum van de actuele stop (TR414)"),
    ("9415", "Er bestaat al een definitieve stop (TR415)"),
    ("S300", "Gemeentecode komt niet voor in de CBS-lijst (TR378)"),
    ("S329", "ProductCode hoort niet bij ProductCategorie (TR381)"),
)
