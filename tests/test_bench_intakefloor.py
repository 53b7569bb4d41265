"""The intake's floor (benchmarks/intakefloor.py): every step is timed on what it applies to."""

from __future__ import annotations

import pytest

from benchmarks import intakefloor
from benchmarks.loadgen import Mix
from hub.domain.validation import Validator
from tests.packkit import default_packs

SECRET = b"a-secret-of-the-test-0123456789abcdef"


def test_each_step_costs_something_and_the_sum_is_the_three_steps() -> None:
    mix = Mix(seed=7)
    payloads = [o.payload for o in mix.batch(40)]
    floor = intakefloor.measure(payloads, Validator(default_packs()), SECRET)
    assert set(floor) == {
        "parse", "xsd", "rules", "history_facts", "one_python_pass", "parse_xsd_rules",
    }  # fmt: skip
    assert all(v > 0 for v in floor.values()), floor
    assert floor["parse_xsd_rules"] == pytest.approx(
        floor["parse"] + floor["xsd"] + floor["rules"], abs=0.2
    )


def test_unreadable_messages_are_left_out_not_a_crash() -> None:
    floor = intakefloor.measure(
        [b"not xml", next(iter(Mix(seed=3).batch(1))).payload],
        Validator(default_packs()),
        SECRET,
    )
    assert floor["parse"] > 0


def test_the_lines_say_what_is_left_under_the_target() -> None:
    floor = {"parse": 50.0, "xsd": 40.0, "rules": 100.0, "history_facts": 70.0,
             "one_python_pass": 30.0, "parse_xsd_rules": 190.0}  # fmt: skip
    first, second = intakefloor.lines(floor, 700.0, 250.0)
    assert "rules 100.0" in first
    assert "history facts 70.0" in first
    assert "190.0 µs of the 250 µs target" in second
    assert "510 after validation" in second
    assert "(60 left" in second
    over = intakefloor.lines({**floor, "parse_xsd_rules": 300.0}, 700.0, 250.0)[1]
    assert "(0 left" in over


def test_nothing_readable_is_said_not_divided_by() -> None:
    with pytest.raises(ValueError, match="no readable message"):
        intakefloor.measure([b"not xml"], Validator(default_packs()), SECRET)
