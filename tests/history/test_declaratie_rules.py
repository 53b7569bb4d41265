"""The history rules of the 323, the 325 and TR385, each with a failing and a passing case,
replayed in memory (the store round trip is in test_declaratie_store.py)."""

from __future__ import annotations

from datetime import date

from hub.domain.history import RULES
from hub.domain.history.declaratie_volume import period_allowance, term_maximum
from hub.domain.history.request_facts import Omvang

from ._build import OTHER_BSN
from ._declaratie import Memory, P, T, antwoord, declaratie, toewijzing

MAY = ("2025-05-01", "2025-05-31")
JUNE = ("2025-06-01", "2025-06-30")


def memory(*lines: T, bsn: str | None = None) -> Memory:
    m = Memory()
    assert m.send(toewijzing(*(lines or (T(),)), **({"bsn": bsn} if bsn else {}))) == []
    return m


def test_every_declaratie_rule_is_registered_with_its_code() -> None:
    codes = {r.id: r.retourcode for r in RULES}
    expected = {"TR333": "9333", "TR318": "8214", "TR314": "8021", "TR323": "8017"}
    expected |= {"TR304": "8187", "TR385": "9385", "TR389": "9389", "TR321": "9321"}
    assert {k: codes[k] for k in expected} == expected
    assert codes["TR337"] == codes["TR371"] == codes["TR376"] == ""  # a 325 gets no retour
    assert "TR418" not in codes  # needs contract tariffs (external)


def test_a_clean_declaratie_passes() -> None:
    assert memory().send(declaratie(P("R1"))) == []


# --- the toewijzing the Prestatie names -------------------------------------------------


def test_iwmo_and_ijw_are_separate_domains() -> None:
    m = memory()
    assert m.send(declaratie(P("R1"))) == []
    # The same parties, number and ReferentieNummer in iJw: no toewijzing there, no TR314.
    assert m.send(declaratie(P("R1"), kind="JW")) == [("TR338", "9338")]


def test_tr338_toewijzing_nummer_unknown_to_this_aanbieder() -> None:
    m = memory()
    assert m.send(declaratie(P("R1", nummer="300299"))) == [("TR338", "9338")]
    assert m.send(declaratie(P("R2", nummer="300201"), periode=MAY)) == []


def test_tr304_toewijzing_of_another_client() -> None:
    m = memory(T(nummer="300301"), bsn=OTHER_BSN)
    assert m.send(declaratie(P("R1", nummer="300301"))) == [("TR304", "8187")]
    assert m.send(declaratie(P("R2", nummer="300301", bsn=OTHER_BSN), periode=MAY)) == []


def test_tr307_period_before_the_ingangsdatum() -> None:
    m = memory(T(ingang="2025-04-01"))
    before = P("R1", begin="2025-03-01", end="2025-03-31")
    assert m.send(declaratie(before)) == [("TR307", "9307")]
    assert m.send(declaratie(P("R2"), periode=MAY)) == []


def test_tr308_period_after_the_einddatum_and_tr388_exception() -> None:
    m = memory(T(eind="2025-04-20", omvang=(4, "04", "2")))
    assert m.send(declaratie(P("R1", volume=8))) == [("TR308", "9308")]
    # Ending on the toewijzing's Einddatum (not the month's last day) is right (TR388).
    assert m.send(declaratie(P("R2", end="2025-04-20", volume=8), periode=MAY)) == []


def test_tr339_tr340_product_differs() -> None:
    m = memory()
    assert m.send(declaratie(P("R1", categorie="03"))) == [("TR339", "9339")]
    assert m.send(declaratie(P("R2", code="02A05"), periode=MAY)) == [("TR340", "9340")]
    assert m.send(declaratie(P("R3"), periode=JUNE)) == []


def test_tr340_aspecific_toewijzing_accepts_any_code_of_its_category() -> None:
    m = memory(T(code=None))
    assert m.send(declaratie(P("R1", code="02A99"))) == []


def test_tr341_unit_differs_except_minutes_on_hours_and_contract_units() -> None:
    m = memory()
    assert m.send(declaratie(P("R1", eenheid="14"))) == [("TR341", "9341")]
    assert m.send(declaratie(P("R2", eenheid="01", volume=600), periode=MAY)) == []
    # Aspecific and generic toewijzingen: the unit follows the contract, not checked.
    assert memory(T(code=None)).send(declaratie(P("R3", eenheid="14"))) == []
    generic = memory(T(categorie=None, code=None))
    assert generic.send(declaratie(P("R4", eenheid="14", categorie="07", code="07A01"))) == []


