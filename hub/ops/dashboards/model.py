"""The building blocks of the Grafana dashboards and their rendering into Grafana's model.

`Panel`, `Row` and `Dashboard` (a dashboard is rows of panels, each row answering one question),
`RATE` (Grafana's rate interval, which the panels' PromQL uses), and `grafana`, which turns a
`Dashboard` into the Grafana dashboard model that hub.ops.dashboards writes to
observability/grafana/.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

RATE: Final = "$__rate_interval"  # Grafana's; tests substitute a fixed range
_DS: Final = {"type": "prometheus", "uid": "${datasource}"}


@dataclass(frozen=True)
class Panel:
    title: str
    exprs: tuple[tuple[str, str], ...]  # (PromQL, legend)
    unit: str = "short"
    description: str = ""
    kind: str = "timeseries"  # or "stat"


@dataclass(frozen=True)
class Row:
    title: str  # the question the row answers
    panels: tuple[Panel, ...]


@dataclass(frozen=True)
class Dashboard:
    uid: str
    title: str
    description: str
    rows: tuple[Row, ...]
    node_variable: bool = False

    def exprs(self) -> list[str]:
        return [e for row in self.rows for p in row.panels for e, _ in p.exprs]


def grafana(d: Dashboard) -> dict[str, Any]:
    """The Grafana dashboard model (import via Dashboards → New → Import)."""
    panels: list[dict[str, Any]] = []
    y = 0
    next_id = 1
    for row in d.rows:
        panels.append(
            {
                "type": "row",
                "title": row.title,
                "id": next_id,
                "collapsed": False,
                "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
                "panels": [],
            }
        )
        next_id += 1
        y += 1
        width = 24 // len(row.panels)
        for i, p in enumerate(row.panels):
            panels.append(
                {
                    "type": p.kind,
                    "title": p.title,
                    "description": p.description,
                    "id": next_id,
                    "datasource": _DS,
                    "gridPos": {"h": 8, "w": width, "x": i * width, "y": y},
                    "fieldConfig": {"defaults": {"unit": p.unit}, "overrides": []},
                    "targets": [
                        {
                            "refId": chr(ord("A") + n),
                            "datasource": _DS,
                            "expr": expr,
                            "legendFormat": legend,
                        }
                        for n, (expr, legend) in enumerate(p.exprs)
                    ],
                }
            )
            next_id += 1
        y += 8
    variables: list[dict[str, Any]] = [
        {"name": "datasource", "label": "Prometheus", "type": "datasource", "query": "prometheus"}
    ]
    if d.node_variable:
        variables.append(
            {
                "name": "node",
                "label": "Node",
                "type": "custom",
                "query": "ggk,vecozo,hub",
                "current": {"text": "ggk", "value": "ggk"},
                "options": [],
            }
        )
    return {
        "uid": d.uid,
        "title": d.title,
        "description": d.description,
        "tags": ["isd-hub"],
        "schemaVersion": 39,
        "editable": True,
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "30s",
        "templating": {"list": variables},
        "panels": panels,
    }
