"""Validation throughput: parse + XSD + in-message rules on a ~3 KB WMO305, one core.

Run: `make bench-validation` (or `python -m benchmarks.validation --seconds 3`).
Target on the reference machine (2 cores): ≥ 15,000 msg/s.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import time
from datetime import date
from pathlib import Path

from hub import xmlcodec
from hub.packs import load_default_packs
from hub.validation import Outcome, Validator

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "iwmo-3.2" / "WMO305.xml"
TARGET_MSG_S = 15_000


def three_kb_305(*, same_begindatum: bool = False) -> bytes:
    """The WMO305 fixture grown to ≥ 3 KB with more StartProducts of distinct keys.

    Realistic lines start on different days; `same_begindatum` makes every line share one
    Begindatum, the worst case for the duplicate-line rule (TR101), which then compares full
    keys.
    """
    root = xmlcodec.parse_message(FIXTURE.read_bytes())
    lines = [e for e in root.iter() if xmlcodec.local_name(e) == "StartProduct"]
    n = 0
    while len(xmlcodec.serialize(root)) < 3000:
        n += 1
        extra = copy.deepcopy(lines[0])
        for el in extra.iter():
            if xmlcodec.local_name(el) == "ToewijzingNummer":
                el.text = str(310000 + n)
            if xmlcodec.local_name(el) == "Begindatum" and not same_begindatum:
                el.text = f"2025-03-{n + 1:02d}"
        lines[-1].addnext(extra)
        lines.append(extra)
    return xmlcodec.serialize(root)


def run(seconds: float, rounds: int, *, same_begindatum: bool = False) -> dict[str, float]:
    validator = Validator(load_default_packs(), clock=lambda: date(2026, 1, 15))
    data = three_kb_305(same_begindatum=same_begindatum)
    verdict = validator.validate(data)
    if verdict.outcome is not Outcome.VALID:
        raise SystemExit(f"benchmark message is not valid: {verdict.findings}")
    rates: list[float] = []
    for _ in range(rounds):
        # CPU time of this process: what one core spends per message, not what other
        # tenants of a shared machine take from it while we wait.
        count = 0
        start = time.process_time()
        deadline = start + seconds
        while True:
            for _ in range(200):
                validator.validate(data)
            count += 200
            now = time.process_time()
            if now >= deadline:
                break
        rates.append(count / (now - start))
    best, median = max(rates), statistics.median(rates)
    return {
        "message_bytes": len(data),
        "rounds": rounds,
        "best_msg_s": round(best),
        "median_msg_s": round(median),
        "best_us_per_msg": round(1e6 / best, 1),
        "median_us_per_msg": round(1e6 / median, 1),
        "target_msg_s": TARGET_MSG_S,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=2.0, help="length of one round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, default=Path("bench-results/validation.json"))
    args = parser.parse_args()
    report: dict[str, dict[str, float]] = {}
    for label, same in (("realistic", False), ("worst case TR101", True)):
        figures = run(args.seconds, args.rounds, same_begindatum=same)
        report[label] = figures
        verdict = "met" if figures["median_msg_s"] >= TARGET_MSG_S else "NOT met"
        print(
            f"validation of a {figures['message_bytes']} B WMO305, {label} "
            "(parse + XSD + in-message rules, one core):\n"
            f"  best   {figures['best_msg_s']:>8,} msg/s  {figures['best_us_per_msg']:>6} µs/msg\n"
            f"  median {figures['median_msg_s']:>8,} msg/s  "
            f"{figures['median_us_per_msg']:>6} µs/msg  (target {TARGET_MSG_S:,} msg/s: {verdict})"
        )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
