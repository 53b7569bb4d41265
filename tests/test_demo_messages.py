"""The demo's persons are distinct valid BSNs, and one person's messages name the same
ToewijzingNummers, which no other person shares (TR332)."""

from __future__ import annotations

import itertools

import pytest

from hub.domain import xmlcodec
from hub.domain.messages import Standard
from hub.domain.rules.identity import passes_elfproef
from hub.ops.demo_messages import demo_persons, personalise, template


def _texts(message: bytes, name: str) -> list[str]:
    root = xmlcodec.parse_message(message)
    return [e.text or "" for e in root.iter(f"{{*}}{name}")]


@pytest.mark.parametrize("start", [0, 1_234_500, 99_999_900, 86_399 * 100])
def test_persons_are_distinct_and_pass_the_elfproef(start: int) -> None:
    persons = list(itertools.islice(demo_persons(start), 20_000))
    bsns = [p.bsn for p in persons]
    assert len(set(bsns)) == len(bsns)
    assert all(len(b) == 9 and b.startswith("9") and passes_elfproef(b) for b in bsns)
    nummers = [p.toewijzing_nummer(line) for p in persons for line in (1, 2)]
    assert len(set(nummers)) == len(nummers)
    assert all(0 <= int(n) <= 999_999_999 for n in nummers)


@pytest.mark.parametrize("standard", [Standard.IWMO, Standard.IJW])
def test_a_trajectory_names_its_person_and_its_numbers_throughout(standard: Standard) -> None:
    one, two = itertools.islice(demo_persons(4_200), 2)
    numbers: dict[str, list[str]] = {}
    for code in ("301", "302", "305", "306", "307", "308"):
        message = personalise(template(standard, code), "DEMO00000001", None, one)
        assert xmlcodec.child_text(
            xmlcodec.parse_message(message), "Header", "BerichtIdentificatie"
        )
        bsns = set(_texts(message, "Bsn"))
        assert bsns <= {one.bsn}, code
        numbers[code] = _texts(message, "ToewijzingNummer")
    assert numbers["301"]
    for code in ("305", "306", "307", "308"):
        assert set(numbers[code]) <= set(numbers["301"]), code
    other = personalise(template(standard, "301"), "DEMO00000002", None, two)
    assert not set(_texts(other, "ToewijzingNummer")) & set(numbers["301"])
