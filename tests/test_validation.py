"""The validation engine: every fixture valid, every invalid variant caught by its rule."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.domain.findings import Level
from hub.domain.validation import Outcome, Validator
from tests import invalid_fixtures
from tests.packkit import default_packs

FIXTURES = Path(__file__).parent / "fixtures"
VALID = sorted(FIXTURES.glob("*-*/*.xml"))
INVALID = sorted(invalid_fixtures.OUT.glob("*.xml"))
EXPECTED = json.loads((invalid_fixtures.OUT / "expected.json").read_text())
FIXTURE_BSNS = ("174285917",)


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator(default_packs(), clock=lambda: date(2026, 1, 15))


def test_every_pack_message_has_a_valid_fixture() -> None:
    names = {(p.parent.name, p.stem) for p in VALID}
    for pm in default_packs():
        assert (pm.pack.dir.name, pm.name) in names


@pytest.mark.parametrize("path", VALID, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_valid_fixtures_are_valid(validator: Validator, path: Path) -> None:
    verdict = validator.validate(path.read_bytes())
    assert verdict.outcome is Outcome.VALID, verdict.findings
    assert verdict.message_type is not None
    assert verdict.message_type.name == path.stem


def test_invalid_fixtures_are_what_the_generator_makes() -> None:
    assert {p.name for p in INVALID} == set(invalid_fixtures.expectations())
    for variant in invalid_fixtures.VARIANTS:
        on_disk = (invalid_fixtures.OUT / f"{variant.name}.xml").read_bytes()
        assert on_disk == invalid_fixtures.build(variant), variant.name
    assert invalid_fixtures.expectations() == EXPECTED


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_variants_get_their_rule(validator: Validator, path: Path) -> None:
    expected = EXPECTED[path.name]
    verdict = validator.validate(path.read_bytes())
    assert verdict.outcome.value == expected["verdict"]
    hits = [f for f in verdict.findings if f.rule == expected["rule"]]
    assert hits, verdict.findings
    assert hits[0].retourcode == expected["retourcode"]
    for finding in verdict.findings:
        assert finding.rule
        assert finding.location
        assert finding.sentence
        for bsn in FIXTURE_BSNS:  # findings are logged and returned: no personal data
            assert bsn not in finding.sentence


def test_xsd_failures_are_not_answerable_rule_failures_are(validator: Validator) -> None:
    xsd = validator.validate((invalid_fixtures.OUT / "XSD-bsn-ten-digits.xml").read_bytes())
    assert not xsd.answerable
    assert all(f.level is Level.XSD for f in xsd.findings)
    rule = validator.validate((invalid_fixtures.OUT / "CS002-bsn-11-proef.xml").read_bytes())
    assert rule.answerable


def test_xsd_sentence_hides_the_value(validator: Validator) -> None:
    data = (
        (FIXTURES / "iwmo-3.2" / "WMO305.xml").read_bytes().replace(b">174285917<", b">17428591X<")
    )
    verdict = validator.validate(data)
    assert verdict.outcome is Outcome.INVALID
    assert all("17428591X" not in f.sentence for f in verdict.findings)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=4096))
def test_engine_never_raises_on_bytes(validator: Validator, data: bytes) -> None:
    verdict = validator.validate(data)
    assert verdict.outcome is not Outcome.VALID
    assert all(f.rule for f in verdict.findings)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_engine_never_raises_on_damaged_fixtures(validator: Validator, data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(VALID))
    raw = bytearray(path.read_bytes())
    for _ in range(data.draw(st.integers(1, 5))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        raw[pos] = data.draw(st.integers(32, 126))
    verdict = validator.validate(bytes(raw))
    if verdict.outcome is not Outcome.VALID:
        assert verdict.findings
        assert all(f.rule and f.location for f in verdict.findings)


def _hub(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_cli_validate_exit_codes_and_json() -> None:
    ok = _hub("validate", str(FIXTURES / "iwmo-3.2" / "WMO305.xml"))
    assert ok.returncode == 0, ok.stderr
    assert "WMO305 (iwmo 3.2): valid" in ok.stdout
    bad = _hub("validate", "--json", str(FIXTURES / "iwmo-3.2" / "WMO305.xml"),
               str(invalid_fixtures.OUT / "CS002-bsn-11-proef.xml"))  # fmt: skip
    assert bad.returncode == 1
    report = json.loads(bad.stdout)
    assert [r["verdict"] for r in report] == ["valid", "invalid"]
    assert report[1]["findings"][0] == {
        "rule": "CS002",
        "retourcode": "0001",
        "level": 2,
        "location": "/Bericht/Client/Bsn",
        "sentence": "Bsn does not pass the 11-proef",
    }
    missing = _hub("validate", "/nonexistent/file.xml")
    assert missing.returncode == 2
    assert "No such file" in missing.stderr
    usage = _hub("validate")
    assert usage.returncode == 2


def test_cli_packs_lists_every_message() -> None:
    result = _hub("packs")
    assert result.returncode == 0
    for code in ("WMO305   418", "JW301    436", "WMO405   492"):
        assert code in result.stdout
    assert "(hub model)" in result.stdout
