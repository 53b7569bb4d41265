"""The pipeline benchmark's outputs: a table on stdout, JSON with every figure, and a PNG."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TARGET_RATIO = 0.70
TARGET_P99_MS = 150.0
P99_AT_MSG_S = 2000.0


def verdicts(levels: list[dict[str, Any]]) -> dict[str, Any]:
    """The two targets: hub/raw throughput ratio and p99 latency at 2,000 msg/s."""
    by_label = {lv["label"]: lv for lv in levels}
    hub = by_label.get("unthrottled", {}).get("throughput_msg_s", 0.0)
    raw = by_label.get("raw", {}).get("throughput_msg_s", 0.0)
    ratio = hub / raw if raw else 0.0
    at = next((lv for lv in levels if lv["offered_msg_s"] == P99_AT_MSG_S), None)
    p99 = at["latency_ms"]["p99"] if at else None
    return {
        "hub_unthrottled_msg_s": hub,
        "raw_msg_s": raw,
        "ratio": round(ratio, 3),
        "ratio_target": TARGET_RATIO,
        "ratio_met": ratio >= TARGET_RATIO,
        "p99_ms_at_2000": p99,
        "p99_target_ms": TARGET_P99_MS,
        "p99_met": p99 is not None and p99 <= TARGET_P99_MS and at is not None and at["lost"] == 0,
    }


def table(levels: list[dict[str, Any]], summary: dict[str, Any]) -> str:
    head = (
        f"{'level':<12}{'offered':>8}{'sent/s':>8}{'through/s':>10}{'done':>7}{'lost':>5}"
        f"{'retour':>7}{'unexp':>6}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}"
    )
    lines = ["latency in ms; through/s = completed / (last egress - first send)", head]
    for lv in levels:
        lat = lv["latency_ms"]
        offered = f"{lv['offered_msg_s']:.0f}" if lv["offered_msg_s"] else "max"
        lines.append(
            f"{lv['label']:<12}{offered:>8}{lv['send_msg_s'] or 0:>8.0f}"
            f"{lv['throughput_msg_s']:>10.0f}{lv['completed']:>7}{lv['lost']:>5}"
            f"{lv['retours']:>7}{lv['unexpected']:>6}{lat['p50']:>8.1f}{lat['p95']:>8.1f}"
            f"{lat['p99']:>8.1f}{lat['max']:>8.1f}"
        )
    groups = sorted({g for lv in levels for g in lv["resources"]})
    lines += [
        "",
        "CPU % of one core (mean over the level) / % of the level runnable but waiting for a"
        " core / RSS MiB (max; postgres: PSS)",
    ]
    lines.append(f"{'level':<12}" + "".join(f"{g:>18}" for g in groups) + f"{'others':>8}")
    for lv in levels:
        cells = []
        for g in groups:
            u = lv["resources"].get(g)
            mem = (u or {}).get("pss_mb_max" if g == "postgres" else "rss_mb_max", 0.0)
            cells.append(
                f"{u['cpu_pct_of_one_core']:.0f}%/{u['runq_wait_pct']:.0f}% {mem:.0f}M"
                if u
                else "-"
            )
        others = f"{lv['others_cpu_pct_of_one_core']:.0f}%"
        lines.append(f"{lv['label']:<12}" + "".join(f"{c:>18}" for c in cells) + f"{others:>8}")
    s = summary
    ratio = "met" if s["ratio_met"] else "NOT met"
    p99 = "met" if s["p99_met"] else "NOT met"
    lines += [
        "",
        f"hub unthrottled {s['hub_unthrottled_msg_s']:,.0f} msg/s / raw reference "
        f"{s['raw_msg_s']:,.0f} msg/s = {s['ratio']:.2f}  (target ≥ {TARGET_RATIO}: {ratio})",
        f"p99 at {P99_AT_MSG_S:,.0f} msg/s offered: {s['p99_ms_at_2000']} ms  "
        f"(target ≤ {TARGET_P99_MS:.0f} ms: {p99})",
    ]
    return "\n".join(lines)


def write_json(path: Path, report: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")


def write_png(path: Path, levels: list[dict[str, Any]], summary: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rated = [lv for lv in levels if lv["offered_msg_s"] and lv["label"] != "warmup"]
    x = [lv["offered_msg_s"] for lv in rated]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8))
    for q, style in (("p50", "o-"), ("p95", "s-"), ("p99", "^-")):
        left.plot(x, [lv["latency_ms"][q] for lv in rated], style, label=q)
    left.axhline(TARGET_P99_MS, color="red", linestyle="--", linewidth=1, label="p99 target")
    left.set_yscale("log")
    left.set_xlabel("offered load (msg/s)")
    left.set_ylabel("ingress → egress latency (ms)")
    left.set_title("hub core latency by offered load")
    left.grid(True, which="both", alpha=0.3)
    left.legend()
    right.plot(x, [lv["throughput_msg_s"] for lv in rated], "o-", label="achieved")
    right.plot(x, x, ":", color="grey", label="offered")
    right.axhline(summary["hub_unthrottled_msg_s"], color="tab:orange", label="hub unthrottled")
    right.axhline(summary["raw_msg_s"], color="tab:green", label="raw reference")
    right.set_xlabel("offered load (msg/s)")
    right.set_ylabel("messages through egress (msg/s)")
    right.set_title("throughput")
    right.grid(True, alpha=0.3)
    right.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
