"""The antwoordbericht 319: CD085, CD086 and, in iJw only, TR377 and TR409."""

from __future__ import annotations

import pytest
from lxml import etree

from hub.domain.rules import antwoord as family
from hub.domain.rules.base import names

from ._lines import assert_finding
from ._xml import message, of, run

A = "/Bericht/Antwoord"


def _319(
    antwoord: str,
    reden: str | None = None,
    *,
    gemeente: str | None = None,
    standard: str = "iwmo",
) -> etree._Element:
    body = (
        "<Antwoord><ReferentieAanbieder>VOW-1</ReferentieAanbieder>"
        f"<VerzoekAntwoord>{antwoord}</VerzoekAntwoord>"
        + (f"<RedenAfwijzingVerzoek>{reden}</RedenAfwijzingVerzoek>" if reden else "")
        + (
            f"<Woonplaatsbeginsel><Gemeente>{gemeente}</Gemeente></Woonplaatsbeginsel>"
            if gemeente
            else ""
        )
        + "</Antwoord>"
    )
    segment = "wmo319" if standard == "iwmo" else "jw319"
    return message(segment, body, standard=standard)


def test_the_woonplaatsbeginsel_rules_run_on_jw319_only() -> None:
    assert family.CD085.messages == family.CD086.messages == names(319)
    assert family.TR377.messages == family.TR409.messages == {"JW319"}


@pytest.mark.parametrize("standard", ["iwmo", "ijw"])
def test_cd085_flags_a_refusal_without_a_reason(standard: str) -> None:
    (finding,) = of(run(_319("1", standard=standard)), "CD085")
    assert_finding(finding, A + "/RedenAfwijzingVerzoek")


def test_cd085_passes_a_refusal_with_a_reason_and_an_answer_in_onderzoek() -> None:
    assert of(run(_319("1", "3")), "CD085") == []
    assert of(run(_319("2")), "CD085") == []


@pytest.mark.parametrize("standard", ["iwmo", "ijw"])
def test_cd086_flags_a_reason_on_an_answer_in_onderzoek(standard: str) -> None:
    (finding,) = of(run(_319("2", "3", standard=standard)), "CD086")
    assert_finding(finding, A + "/RedenAfwijzingVerzoek")


def test_cd086_passes_in_onderzoek_without_a_reason() -> None:
    assert of(run(_319("2", standard="ijw")), "CD086") == []


def test_tr377_flags_a_jw319_woonplaatsbeginsel_refusal_without_the_gemeente() -> None:
    (finding,) = of(run(_319("1", "8", standard="ijw")), "TR377")
    assert_finding(finding, A + "/Woonplaatsbeginsel")


def test_tr377_passes_a_jw319_woonplaatsbeginsel_refusal_naming_the_gemeente() -> None:
    assert of(run(_319("1", "8", gemeente="0344", standard="ijw")), "TR377") == []


def test_tr377_does_not_run_on_a_wmo319_which_has_no_woonplaatsbeginsel_class() -> None:
    assert of(run(_319("1", "8")), "TR377") == []


def test_tr409_flags_a_jw319_woonplaatsbeginsel_with_another_reason() -> None:
    (finding,) = of(run(_319("1", "3", gemeente="0344", standard="ijw")), "TR409")
    assert_finding(finding, A + "/Woonplaatsbeginsel")
    assert "RedenAfwijzingVerzoek is 3" in finding.sentence


@pytest.mark.parametrize(("reden", "gemeente"), [("8", "0344"), ("3", None), (None, "0344")])
def test_tr409_passes_reason_8_no_class_or_no_reason(
    reden: str | None, gemeente: str | None
) -> None:
    # Without a RedenAfwijzingVerzoek TR409 says nothing (rules.md §6 reading 10).
    root = _319("2" if reden is None else "1", reden, gemeente=gemeente, standard="ijw")
    assert of(run(root), "TR409") == []
