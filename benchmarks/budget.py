"""Why the hub runs at the speed it does on this machine, from the figures of one pipeline run:

- CPU per message of every process in the unthrottled and raw levels;
- where the core's intake batches spent that time, per stage (scraped from the cores'
  `isdhub_intake_stage_*` series before and after the unthrottled level);
- the CPU budget the targets leave: at 0.70 × the raw reference, and at 2,000 msg/s, how many
  CPUs the measured per-message costs add up to, and how much CPU per message would be left for
  the core once the broker, PostgreSQL and the load generator (all on this machine) had theirs.

Everything here is arithmetic on measured figures; nothing is estimated from elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from hub.infra.metrics import INTAKE_STAGES

_US = 1e6
# Processes that are not the system under test: the reference pipeline and the load generator.
_HARNESS = frozenset({"bench"})


def is_core(group: str) -> bool:
    return group.startswith("core")


def cpu_us_per_message(level: Mapping[str, Any]) -> dict[str, float]:
    """CPU microseconds per completed message of each process group over the level."""
    done = level.get("completed", 0)
    if not done:
        return {}
    return {g: u["cpu_s"] / done * _US for g, u in level["resources"].items()}


def stage_counters(texts: Iterable[str]) -> dict[str, float]:
    """The intake stage series summed over the scraped cores: `<stage>/wall`, `<stage>/cpu`,
    plus `messages` and `batches` (from the batch-size histogram)."""
    out: dict[str, float] = {}
    for text in texts:
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                stage = s.labels.get("stage", "")
                if s.name == "isdhub_intake_stage_seconds_sum":
                    key = f"{stage}/wall"
                elif s.name == "isdhub_intake_stage_cpu_seconds_total":
                    key = f"{stage}/cpu"
                elif s.name == "isdhub_intake_batch_messages_sum":
                    key = "messages"
                elif s.name == "isdhub_intake_batch_messages_count":
                    key = "batches"
                else:
                    continue
                out[key] = out.get(key, 0.0) + s.value
    return out


def stages(before: Mapping[str, float], after: Mapping[str, float]) -> dict[str, Any]:
    """Per stage, wall and CPU microseconds per consumed message between two scrapes."""
    messages = after.get("messages", 0.0) - before.get("messages", 0.0)
    batches = after.get("batches", 0.0) - before.get("batches", 0.0)
    rows: dict[str, dict[str, float]] = {}
    if messages <= 0:
        return {"messages": 0, "batches": int(batches), "stages": rows}
    for stage in INTAKE_STAGES:
        wall = after.get(f"{stage}/wall", 0.0) - before.get(f"{stage}/wall", 0.0)
        cpu = after.get(f"{stage}/cpu", 0.0) - before.get(f"{stage}/cpu", 0.0)
        rows[stage] = {
            "wall_us_per_msg": round(wall / messages * _US, 1),
            "cpu_us_per_msg": round(cpu / messages * _US, 1),
        }
    return {
        "messages": int(messages),
        "batches": int(batches),
        "mean_batch": round(messages / batches, 1) if batches else 0.0,
        "stages": rows,
    }


def _needs(core_us: float, rest: Mapping[str, float], rate: float, cpus: int) -> dict[str, Any]:
    """At `rate` msg/s with the measured costs: CPUs needed, and CPU left per message for the
    core processes once every other process had its share."""
    others_cpus = sum(rest.values()) * rate / _US
    left = cpus - others_cpus
    return {
        "rate_msg_s": round(rate, 1),
        "cpus_needed": round((core_us + sum(rest.values())) * rate / _US, 2),
        "cpus_for_others": round(others_cpus, 2),
        "core_budget_us_per_msg": round(left / rate * _US, 1) if left > 0 else 0.0,
        "core_uses_us_per_msg": round(core_us, 1),
    }


def budget(
    levels: list[dict[str, Any]], cpus: int, target_ratio: float, p99_rate: float
) -> dict[str, Any]:
    """The CPU arithmetic behind the two targets (empty when a level is missing)."""
    by_label = {lv["label"]: lv for lv in levels}
    hub, raw = by_label.get("unthrottled"), by_label.get("raw")
    if not hub or not raw or not hub.get("completed") or not raw.get("throughput_msg_s"):
        return {}
    hub_cost, raw_cost = cpu_us_per_message(hub), cpu_us_per_message(raw)
    core_us = sum(v for g, v in hub_cost.items() if is_core(g))
    rest = {g: v for g, v in hub_cost.items() if not is_core(g)}
    infra = {g: v for g, v in rest.items() if g not in _HARNESS}
    target = target_ratio * raw["throughput_msg_s"]
    core_processes = sum(1 for g in hub_cost if is_core(g))
    return {
        "cpus": cpus,
        "cpu_us_per_msg": {
            "unthrottled": {g: round(v, 1) for g, v in hub_cost.items()},
            "raw": {g: round(v, 1) for g, v in raw_cost.items()},
        },
        "core_processes": core_processes,
        # One process runs on one CPU at a time: the cores' ceiling if nothing else ran.
        "core_ceiling_msg_s": round(core_processes * _US / core_us, 1) if core_us else 0.0,
        "at_target_ratio": _needs(core_us, rest, target, cpus),
        "at_target_ratio_without_load_generator": _needs(core_us, infra, target, cpus),
        "at_p99_rate": _needs(core_us, rest, p99_rate, cpus),
    }


def table(b: Mapping[str, Any], stage_figures: Mapping[str, Any], target_ratio: float) -> str:
    """The budget as text for the benchmark's stdout."""
    if not b:
        return "CPU budget: not computed (a level is missing)"
    cost = b["cpu_us_per_msg"]
    groups = sorted({g for level in cost.values() for g in level})
    lines = [
        "CPU µs per message (the level's CPU seconds / messages through)",
        f"{'level':<12}" + "".join(f"{g:>10}" for g in groups) + f"{'total':>10}",
    ]
    for label, per_group in cost.items():
        cells = "".join(
            f"{per_group[g]:>10.0f}" if g in per_group else f"{'-':>10}" for g in groups
        )
        lines.append(f"{label:<12}{cells}{sum(per_group.values()):>10.0f}")
    rows = stage_figures.get("stages", {})
    if rows:
        lines += [
            "",
            f"core intake per stage, unthrottled ({stage_figures['messages']} messages in "
            f"{stage_figures['batches']} batches, {stage_figures['mean_batch']} per batch);"
            " µs per message, CPU includes other tasks run during the stage's awaits",
            f"{'stage':<15}{'wall':>8}{'cpu':>8}",
        ]
        for stage, r in rows.items():
            lines.append(f"{stage:<15}{r['wall_us_per_msg']:>8.0f}{r['cpu_us_per_msg']:>8.0f}")
        wall = sum(r["wall_us_per_msg"] for r in rows.values())
        cpu = sum(r["cpu_us_per_msg"] for r in rows.values())
        lines.append(f"{'total':<15}{wall:>8.0f}{cpu:>8.0f}")

    def line(name: str, n: Mapping[str, Any]) -> str:
        return (
            f"  {name}: {n['rate_msg_s']:,.0f} msg/s needs {n['cpus_needed']:.2f} of "
            f"{b['cpus']} CPUs ({n['cpus_for_others']:.2f} for the other processes); the core "
            f"would have {n['core_budget_us_per_msg']:.0f} µs of CPU per message, it uses "
            f"{n['core_uses_us_per_msg']:.0f}"
        )

    lines += [
        "",
        f"CPU budget at these costs ({b['core_processes']} core process(es); their ceiling with "
        f"a CPU each and nothing else running: {b['core_ceiling_msg_s']:,.0f} msg/s)",
        line(f"{target_ratio:.2f} × raw", b["at_target_ratio"]),
        line(
            f"{target_ratio:.2f} × raw, no load generator",
            b["at_target_ratio_without_load_generator"],
        ),
        line("p99 target rate", b["at_p99_rate"]),
    ]
    return "\n".join(lines)
