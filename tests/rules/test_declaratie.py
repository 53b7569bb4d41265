"""Declaration-level rules of the 323 and 325: totals, periods, keys across Prestaties."""

from __future__ import annotations

from ._declaratie_xml import (
    ANTWOORD,
    PRESTATIE,
    antwoord,
    declaratie,
    findings,
    jw323,
    jw325,
    one,
    prestatie,
    wmo323,
    wmo325,
)
from ._xml import message

# TR358: the total equals the signed sum of the lines.


def test_tr358_flags_a_total_that_does_not_add_up() -> None:
    body = declaratie((prestatie("P1", bedrag=600), prestatie("P2", bedrag=300)), total=1000)
    finding = one(wmo323(body), "TR358")
    assert finding.location == "/Bericht/Declaratie/TotaalIngediendBedrag"
    assert "1000 D" in finding.sentence
    assert "900 D" in finding.sentence


def test_tr358_passes_a_signed_sum_over_clients() -> None:
    body = declaratie(
        (prestatie("P1", bedrag=600), prestatie("P2", bedrag=300, dc="C", vorig="X")),
        (prestatie("P3", bedrag=200),),
        total=500,
    )
    assert findings(jw323(body), "TR358") == []


def test_tr358_handles_a_credit_total() -> None:
    lines = (prestatie("P1", bedrag=100), prestatie("P2", bedrag=350, dc="C", vorig="X"))
    assert findings(wmo323(declaratie(lines, total=-250)), "TR358") == []
    wrong_sign = declaratie(lines, total=250)
    assert len(findings(wmo323(wrong_sign), "TR358")) == 1


# CS325: an amount of 0 is debet.


def test_cs325_flags_a_zero_amount_marked_credit() -> None:
    body = declaratie((prestatie(bedrag=0, dc="C", vorig="X"),), total=0)
    finding = one(wmo323(body), "CS325")
    assert finding.location == PRESTATIE + "/IngediendBedrag/DebetCredit"


def test_cs325_flags_a_zero_total_marked_credit() -> None:
    body = declaratie((prestatie(bedrag=0),), total=0).replace(
        "<b:TotaalBedrag>0</b:TotaalBedrag><b:DebetCredit>D",
        "<b:TotaalBedrag>0</b:TotaalBedrag><b:DebetCredit>C",
    )
    finding = one(wmo323(body), "CS325")
    assert finding.location == "/Bericht/Declaratie/TotaalIngediendBedrag/DebetCredit"


def test_cs325_flags_a_zero_toegekend_total_marked_credit_in_a_325() -> None:
    body = antwoord(ingediend=0, toegekend=0, toegekend_dc="C", codes=("8001",))
    finding = one(jw325(body), "CS325")
    assert finding.location == ANTWOORD + "/TotaalToegekendBedrag/DebetCredit"


def test_cs325_passes_zero_debet_and_nonzero_credit() -> None:
    body = declaratie((prestatie("P1", bedrag=0), prestatie("P2", bedrag=100, dc="C", vorig="X")))
    assert findings(wmo323(body), "CS325") == []


# TR137: a closed period ends on or after its start, and not after the Dagtekening.


def test_tr137_flags_a_declaratieperiode_ending_before_it_starts() -> None:
    body = declaratie((prestatie(),), begin="2025-03-31", end="2025-03-01")
    finding = one(wmo323(body), "TR137")
    assert finding.location == "/Bericht/Declaratie/DeclaratiePeriode/Einddatum"
    assert "2025-03-01" in finding.sentence


def test_tr137_flags_a_productperiode_ending_after_the_dagtekening() -> None:
    body = declaratie((prestatie(begin="2025-04-01", end="2025-04-30"),))
    (finding,) = [f for f in findings(jw323(body), "TR137") if "ProductPeriode" in f.location]
    assert finding.location == PRESTATIE + "/ProductPeriode/Einddatum"
    assert "2025-04-05" in finding.sentence


def test_tr137_passes_a_period_ending_on_the_dagtekening() -> None:
    body = declaratie((prestatie(),), dagtekening="2025-03-31")
    assert findings(wmo323(body, dagtekening="2025-03-31"), "TR137") == []


def test_tr137_checks_the_productperiode_of_a_325() -> None:
    late = antwoord((prestatie(end="2025-06-30", retour="9307"),), ingediend=50000, toegekend=0)
    finding = one(wmo325(late), "TR137")
    assert (
        finding.location
        == ANTWOORD + "/Clienten/Client/Prestaties/Prestatie/ProductPeriode/Einddatum"
    )
    fine = antwoord((prestatie(retour="9307"),), ingediend=50000, toegekend=0)
    assert findings(wmo325(fine), "TR137") == []


