"""Bodies of the iEb messages WMO405/407: the hub's own model (no official definition found)."""

from __future__ import annotations

from collections.abc import Callable

from hub.ops.packgen.model import Body, Complex, Field, many, opt

# Modelled on the iStandaarden conventions and on the iWlz CAK messages (domain.md §1.4, §2.12,
# §6.3): one Client per message, a wrapper with one class per melding, a UUID key so a later
# change or delete (StatusAanlevering 2/3) can point at the melding it corrects.


def _eigen_bijdrage(doc: str) -> Body:
    melding = Complex(
        "EigenBijdrage",
        (
            Field("MeldingID", "LDT_UUID", doc="Sleutel van de melding; blijft gelijk bij 2/3."),
            opt("ProductCategorie", "LDT_ProductCategorie"),
            opt("Begindatum", "LDT_Datum", "Begin van de eigen-bijdrageperiode (start)."),
            opt("Einddatum", "LDT_Datum", "Einde van de eigen-bijdrageperiode (stop)."),
            opt(
                "Kostprijs",
                "LDT_Bedrag",
                "Kostprijs in centen; alleen voor hulpmiddelen en woningaanpassingen.",
            ),
            Field(
                "StatusAanlevering",
                "LDT_StatusAanlevering",
                doc="1 nieuw, 2 wijziging, 3 verwijderen.",
            ),
        ),
        is_class=True,
        doc=doc,
    )
    client = Complex(
        "Client",
        (
            Field("Bsn", "LDT_BurgerServicenummer"),
            Field("Geboortedatum", "CDT_Geboortedatum"),
            Field("EigenBijdragen", "EigenBijdragen"),
        ),
        is_class=True,
    )
    return Body(
        (Field("Client", "Client"),),
        (client, Complex("EigenBijdragen", (many("EigenBijdrage", "EigenBijdrage"),)), melding),
    )


def abonnementstarief() -> Body:
    """WMO405: start and stop of the abonnementstarief, per person."""
    return _eigen_bijdrage("Start of stop van het abonnementstarief (per persoon).")


def beschermd_wonen() -> Body:
    """WMO407: start and stop of the income-dependent bijdrage for beschermd wonen."""
    return _eigen_bijdrage("Start of stop van de eigen bijdrage beschermd wonen.")


IEB_HEEN_BODIES: dict[int, Callable[[], Body]] = {
    405: abonnementstarief,
    407: beschermd_wonen,
}
