"""CS058 (status 1 or 3), TR018 (Einddatum ≥ Begindatum) and TR101 (no duplicate lines)."""

from __future__ import annotations

import pytest

from ._xml import client, message, of, run, start, stop


@pytest.mark.parametrize("status", ["2", "9"])
def test_cs058_flags_another_status_on_a_startproduct(status: str) -> None:
    body = client(start(), start("2025-04-02", status=status), container="StartProducten")
    (finding,) = of(run(message("wmo305", body), "WMO305"), "CS058")
    assert finding.retourcode == "0001"
    assert finding.location == "/Bericht/Client/StartProducten/StartProduct[2]/StatusAanlevering"


def test_cs058_flags_another_status_on_a_stopproduct() -> None:
    body = client(stop(status="2"), container="StopProducten")
    (finding,) = of(run(message("jw307", body, standard="ijw"), "JW307"), "CS058")
    assert finding.location == "/Bericht/Client/StopProducten/StopProduct/StatusAanlevering"


def test_cs058_passes_status_1_and_3() -> None:
    body = client(start(status="1"), start("2025-04-02", status="3"), container="StartProducten")
    assert of(run(message("wmo305", body), "WMO305"), "CS058") == []


def test_tr018_flags_an_einddatum_before_the_begindatum() -> None:
    body = client(
        stop("2025-03-01", "2025-04-01"),
        stop("2025-03-10", "2025-03-09"),
        container="StopProducten",
    )
    (finding,) = of(run(message("wmo307", body), "WMO307"), "TR018")
    assert finding.retourcode == "0001"
    assert finding.location == "/Bericht/Client/StopProducten/StopProduct[2]/Einddatum"


def test_tr018_passes_an_einddatum_on_the_begindatum() -> None:
    body = client(stop("2025-03-10", "2025-03-10"), container="StopProducten")
    assert of(run(message("wmo307", body), "WMO307"), "TR018") == []


def test_tr101_flags_a_repeated_startproduct() -> None:
    body = client(start(), start("2025-04-02"), start(), container="StartProducten")
    (finding,) = of(run(message("wmo305", body), "WMO305"), "TR101")
    assert finding.retourcode == "0001"
    assert finding.location == "/Bericht/Client/StartProducten/StartProduct[3]"
    assert "StartProduct[1]" in finding.sentence


def test_tr101_compares_toewijzingnummer_as_a_number() -> None:
    body = client(start(nummer="300201"), start(nummer="0300201"), container="StartProducten")
    assert len(of(run(message("wmo305", body), "WMO305"), "TR101")) == 1


def test_tr101_passes_a_delete_and_its_replacement_in_one_message() -> None:
    # IV008: a wrong ToewijzingIngangsdatum (not part of the key) is corrected by deleting the
    # line and sending it again; rules.md allows both in one message, in document order.
    body = client(start(status="3"), start(status="1"), container="StartProducten")
    assert of(run(message("wmo305", body), "WMO305"), "TR101") == []
    stops = client(stop(status="3"), stop(status="1"), container="StopProducten")
    assert of(run(message("wmo307", stops), "WMO307"), "TR101") == []


def test_tr101_flags_the_same_key_twice_with_the_same_status() -> None:
    for status in ("1", "3"):
        body = client(start(status=status), start(status=status), container="StartProducten")
        assert len(of(run(message("wmo305", body), "WMO305"), "TR101")) == 1


@pytest.mark.parametrize(
    "other",
    [
        start("2025-04-02"),
        start(nummer="300202"),
        start(code="02A05"),
        start(categorie="03", code="03A01"),
        start(code=None),
        start(nummer=None),
    ],
)
def test_tr101_passes_lines_that_differ_in_a_key_part(other: str) -> None:
    body = client(start(), other, container="StartProducten")
    assert of(run(message("wmo305", body), "WMO305"), "TR101") == []


def test_tr101_flags_a_taakgericht_duplicate_without_toewijzingnummer() -> None:
    body = client(start(nummer=None), start(nummer=None), container="StartProducten")
    assert len(of(run(message("wmo305", body), "WMO305"), "TR101")) == 1


def test_tr101_keys_stopproducts_on_reden_and_einddatum_too() -> None:
    same = client(stop(), stop(), container="StopProducten")
    (finding,) = of(run(message("wmo307", same), "WMO307"), "TR101")
    assert finding.location == "/Bericht/Client/StopProducten/StopProduct[2]"
    other_reden = client(stop(reden="20"), stop(reden="19"), container="StopProducten")
    assert of(run(message("wmo307", other_reden), "WMO307"), "TR101") == []
    other_end = client(stop(end="2025-04-01"), stop(end="2025-04-02"), container="StopProducten")
    assert of(run(message("wmo307", other_end), "WMO307"), "TR101") == []


def test_rules_read_basis_children_in_the_message_namespace_too() -> None:
    body = client(start(), start(), container="StartProducten")
    root = message("wmo305", body, basis_children=False)
    assert len(of(run(root, "WMO305"), "TR101")) == 1
