"""The declaratie's history rules (323, 325 and TR385 on a 301): id, retourcode and text.

The checks that raise them are in hub.domain.history.declaratie (323, and the glue to the
history engine) and hub.domain.history.declaratie_antwoord (325, TR385).
"""

from __future__ import annotations

from typing import Final

from hub.domain.history.rule import HistoryRule
from hub.domain.rules.base import names

_323: Final = names(323)
_325: Final = names(325)
EURO: Final = "83"
DELETED: Final = "13"  # RedenWijziging: verwijderd


def _rule(rule_id: str, code: str, text: str, messages: frozenset[str] = _323) -> HistoryRule:
    return HistoryRule(rule_id, code, text, messages)


TR333: Final = _rule("TR333", "9333", "DeclaratieNummer moet uniek zijn per aanbieder")
TR318: Final = _rule("TR318", "8214", "DeclaratiePeriode moet na de vorige declaratie liggen")
TR314: Final = _rule("TR314", "8021", "ReferentieNummer moet uniek zijn per aanbieder")
TR338: Final = _rule("TR338", "9338", "ToewijzingNummer moet een toewijzing aan de aanbieder zijn")
TR304: Final = _rule(
    "TR304", "8187", "De toewijzing hoort bij de client van de prestatie", names(323, 325)
)
TR384: Final = _rule("TR384", "9384", "Geen prestatie op een verwijderde toewijzing")
TR307: Final = _rule("TR307", "9307", "ProductPeriode begint niet voor de toewijzing")
TR308: Final = _rule("TR308", "9308", "ProductPeriode eindigt niet na de toewijzing")
TR339: Final = _rule("TR339", "9339", "ProductCategorie gelijk aan die van de toewijzing")
TR340: Final = _rule("TR340", "9340", "ProductCode gelijk aan die van de toewijzing")
TR341: Final = _rule("TR341", "9341", "Eenheid gelijk aan die van de toewijzing")
TR387: Final = _rule("TR387", "9387", "ProductPeriode begint op de eerste dag van de maand")
TR388: Final = _rule("TR388", "9388", "ProductPeriode eindigt op de laatste dag van de maand")
TR319: Final = _rule("TR319", "9319", "ProductPeriode ligt niet na de DeclaratiePeriode")
TR389: Final = _rule("TR389", "9389", "Eerdere debet voor dezelfde periode moet gecrediteerd zijn")
TR323: Final = _rule("TR323", "8017", "Een credit verwijst naar een eerdere geaccepteerde debet")
TR390: Final = _rule("TR390", "9390", "Een debet mag maar een keer gecrediteerd worden")
TR321: Final = _rule("TR321", "9321", "GeleverdVolume past in de omvang voor de ProductPeriode")
TR322: Final = _rule("TR322", "9322", "Totaal GeleverdVolume past in de toegewezen omvang")
TR369: Final = _rule("TR369", "9369", "Totaal gedeclareerd bedrag past in het budget")
# A 325 gets no retour: TR337, TR371 and TR376 have no retourcode ("" below); the hub refuses
# such a 325 (dead letter), see hub/domain/decide/link.py.
TR337: Final = _rule("TR337", "", "DeclaratieIdentificatie is die van een ontvangen 323", _325)
TR371: Final = _rule("TR371", "", "XsdVersieDeclaratie is die van de 323", _325)
TR376: Final = _rule("TR376", "", "DeclaratieNummer is dat van de 323", _325)
TR366: Final = _rule("TR366", "9366", "Een teruggemelde prestatie komt voor in de 323", _325)
TR367: Final = _rule(
    "TR367", "9367", "Een teruggemelde prestatie is gelijk aan die in de 323", _325
)
TR385: Final = _rule(
    "TR385", "9385", "Geen verwijdering bij goedgekeurde, niet gecrediteerde prestaties", names(301)
)

# In the order a Prestatie's findings are reported.
DECLARATIE_RULES: Final[tuple[HistoryRule, ...]] = (
    TR333, TR318, TR314, TR338, TR304, TR384, TR307, TR308, TR339, TR340, TR341, TR387, TR388,
    TR319, TR389, TR323, TR390, TR321, TR322, TR369, TR337, TR371, TR376, TR366, TR367, TR385,
)  # fmt: skip