# CS100: declaration dates lie on or after 2021-01-01.


def test_cs100_flags_a_productperiode_before_2021() -> None:
    body = declaratie((prestatie(begin="2020-12-01", end="2020-12-31"),))
    found = findings(wmo323(body), "CS100")
    assert [f.location for f in found] == [
        PRESTATIE + "/ProductPeriode/Begindatum",
        PRESTATIE + "/ProductPeriode/Einddatum",
    ]


def test_cs100_flags_a_declaratieperiode_before_2021() -> None:
    body = declaratie((prestatie(),), begin="2020-12-01", end="2021-01-31")
    finding = one(jw323(body), "CS100")
    assert finding.location == "/Bericht/Declaratie/DeclaratiePeriode/Begindatum"


def test_cs100_passes_january_2021() -> None:
    body = declaratie(
        (prestatie(begin="2021-01-01", end="2021-01-31"),), begin="2021-01-01", end="2021-01-31"
    )
    assert findings(wmo323(body), "CS100") == []


# CS340: the DeclaratiePeriode is one whole calendar month.


def test_cs340_flags_a_period_not_starting_on_the_first() -> None:
    body = declaratie((prestatie(),), begin="2025-03-02", end="2025-03-31")
    finding = one(wmo323(body), "CS340")
    assert finding.location == "/Bericht/Declaratie/DeclaratiePeriode"
    assert "2025-03-01 – 2025-03-31" in finding.sentence


def test_cs340_flags_a_period_not_ending_on_the_last_day() -> None:
    body = declaratie((prestatie(),), begin="2025-03-01", end="2025-03-30")
    assert len(findings(jw323(body), "CS340")) == 1
    two_months = declaratie((prestatie(),), begin="2025-02-01", end="2025-03-31")
    assert len(findings(jw323(two_months), "CS340")) == 1


def test_cs340_passes_whole_months_including_leap_february_and_december() -> None:
    for begin, end in (("2024-02-01", "2024-02-29"), ("2024-12-01", "2024-12-31")):
        body = declaratie((prestatie(),), begin=begin, end=end)
        assert findings(wmo323(body), "CS340") == []


def test_cs340_reads_december_of_the_last_year() -> None:
    body = declaratie((prestatie(),), begin="9999-12-01", end="9999-12-31")
    assert findings(wmo323(body), "CS340") == []


# TR342: the returned (rejected) Prestaties account for what was not granted.


def test_tr342_passes_when_the_rejected_lines_make_up_the_difference() -> None:
    body = antwoord(
        (prestatie("P2", bedrag=37800, retour="9307"),), ingediend=187800, toegekend=150000
    )
    assert findings(wmo325(body), "TR342") == []


def test_tr342_flags_a_difference_the_rejected_lines_do_not_explain() -> None:
    body = antwoord(
        (prestatie("P2", bedrag=30000, retour="9307"),), ingediend=187800, toegekend=150000
    )
    finding = one(jw325(body), "TR342")
    assert finding.location == ANTWOORD + "/TotaalToegekendBedrag"
    assert "37800 D" in finding.sentence
    assert "30000 D" in finding.sentence


def test_tr342_passes_a_fully_granted_declaratie_without_lines() -> None:
    body = antwoord(ingediend=187800, toegekend=187800, codes=("8001",))
    assert findings(wmo325(body), "TR342") == []
    short = antwoord(ingediend=187800, toegekend=180000, codes=("8001",))
    assert len(findings(wmo325(short), "TR342")) == 1


def test_tr342_signs_rejected_credit_lines() -> None:
    body = antwoord(
        (prestatie("P2", bedrag=5000, dc="C", vorig="P0", retour="8017"),),
        ingediend=45000,
        toegekend=50000,
    )
    assert findings(wmo325(body), "TR342") == []


def test_tr342_flags_a_rejected_declaratieantwoord_that_returns_lines() -> None:
    body = antwoord((prestatie(retour="0233"),), ingediend=50000, toegekend=0, codes=("9056",))
    finding = one(wmo325(body), "TR342")
    assert finding.location == ANTWOORD + "/Clienten"


def test_tr342_flags_a_rejected_declaratieantwoord_that_grants_an_amount() -> None:
    body = antwoord(ingediend=50000, toegekend=50000, codes=("9056",))
    finding = one(jw325(body), "TR342")
    assert finding.location == ANTWOORD + "/TotaalToegekendBedrag"