def test_tr384_prestatie_on_a_deleted_toewijzing() -> None:
    m = memory()
    deleted = T(eind="2025-04-01", reden="13", tijd="11:00:00")
    assert m.send(toewijzing(deleted)) == []
    assert m.send(declaratie(P("R1", end="2025-04-01", volume=1))) == [("TR384", "9384")]
    assert m.send(toewijzing(T(tijd="12:00:00"))) == []  # a newer version, not deleted
    assert m.send(declaratie(P("R2"), periode=MAY)) == []


def test_tr387_begin_is_day_one_or_the_ingangsdatum() -> None:
    m = memory(T(ingang="2025-04-10"))
    assert m.send(declaratie(P("R1", begin="2025-04-11"))) == [("TR387", "9387")]
    assert m.send(declaratie(P("R2", begin="2025-04-10"), periode=MAY)) == []


def test_tr388_end_is_the_last_day_or_the_einddatum() -> None:
    m = memory()
    assert m.send(declaratie(P("R1", end="2025-04-29"))) == [("TR388", "9388")]
    assert m.send(declaratie(P("R2", end="2025-04-30"), periode=MAY)) == []


def test_tr319_product_period_after_the_declaratie_period() -> None:
    m = memory()
    may = P("R1", begin="2025-05-01", end="2025-05-31")
    assert m.send(declaratie(may, dagtekening="2025-06-02")) == [("TR319", "9319")]
    assert m.send(declaratie(may, periode=MAY, dagtekening="2025-06-02")) == []


def test_a_credit_is_not_checked_against_the_toewijzing_as_it_is_now() -> None:
    m = memory()
    assert m.send(declaratie(P("R1"))) == []
    assert m.send(toewijzing(T(eind="2025-04-15", tijd="11:00:00"))) == []  # shortened since
    assert m.send(declaratie(P("C1", credit=True, vorig="R1"), periode=MAY)) == []


# --- uniqueness and order -----------------------------------------------------------------


def test_tr314_referentienummer_unique_unless_rejected() -> None:
    m = memory()
    first = declaratie(P("R1"))
    assert m.send(first) == []
    assert m.send(declaratie(P("R1"), periode=MAY)) == [("TR314", "8021"), ("TR389", "9389")]
    assert m.send(antwoord(first, ["R1"])) == []  # the gemeente rejects it: R1 is free again
    assert m.send(declaratie(P("R1"), periode=JUNE)) == []


def test_tr333_declaratienummer_unique_refuses_the_whole_declaratie() -> None:
    m = memory()
    first = declaratie(P("R1"), nummer="N1")
    assert m.send(first) == []
    r2 = P("R2", begin="2025-05-01", end="2025-05-31")
    assert m.send(declaratie(r2, nummer="N1", periode=MAY)) == [("TR333", "9333")]
    # Refused as a whole: R2 did not count, so it may come again.
    assert m.send(declaratie(r2, nummer="N2", periode=MAY)) == []


def test_tr333_nummer_of_a_declaratie_the_gemeente_refused_is_free() -> None:
    m = memory()
    first = declaratie(P("R1"), nummer="N1")
    assert m.send(first) == []
    assert m.send(antwoord(first, header_codes=["0001"])) == []
    assert m.send(declaratie(P("R1"), nummer="N1")) == []  # also TR318: April no longer counts


def test_tr318_period_not_after_the_last_accepted_one() -> None:
    m = memory()
    assert m.send(declaratie(P("R1"), periode=MAY, dagtekening="2025-06-02")) == []
    assert m.send(declaratie(P("R2"))) == [("TR318", "8214")]
    assert m.send(declaratie(P("R3"), periode=MAY, dagtekening="2025-06-02")) == [("TR318", "8214")]
    # READING 8: a gap (no care in June) is allowed.
    july = P("R4", begin="2025-07-01", end="2025-07-31")
    assert m.send(declaratie(july, periode=("2025-07-01", "2025-07-31"))) == []


