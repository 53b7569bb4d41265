"""TR358 (total = signed sum of lines) and CS325 (amount 0 is debet)."""

from __future__ import annotations

from ._xml import message, of, run


def _prestatie(bedrag: int, dc: str = "D") -> str:
    return (
        "<Prestatie><ToewijzingNummer>1</ToewijzingNummer><IngediendBedrag>"
        f"<b:Bedrag>{bedrag}</b:Bedrag><b:DebetCredit>{dc}</b:DebetCredit></IngediendBedrag>"
        "</Prestatie>"
    )


def _declaratie(total: int, total_dc: str, *clients: tuple[str, ...]) -> str:
    body = "".join(
        f"<Client><Bsn>174285917</Bsn><Prestaties>{''.join(lines)}</Prestaties></Client>"
        for lines in clients
    )
    return (
        "<Declaratie><DeclaratieNummer>D1</DeclaratieNummer><TotaalIngediendBedrag>"
        f"<b:TotaalBedrag>{total}</b:TotaalBedrag><b:DebetCredit>{total_dc}</b:DebetCredit>"
        f"</TotaalIngediendBedrag><Clienten>{body}</Clienten></Declaratie>"
    )


def test_tr358_flags_a_total_that_does_not_add_up() -> None:
    body = _declaratie(1000, "D", (_prestatie(600), _prestatie(300)))
    (finding,) = of(run(message("wmo323", body), "WMO323"), "TR358")
    assert finding.retourcode == "0001"
    assert finding.location == "/Bericht/Declaratie/TotaalIngediendBedrag"
    assert "1000 D" in finding.sentence
    assert "900 D" in finding.sentence


def test_tr358_passes_a_signed_sum_over_clients() -> None:
    body = _declaratie(500, "D", (_prestatie(600), _prestatie(300, "C")), (_prestatie(200),))
    assert of(run(message("jw323", body, standard="ijw"), "JW323"), "TR358") == []


def test_tr358_handles_a_credit_total() -> None:
    body = _declaratie(250, "C", (_prestatie(100), _prestatie(350, "C")))
    assert of(run(message("wmo323", body), "WMO323"), "TR358") == []
    wrong_sign = _declaratie(250, "D", (_prestatie(100), _prestatie(350, "C")))
    assert len(of(run(message("wmo323", wrong_sign), "WMO323"), "TR358")) == 1


def test_cs325_flags_a_zero_amount_marked_credit() -> None:
    body = _declaratie(0, "D", (_prestatie(0, "C"),))
    (finding,) = of(run(message("wmo323", body), "WMO323"), "CS325")
    assert finding.retourcode == "0001"
    assert finding.location == (
        "/Bericht/Declaratie/Clienten/Client/Prestaties/Prestatie/IngediendBedrag/DebetCredit"
    )


def test_cs325_flags_a_zero_total_marked_credit() -> None:
    body = _declaratie(0, "C", (_prestatie(0),))
    (finding,) = of(run(message("wmo323", body), "WMO323"), "CS325")
    assert finding.location == "/Bericht/Declaratie/TotaalIngediendBedrag/DebetCredit"


def test_cs325_passes_zero_debet_and_nonzero_credit() -> None:
    body = _declaratie(100, "C", (_prestatie(0), _prestatie(100, "C")))
    assert of(run(message("wmo323", body), "WMO323"), "CS325") == []