def test_tr342_passes_a_rejected_declaratieantwoord_with_nothing_granted() -> None:
    body = antwoord(ingediend=50000, toegekend=0, codes=("9056",))
    assert findings(wmo325(body), "TR342") == []


def test_tr342_says_nothing_when_the_class_was_not_evaluated() -> None:
    body = antwoord(ingediend=50000, toegekend=10000, codes=("0233",))
    assert findings(wmo325(body), "TR342") == []


def test_tr342_says_nothing_without_a_declaratieantwoord() -> None:
    assert findings(message("wmo325", ""), "TR342") == []


# TR315: a VorigReferentieNummer is credited once per message.


def test_tr315_flags_a_second_credit_of_the_same_prestatie() -> None:
    body = declaratie(
        (prestatie("C1", vorig="P0", dc="C"),), (prestatie("C2", vorig="P0", dc="C"),)
    )
    finding = one(wmo323(body), "TR315")
    assert finding.location == (
        "/Bericht/Declaratie/Clienten/Client[2]/Prestaties/Prestatie/ProductReferentie/"
        "VorigReferentieNummer"
    )
    assert "P0" in finding.sentence


def test_tr315_passes_credits_of_different_prestaties() -> None:
    body = declaratie((prestatie("C1", vorig="P0", dc="C"), prestatie("C2", vorig="P9", dc="C")))
    assert findings(jw323(body), "TR315") == []


# TR316: a debet is not credited in the message that carries it.


def test_tr316_flags_a_credit_of_a_debet_in_the_same_message() -> None:
    body = declaratie((prestatie("P1"), prestatie("C1", vorig="P1", dc="C")))
    finding = one(wmo323(body), "TR316")
    assert finding.location == (
        "/Bericht/Declaratie/Clienten/Client/Prestaties/Prestatie[2]/ProductReferentie/"
        "VorigReferentieNummer"
    )


def test_tr316_passes_a_credit_of_an_earlier_message() -> None:
    body = declaratie((prestatie("P1"), prestatie("C1", vorig="P0", dc="C")))
    assert findings(jw323(body), "TR316") == []


def test_tr316_does_not_count_a_prestaties_own_referentienummer() -> None:
    body = declaratie((prestatie("P0", vorig="P0", dc="C"),))
    assert findings(wmo323(body), "TR316") == []


# TR416: one debet Prestatie per toewijzing, product and period in the message.


def test_tr416_flags_a_second_debet_for_the_same_product_and_period_across_clients() -> None:
    body = declaratie((prestatie("P1"),), (prestatie("P2", nummer="0300201"),))
    finding = one(wmo323(body), "TR416")
    assert finding.location == "/Bericht/Declaratie/Clienten/Client[2]/Prestaties/Prestatie"
    assert "300201" in finding.sentence


def test_tr416_passes_a_credit_beside_its_debet_and_other_periods() -> None:
    body = declaratie(
        (
            prestatie("P1"),
            prestatie("C1", vorig="P0", dc="C"),
            prestatie("P2", begin="2025-02-01", end="2025-02-28"),
            prestatie("P3", code="02A05"),
        )
    )
    assert findings(jw323(body), "TR416") == []


# A valid declaratie and its answer are quiet under every declaratie and prestatie rule.

_OURS = ("TR137", "CS100", "CS340", "TR358", "TR342", "CS325", "TR315", "TR316", "TR416")
_LINES = ("TR335", "CS337", "CS339", "CD060", "CD087")


def test_a_valid_declaratie_and_its_answer_raise_none_of_these_rules() -> None:
    lines = (
        prestatie("P1"),
        prestatie("P2", nummer="300202", eenheid="83", tarief=None, volume="1500", bedrag=1500),
        prestatie("C1", vorig="P0", dc="C", begin="2025-02-01", end="2025-02-28"),
        prestatie("P3", begin="2025-02-01", end="2025-02-28"),
    )
    body = declaratie(lines, (prestatie("P4", nummer="300311"),))
    # The 323 adds up to 101500 D; the 325 rejects the euro line P2 and grants the rest.
    rejected = prestatie(
        "P2", nummer="300202", eenheid="83", tarief=None, volume="1500", bedrag=1500, retour="9307"
    )
    answer = antwoord((rejected,), ingediend=101500, toegekend=100000)
    for root in (wmo323(body), jw323(body), wmo325(answer), jw325(answer)):
        for rule in _OURS + _LINES:
            assert findings(root, rule) == [], rule
