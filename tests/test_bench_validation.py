"""The validation benchmark: its messages are valid, and its arithmetic and verdict are right."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree

from benchmarks import validation as bench
from hub.domain import xmlcodec
from hub.domain.rules.identity import passes_elfproef
from hub.domain.validation import Outcome, Validator
from tests.packkit import default_packs

VALIDATOR = Validator(default_packs(), clock=lambda: bench.CLOCK)


def _signed(el: etree._Element, amount: str) -> int:
    sign = -1 if xmlcodec.child_text(el, "DebetCredit") == "C" else 1
    return sign * int(xmlcodec.child_text(el, amount) or "0")


def test_the_323_has_100_distinct_prestaties_that_add_up_and_is_valid() -> None:
    data = bench.declaratie_323()
    root = xmlcodec.parse_message(data)
    prestaties = list(root.iter("{*}Prestatie"))
    refs = {xmlcodec.text_of(e) for e in root.iter("{*}ReferentieNummer")}
    assert len(prestaties) == len(refs) == 100
    bsns = [xmlcodec.text_of(e) or "" for e in root.iter("{*}Bsn")]
    assert len(set(bsns)) == 10
    assert all(passes_elfproef(b) for b in bsns)
    total = next(root.iter("{*}TotaalIngediendBedrag"))
    lines = sum(_signed(e, "Bedrag") for e in root.iter("{*}IngediendBedrag"))
    assert _signed(total, "TotaalBedrag") == lines
    verdict = VALIDATOR.validate(data)
    assert verdict.outcome is Outcome.VALID, verdict.findings


def test_the_305_is_about_3_kb_and_valid() -> None:
    data = bench.three_kb_305()
    assert 3000 <= len(data) < 4000
    assert VALIDATOR.validate(data).outcome is Outcome.VALID


def _figures(xsd: float, full: float, mixed: tuple[float, float] = (0.0, 0.0)) -> bench.Figures:
    return bench.Figures(
        "WMO305", 3032, 7, xsd_us=xsd, rules_us=full, validator_us=full + 10,
        xsd_mixed_us=mixed[0], rules_mixed_us=mixed[1],
    )  # fmt: skip


def test_rule_share_and_the_target() -> None:
    met = _figures(80.0, 128.0)  # rules add 48 µs to 80: 60%, just within
    assert met.rule_share == pytest.approx(0.60)
    assert bench.meets_target(met)
    assert "WMO305, in the hub's order: met (+60%; +60% in separate loops)" in bench.target_line(
        met
    )
    missed = _figures(80.0, 160.0)
    assert missed.rule_share == pytest.approx(1.0)
    assert not bench.meets_target(missed)
    assert "NOT met (+100%" in bench.target_line(missed)
    assert missed.msg_s == pytest.approx(1e6 / 170)


def test_the_target_is_judged_in_the_hubs_order_and_both_are_shown() -> None:
    f = _figures(80.0, 140.0, mixed=(90.0, 126.0))  # separate loops +75%, in the hub's order +40%
    assert f.block_share == pytest.approx(0.75)
    assert f.rule_share == pytest.approx(0.40)
    assert bench.meets_target(f)
    assert "met (+40%; +75% in separate loops)" in bench.target_line(f)
    table = bench.render([f], 0.3, 5)
    assert "+75%" in table
    assert "+40%" in table


def test_render_prints_both_costs_and_the_ratio() -> None:
    text = bench.render([_figures(80.0, 120.0)], 0.3, 5)
    row = text.splitlines()[2]  # the separate-loops row; the hub-order rows follow
    for part in ("WMO305, 3,032 B", "80.0 µs", "120.0 µs", "+50%", "130.0 µs", "7,692"):
        assert part in row
    assert "median of 5 rounds of 0.3 s" in text


def test_a_short_run_prints_and_writes_its_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "validation.json"
    code = bench.main(["--seconds", "0.01", "--rounds", "1", "--json", str(out)])
    printed = capsys.readouterr().out
    assert "target: the in-message rules add at most 60%" in printed
    report = json.loads(out.read_text())
    assert report["target"]["met"] is (code == 0)
    assert report["WMO305"]["xsd_us"] > 0
    assert report["WMO323, 100 Prestaties"]["rules"] > report["WMO305"]["rules"]
