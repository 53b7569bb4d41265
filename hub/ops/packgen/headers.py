"""Header sequences of heen-, retour- and antwoordberichten (domain.md §2.1, §2.2, §2.10)."""

from __future__ import annotations

from hub.domain.messages import CATALOGUE, Direction, MessageType, Role
from hub.ops.packgen.model import Complex, Field, many, opt

RETOUR_CODES_TYPE = "RetourCodes"

_PARTY_TYPE = {
    Role.GEMEENTE: "LDT_Gemeente",
    Role.AANBIEDER: "LDT_AgbCode",
    Role.CAK: "LDT_CakCode",
}


def retour_codes_type() -> Complex:
    """The RetourCodes wrapper every retour uses, in the header and in every class."""
    return Complex(RETOUR_CODES_TYPE, (many("RetourCode", "LDT_RetourCode"),))


def _parties(mt: MessageType) -> tuple[Role, Role]:
    # A retour copies Afzender/Ontvanger unchanged from its heenbericht (IV028), so its types are
    # those of the heenbericht. The 325 is a message of its own with the gemeente as Afzender
    # and its own BerichtIdentificatie; it points back at the 323 via DeclaratieIdentificatie.
    if mt.direction is Direction.RETOUR and mt.answers is not None:
        heen = CATALOGUE[mt.answers]
        return heen.sender, heen.receiver
    return mt.sender, mt.receiver


def _common(mt: MessageType, versie: int, subversie: int) -> list[Field]:
    sender, receiver = _parties(mt)
    return [
        # The published header fixes these three by a local pattern, not by @fixed.
        Field("BerichtCode", "LDT_BerichtCode", patterns=(mt.bericht_code,)),
        Field("BerichtVersie", "LDT_BerichtVersie", patterns=(str(versie),)),
        Field("BerichtSubversie", "LDT_BerichtSubversie", patterns=(str(subversie),)),
        Field("Afzender", _PARTY_TYPE[sender]),
        Field("Ontvanger", _PARTY_TYPE[receiver]),
        Field("BerichtIdentificatie", "CDT_BerichtIdentificatie"),
        Field("XsdVersie", "CDT_XsdVersie"),
    ]


def header_fields(mt: MessageType, versie: int, subversie: int) -> tuple[Field, ...]:
    """The Header sequence of `mt`."""
    fields = _common(mt, versie, subversie)
    if mt.direction is Direction.RETOUR:
        fields += [
            Field("IdentificatieRetour", "LDT_IdentificatieBericht"),
            Field("DagtekeningRetour", "LDT_Datum"),
            opt("XsltVersie", "LDT_Versie", "Verplicht bij afkeur op grond van de XSLT's (IV028)."),
            Field("XsdVersieRetour", "CDT_XsdVersie"),
            opt("RetourCodes", RETOUR_CODES_TYPE),
        ]
    elif mt.direction is Direction.ANTWOORD:
        fields += [
            Field(
                "DeclaratieIdentificatie",
                "CDT_BerichtIdentificatie",
                doc="BerichtIdentificatie van de declaratie die beantwoord wordt (TR337).",
            ),
            opt("XsltVersie", "LDT_Versie"),
            Field("XsdVersieDeclaratie", "CDT_XsdVersie"),
            Field("RetourCodes", RETOUR_CODES_TYPE),
        ]
    return tuple(fields)