def test_tr318_a_declaratie_without_one_accepted_prestatie_claims_no_month() -> None:
    m = memory()
    assert m.send(declaratie(P("R1", nummer="300299"), nummer="N1")) == [("TR338", "9338")]
    assert m.send(declaratie(P("R1"), nummer="N1")) == []  # neither TR318 nor TR333


# --- debet and credit ---------------------------------------------------------------------


def test_tr323_credit_of_an_unknown_or_rejected_debet() -> None:
    m = memory()
    first = declaratie(P("R1"))
    assert m.send(first) == []
    assert m.send(declaratie(P("C1", credit=True, vorig="R9"), periode=MAY)) == [("TR323", "8017")]
    assert m.send(declaratie(P("C2", credit=True, vorig="R1"), periode=JUNE)) == []
    m2 = memory()
    first = declaratie(P("R1"))
    assert m2.send(first) == []
    assert m2.send(antwoord(first, ["R1"])) == []
    assert m2.send(declaratie(P("C1", credit=True, vorig="R1"), periode=MAY)) == [("TR323", "8017")]


def test_tr390_a_debet_is_credited_once() -> None:
    m = memory()
    assert m.send(declaratie(P("R1"))) == []
    assert m.send(declaratie(P("C1", credit=True, vorig="R1"), periode=MAY)) == []
    assert m.send(declaratie(P("C2", credit=True, vorig="R1"), periode=JUNE)) == [("TR390", "9390")]


def test_tr389_new_debet_for_the_same_period_only_after_a_credit() -> None:
    m = memory()
    assert m.send(declaratie(P("R1"))) == []
    assert m.send(declaratie(P("R2"), periode=MAY)) == [("TR389", "9389")]
    # The credit and the new debet in one message (the credit first) is the correction.
    correction = declaratie(P("C1", credit=True, vorig="R1"), P("R3", volume=12), periode=JUNE)
    assert m.send(correction) == []


# --- volumes -------------------------------------------------------------------------------


def test_tr321_volume_per_period() -> None:
    m = memory()  # 4 hours a week; April 2025 touches 5 calendar weeks: 20 hours
    assert m.send(declaratie(P("R1", volume=21))) == [("TR321", "9321")]
    assert m.send(declaratie(P("R2", volume=20), periode=MAY)) == []
    # June 2025 touches 6 calendar weeks (1 June is a Sunday): 24 hours = 1440 minutes.
    june = P("R3", volume=1441, eenheid="01", begin="2025-06-01", end="2025-06-30")
    assert m.send(declaratie(june, periode=JUNE)) == [("TR321", "9321")]


def test_tr322_total_over_the_term() -> None:
    m = memory(T(eind="2025-05-31", omvang=(10, "04", "6")))  # 10 hours in all
    assert m.send(declaratie(P("R1", volume=6))) == []
    may = P("R2", volume=5, begin="2025-05-01", end="2025-05-31")
    assert m.send(declaratie(may, periode=MAY, dagtekening="2025-06-02")) == [("TR322", "9322")]
    may = P("R3", volume=4, begin="2025-05-01", end="2025-05-31")
    assert m.send(declaratie(may, periode=JUNE, dagtekening="2025-07-02")) == []


def test_tr369_budget() -> None:
    # Budget 1,000 (whole euros in the reading that refuses least): 100,000 cents may be declared.
    m = memory(T(omvang=None, budget=1000))
    assert m.send(declaratie(P("R1", eenheid="83", volume=60000))) == []
    over = P("R2", eenheid="83", volume=50000, begin="2025-05-01", end="2025-05-31")
    assert m.send(declaratie(over, periode=MAY, dagtekening="2025-06-02")) == [("TR369", "9369")]
    fits = P("R3", eenheid="83", volume=40000, begin="2025-05-01", end="2025-05-31")
    assert m.send(declaratie(fits, periode=JUNE, dagtekening="2025-07-02")) == []


def test_tr369_never_refuses_a_total_within_the_budget_read_as_whole_euros() -> None:
    # The facts give no unit for Budget: 150,000 cents against Budget 100,000 would be refused if
    # Budget were cents, but is valid if it is euros, so it passes.
    m = memory(T(omvang=None, budget=100000))
    assert m.send(declaratie(P("R1", eenheid="83", volume=150000))) == []


