"""Builds small 323 and 325 bodies for the declaratie and prestatie rule tests."""

from __future__ import annotations

import re

from lxml import etree

from hub.domain.findings import Finding, Level

from ._xml import VALID_BSN, message, of, run

_AMOUNT = re.compile(r"<b:Bedrag>(\d+)</b:Bedrag><b:DebetCredit>([CD])</b:DebetCredit>")


def prestatie(
    ref: str = "P1",
    *,
    vorig: str | None = None,
    nummer: str = "300201",
    categorie: str = "02",
    code: str = "02A04",
    begin: str = "2025-03-01",
    end: str = "2025-03-31",
    volume: str = "10",
    eenheid: str = "04",
    tarief: str | None = "5000",
    bedrag: int = 50000,
    dc: str = "D",
    retour: str | None = None,
) -> str:
    """A Prestatie; `retour` adds its RetourCodes (as in a 325)."""
    return (
        f"<Prestatie><ProductReferentie><b:ReferentieNummer>{ref}</b:ReferentieNummer>"
        + (f"<b:VorigReferentieNummer>{vorig}</b:VorigReferentieNummer>" if vorig else "")
        + f"</ProductReferentie><ToewijzingNummer>{nummer}</ToewijzingNummer>"
        f"<ProductCategorie>{categorie}</ProductCategorie><ProductCode>{code}</ProductCode>"
        f"<ProductPeriode><b:Begindatum>{begin}</b:Begindatum><b:Einddatum>{end}</b:Einddatum>"
        f"</ProductPeriode><GeleverdVolume>{volume}</GeleverdVolume><Eenheid>{eenheid}</Eenheid>"
        + (f"<ProductTarief>{tarief}</ProductTarief>" if tarief is not None else "")
        + f"<IngediendBedrag><b:Bedrag>{bedrag}</b:Bedrag><b:DebetCredit>{dc}</b:DebetCredit>"
        "</IngediendBedrag>"
        + (f"<RetourCodes><RetourCode>{retour}</RetourCode></RetourCodes>" if retour else "")
        + "</Prestatie>"
    )


def _signed_sum(xml: str) -> int:
    return sum(int(v) * (1 if dc == "D" else -1) for v, dc in _AMOUNT.findall(xml))


def _total(tag: str, value: int, dc: str | None = None) -> str:
    sign = dc or ("C" if value < 0 else "D")
    return (
        f"<{tag}><b:TotaalBedrag>{abs(value)}</b:TotaalBedrag>"
        f"<b:DebetCredit>{sign}</b:DebetCredit></{tag}>"
    )


def _clienten(clients: tuple[tuple[str, ...], ...], client_codes: str = "") -> str:
    return "".join(
        f"<Client><Bsn>{VALID_BSN}</Bsn><Prestaties>{''.join(lines)}</Prestaties>"
        f"{client_codes}</Client>"
        for lines in clients
    )


def declaratie(
    *clients: tuple[str, ...],
    begin: str = "2025-03-01",
    end: str = "2025-03-31",
    dagtekening: str = "2025-04-05",
    total: int | None = None,
) -> str:
    """A 323 Declaratie body; the total defaults to the signed sum of the lines."""
    body = _clienten(clients)
    return (
        "<Declaratie><DeclaratieNummer>D1</DeclaratieNummer><DeclaratiePeriode>"
        f"<b:Begindatum>{begin}</b:Begindatum><b:Einddatum>{end}</b:Einddatum>"
        f"</DeclaratiePeriode><DeclaratieDagtekening>{dagtekening}</DeclaratieDagtekening>"
        + _total("TotaalIngediendBedrag", _signed_sum(body) if total is None else total)
        + f"<Clienten>{body}</Clienten></Declaratie>"
    )


def antwoord(
    *clients: tuple[str, ...],
    ingediend: int,
    toegekend: int,
    codes: tuple[str, ...] = ("0200",),
    toegekend_dc: str | None = None,
) -> str:
    """A 325 DeclaratieAntwoord body with these (rejected) Prestaties per client."""
    own = "".join(f"<RetourCode>{c}</RetourCode>" for c in codes)
    ok = "<RetourCodes><RetourCode>0200</RetourCode></RetourCodes>"
    clienten = f"<Clienten>{_clienten(clients, ok)}</Clienten>" if clients else ""
    return (
        "<DeclaratieAntwoord><DeclaratieNummer>D1</DeclaratieNummer>"
        + _total("TotaalIngediendBedrag", ingediend)
        + _total("TotaalToegekendBedrag", toegekend, toegekend_dc)
        + f"{clienten}<RetourCodes>{own}</RetourCodes></DeclaratieAntwoord>"
    )


def wmo323(body: str, *, dagtekening: str = "2025-04-05") -> etree._Element:
    return message("wmo323", body, dagtekening=dagtekening)


def jw323(body: str, *, dagtekening: str = "2025-04-05") -> etree._Element:
    return message("jw323", body, standard="ijw", dagtekening=dagtekening)


def wmo325(body: str, *, dagtekening: str = "2025-05-16") -> etree._Element:
    return message("wmo325", body, dagtekening=dagtekening)


def jw325(body: str, *, dagtekening: str = "2025-05-16") -> etree._Element:
    return message("jw325", body, standard="ijw", dagtekening=dagtekening)


def findings(root: etree._Element, rule: str) -> list[Finding]:
    """The findings of `rule`, after checking what every finding of it must be."""
    found = of(run(root), rule)
    for finding in found:
        assert (finding.retourcode, finding.level) == ("0001", Level.XSLT)
        assert VALID_BSN not in finding.sentence
        assert finding.location.startswith("/Bericht/")
    return found


def one(root: etree._Element, rule: str) -> Finding:
    (finding,) = findings(root, rule)
    return finding


PRESTATIE = "/Bericht/Declaratie/Clienten/Client/Prestaties/Prestatie"
ANTWOORD = "/Bericht/DeclaratieAntwoord"
