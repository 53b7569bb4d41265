"""What the intake must spend on a message before any decision: the floor under its CPU.

`make bench-intake` prints it next to the intake's own cost, on the same messages, so the
figure the issue #22 target (250 µs a message) is judged against is measured, not argued:
parsing, XSD validation and the in-message rules are what every message costs whatever the
rest of the design, and what is left of the target after them is all the rest may spend.

Each step is timed over every message, in the order the hub runs them, for a few rounds;
the median round counts (the machine is shared).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from lxml import etree

from hub.domain import history, xmlcodec
from hub.domain.messages import Direction
from hub.domain.packs import PackMessage
from hub.domain.rules import check_message
from hub.domain.validation import _VERSIONS_CHECKED as VERSIONS_CHECKED
from hub.domain.validation import Validator, today_in_amsterdam

ROUNDS: Final = 5


@dataclass(frozen=True, slots=True)
class _Parsed:
    data: bytes
    root: etree._Element
    pack: PackMessage
    valid: bool


def _cpu_us(messages: Sequence[_Parsed], step: Callable[[_Parsed], object]) -> float:
    """Median over ROUNDS of the CPU µs a message that `step` takes over all of them."""
    rounds = []
    for _ in range(ROUNDS):
        started = time.process_time()
        for m in messages:
            step(m)
        rounds.append((time.process_time() - started) / len(messages) * 1e6)
    return statistics.median(rounds)


def _one_pass(root: etree._Element) -> list[tuple[object, str | None]]:
    # The least any pure-Python reading of the whole message costs: every element once.
    return [(el.tag, el.text) for el in root.iter()]


def measure(payloads: Sequence[bytes], validator: Validator, secret: bytes) -> dict[str, float]:
    """µs of CPU a message for each step every message pays, on `payloads` (the bench mix)."""
    parsed: list[_Parsed] = []
    for data in payloads:
        verdict = validator.validate(data)
        if verdict.pack_message is None or verdict.root is None:
            continue  # not read at all: costs the intake less than any counted here
        parsed.append(_Parsed(data, verdict.root, verdict.pack_message, verdict.valid))
    if not parsed:
        raise ValueError("no readable message to time")
    today = today_in_amsterdam()
    heen = [m for m in parsed if m.valid and m.pack.message_type.direction is not Direction.RETOUR]

    def facts(m: _Parsed) -> object:
        return history.extract(m.root, m.pack.name, secret)

    def rules(m: _Parsed) -> object:
        return check_message(m.root, m.pack.name, today=today, skip=VERSIONS_CHECKED)

    figures = {
        "parse": _cpu_us(parsed, lambda m: xmlcodec.parse_message(m.data)),
        "xsd": _cpu_us(parsed, lambda m: m.pack.schema.validate(m.root)),
        "rules": _cpu_us(parsed, rules),
        # Spread over all messages: only a valid heenbericht's facts are read.
        "history_facts": _cpu_us(heen, facts) * len(heen) / len(parsed) if heen else 0.0,
        "one_python_pass": _cpu_us(parsed, lambda m: _one_pass(m.root)),
    }
    figures["parse_xsd_rules"] = figures["parse"] + figures["xsd"] + figures["rules"]
    return {k: round(v, 1) for k, v in figures.items()}


def lines(floor: dict[str, float], intake_us: float, target_us: float) -> list[str]:
    """The floor as a few printed lines, against the intake's cost and the target."""
    spent = floor["parse_xsd_rules"]
    return [
        f"floor, µs of CPU a message: parse {floor['parse']}, XSD {floor['xsd']}, "
        f"in-message rules {floor['rules']}, history facts {floor['history_facts']} "
        f"(one pure-Python pass over every element: {floor['one_python_pass']})",
        f"parse + XSD + rules: {spent} µs of the {target_us:.0f} µs target; the intake "
        f"spends {intake_us:.0f}, of which {intake_us - spent:.0f} after validation "
        f"({max(target_us - spent, 0):.0f} left for it under the target)",
    ]