def test_volume_arithmetic() -> None:
    week = Omvang(4, "04", "2")
    term = (date(2025, 4, 1), date(2025, 12, 31))
    assert period_allowance(week, date(2025, 4, 1), date(2025, 4, 30), term) == 20 * 60
    assert period_allowance(Omvang(2, "14", "1"), date(2025, 4, 1), date(2025, 4, 30), term) == 60
    assert period_allowance(Omvang(3, "04", "4"), date(2025, 4, 1), date(2025, 4, 30), term) == 180
    # iWmo category 01 per week: up to 6 x Volume per ProductPeriode.
    short = (date(2025, 4, 1), date(2025, 4, 8))
    assert period_allowance(week, date(2025, 4, 1), date(2025, 4, 30), short) == 2 * 60 * 4
    assert (
        period_allowance(week, date(2025, 4, 1), date(2025, 4, 30), short, wmo_huishoudelijk=True)
        == 6 * 4 * 60
    )
    assert term_maximum(Omvang(1, "14", "1"), (date(2025, 4, 1), date(2025, 4, 30))) == 30
    assert term_maximum(week, (date(2025, 4, 1), None)) is None


# --- partial acceptance ---------------------------------------------------------------------


def test_only_the_accepted_prestaties_of_a_partly_rejected_declaratie_count() -> None:
    m = memory()
    assert m.send(declaratie(P("R1"), P("R2", nummer="300299"))) == [("TR338", "9338")]
    assert m.send(declaratie(P("R1"), periode=MAY)) == [("TR314", "8021"), ("TR389", "9389")]
    assert m.send(declaratie(P("R2"), periode=JUNE)) == [("TR389", "9389")]  # R1 covers April


# --- 325 ----------------------------------------------------------------------------------


def test_a_325_true_to_its_323_passes_and_its_rejections_count() -> None:
    m = memory()
    heen = declaratie(P("R1"))
    assert m.send(heen) == []
    assert m.send(antwoord(heen, ["R1"])) == []
    # R1 was rejected: its ReferentieNummer and its period are free again.
    assert m.send(declaratie(P("R1"), periode=MAY)) == []


def test_tr337_tr371_tr376_the_325_header_names_the_323() -> None:
    m = memory()
    heen = declaratie(P("R1"))
    assert m.send(heen) == []
    assert m.send(antwoord(heen, dagtekening="2025-05-07")) == [("TR337", "")]
    assert m.send(antwoord(heen, xsd_versie="9.9.9")) == [("TR371", "")]
    assert m.send(antwoord(heen, ["R1"], nummer="OTHER")) == [("TR376", "")]
    assert m.send(antwoord(heen)) == []


def test_tr366_tr367_tr304_returned_prestaties_are_those_of_the_323() -> None:
    m = memory()
    heen = declaratie(P("R1"))
    assert m.send(heen) == []
    other_ref = {"R1": ("ReferentieNummer", "R7")}
    assert m.send(antwoord(heen, ["R1"], change=other_ref)) == [("TR366", "9366")]
    changed = {"R1": ("GeleverdVolume", "15")}
    assert m.send(antwoord(heen, ["R1"], change=changed)) == [("TR367", "9367")]
    assert m.send(antwoord(heen, ["R1"], bsn=OTHER_BSN)) == [("TR304", "8187")]
    assert m.send(antwoord(heen, ["R1"])) == []


def test_tr367_compares_integer_values_not_their_leading_zeros() -> None:
    # ToewijzingNummer and GeleverdVolume are xs:integer: 0300201 is the 323's 300201.
    m = memory()
    heen = declaratie(P("R1"))
    assert m.send(heen) == []
    zeros = {"R1": ("ToewijzingNummer", "0300201")}
    assert m.send(antwoord(heen, ["R1"], change=zeros)) == []


# --- TR385 (301) -----------------------------------------------------------------------------


def test_tr385_no_delete_while_approved_uncredited_prestaties_exist() -> None:
    m = memory()
    heen = declaratie(P("R1"))
    assert m.send(heen) == []
    delete = T(eind="2025-04-01", reden="13", tijd="11:00:00")
    # READING 6.9: without the 325 the Prestatie is not known to be approved.
    assert memory().send(toewijzing(delete)) == []
    assert m.send(antwoord(heen)) == []  # fully granted
    assert m.send(toewijzing(delete)) == [("TR385", "9385")]
    assert m.send(declaratie(P("C1", credit=True, vorig="R1"), periode=MAY)) == []
    assert m.send(toewijzing(delete)) == []
