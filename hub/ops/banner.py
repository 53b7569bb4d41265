"""The lines `hub up` prints once its processes are ready: where everything runs and how to
reach it."""

from __future__ import annotations

from hub.ops import locate
from hub.ops.locate import redact
from hub.ops.startup import Infrastructure, Prepared
from hub.settings import Settings


def banner(s: Settings, infra: Infrastructure, prepared: Prepared, *, demo: bool) -> str:
    version, created, parties = prepared.version, prepared.created, prepared.parties
    total = len(parties.added) + len(parties.changed) + parties.unchanged
    kafka = "embedded tansu" if infra.broker else "external"
    database = "embedded, data in " + str(s.data_dir / "postgres") if infra.postgres else "external"
    feeding = "off (make run DEMO=1)"
    if demo:
        feeding = f"feeding traffic as {len(prepared.tokens)} parties (tokens in data_dir)"
    lines = [
        "isd-hub is running",
        f"  kafka       {infra.bootstrap}  ({kafka}; topics prefix '{s.topic_prefix}.',"
        f" {len(created)} created)",
        f"  postgresql  {redact(infra.database_url)}  ({database}; schema v{version})",
        f"  parties     {total} from {s.parties_file}  ({len(parties.added)} added,"
        f" {len(parties.changed)} changed; tokens: `hub party token issue CODE`)",
        f"  hub core    http://{s.host}:{s.core_port}  (/readyz /metrics)",
        *(
            []
            if s.core_relay
            else [f"  relay       http://{s.host}:{s.relay_port}  (its own process; /metrics)"]
        ),
        f"  ggk         http://{s.host}:{s.ggk_port}  (gemeenten; API docs at /docs; /metrics)",
        f"  vecozo      http://{s.host}:{s.vecozo_port}  (zorgaanbieders; /docs; /metrics)",
        f"  metrics     http://{s.host}:{s.core_port}/metrics"
        f" http://{s.host}:{s.ggk_port}/metrics http://{s.host}:{s.vecozo_port}/metrics"
        "  (observability/prometheus/prometheus.yml scrapes these)",
        f"  demo        {feeding}",
        f"  cli         `hub` commands reach this hub through {locate.hub_file(s)}"
        " (`. .venv/bin/activate` puts `hub` on PATH)",
        "Ctrl-C stops everything.",
    ]
    return "\n".join(lines)
