"""Contact rules of the 301: TR006, TR061, CD005, CD009, CD025, CD034 and CS089."""

from __future__ import annotations

import pytest

from hub.domain.findings import Finding, Level
from hub.domain.rules.contact import is_dutch_postcode

from ._m301 import adres, bericht301, contact, kind, relatie
from ._xml import of, run


def _one(findings: tuple[Finding, ...], rule: str) -> Finding:
    (finding,) = of(findings, rule)
    assert (finding.rule, finding.retourcode, finding.level) == (rule, "0001", Level.XSLT)
    # Addresses are personal data: no postcode, street or place in the sentence.
    for value in ("1017", "Amsterdam", "0612345678"):
        assert value not in finding.sentence
    return finding


def _run(
    *contacts: str, relaties: tuple[str, ...] = (), standard: str = "iwmo"
) -> tuple[Finding, ...]:
    root = bericht301(contacts=contacts, relaties=relaties, standard=standard)
    return run(root, kind(standard))


def test_tr006_flags_a_contact_with_neither_telefoon_nor_full_address() -> None:
    findings = _run(contact("01"), contact("02", adres(huis=False)))
    finding = _one(findings, "TR006")
    assert finding.location == "/Bericht/Client/Contactgegevens/Contact[2]"


def test_tr006_flags_a_relatie_contact_without_postcode() -> None:
    bad = contact("02", adres(postcode=None, land=None))
    finding = _one(_run(contact(), relaties=(relatie(contact_xml=bad),)), "TR006")
    assert finding.location == "/Bericht/Client/Relaties/Relatie/Contact"


@pytest.mark.parametrize(
    "ok",
    [contact("02", adres(), telefoon=True), contact("02", "", telefoon=True), contact("02")],
)
def test_tr006_passes_a_telefoon_or_huis_with_postcode(ok: str) -> None:
    assert of(_run(contact(), ok, standard="ijw"), "TR006") == []


def test_tr061_flags_a_client_with_only_tijdelijke_addresses() -> None:
    finding = _one(_run(contact("04"), contact("04")), "TR061")
    assert finding.location == "/Bericht/Client/Contactgegevens"


@pytest.mark.parametrize("soort", ["01", "02", "03"])
def test_tr061_passes_with_one_brp_correspondentie_or_verblijf(soort: str) -> None:
    assert of(_run(contact("04"), contact(soort)), "TR061") == []


def test_tr061_ignores_relatie_contacts() -> None:
    relaties = (relatie(contact_xml=contact("01")),)
    assert len(of(_run(contact("04"), relaties=relaties, standard="ijw"), "TR061")) == 1


@pytest.mark.parametrize(
    ("address", "sentence_part"),
    [(adres(land=None), "no LandCode"), (adres(postcode=None, land="BE"), "no Postcode")],
)
def test_cd005_flags_postcode_without_landcode_and_back(address: str, sentence_part: str) -> None:
    finding = _one(_run(contact("02", address), contact("01")), "CD005")
    assert finding.location == "/Bericht/Client/Contactgegevens/Contact[1]/Adres"
    assert sentence_part in finding.sentence


def test_cd005_passes_both_or_neither() -> None:
    findings = _run(contact("01"), contact("02", adres(postcode=None, land=None), telefoon=True))
    assert of(findings, "CD005") == []


def test_cd009_flags_a_periode_on_a_contact_that_is_not_tijdelijk() -> None:
    finding = _one(_run(contact("01", periode="2025-01-01")), "CD009")
    assert finding.location == "/Bericht/Client/Contactgegevens/Contact/Periode"


def test_cd009_passes_a_periode_on_a_tijdelijk_contact() -> None:
    assert of(_run(contact("01"), contact("04", periode="2025-01-01")), "CD009") == []


def test_cd025_flags_a_dutch_address_without_huis() -> None:
    address = adres(huis=False)
    finding = _one(_run(contact("01"), contact("02", address, telefoon=True)), "CD025")
    assert finding.location == "/Bericht/Client/Contactgegevens/Contact[2]/Adres/LandCode"


def test_cd025_passes_a_foreign_address_without_huis() -> None:
    address = adres(huis=False, postcode="B-1000", land="BE")
    assert of(_run(contact("01"), contact("02", address, telefoon=True)), "CD025") == []


@pytest.mark.parametrize("soort", ["01", "03"])
def test_cd034_flags_a_brp_or_verblijf_contact_without_postcode(soort: str) -> None:
    no_postcode = contact(soort, adres(postcode=None, land=None), telefoon=True)
    finding = _one(_run(no_postcode), "CD034")
    assert finding.location == "/Bericht/Client/Contactgegevens/Contact"


def test_cd034_flags_a_brp_contact_without_any_adres() -> None:
    finding = _one(_run(contact("01", "", telefoon=True)), "CD034")
    assert finding.location == "/Bericht/Client/Contactgegevens/Contact"


def test_cd034_passes_a_correspondentie_contact_without_postcode() -> None:
    assert of(_run(contact("01"), contact("02", "", telefoon=True)), "CD034") == []


@pytest.mark.parametrize("postcode", ["1017 GA", "0123AB", "10171G", "101GA", "1017GAA"])
def test_cs089_flags_a_dutch_address_with_a_foreign_looking_postcode(postcode: str) -> None:
    finding = _one(_run(contact("01", adres(postcode=postcode))), "CS089")
    assert finding.location == "/Bericht/Client/Contactgegevens/Contact/Adres/Postcode"
    assert postcode not in finding.sentence


def test_cs089_passes_a_dutch_postcode_and_any_foreign_one() -> None:
    foreign = contact("02", adres(postcode="B-1000", land="BE"))
    assert of(_run(contact("01", adres(postcode="1017GA")), foreign), "CS089") == []


def test_is_dutch_postcode_takes_lower_case_letters() -> None:
    # Reading: the rule text asks for letters, not capitals; refusing may refuse a valid message.
    assert is_dutch_postcode("1017ga")
    assert not is_dutch_postcode("１０１７GA")  # full-width digits are not ASCII
