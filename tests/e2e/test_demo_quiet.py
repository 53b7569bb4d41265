"""`hub demo` against a real stack is quiet: a real Prometheus scraping it finds the hub's own
error-ratio and dead-letter alerts not firing, the ledger holds no rejected or dead-lettered
demo message, and the demo's "refused" count is truthful (0)."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hub.infra import store
from hub.infra.embedded import free_port
from hub.ops import dashboards
from hub.ops.dashboards.alerts import ALERTS
from hub.ops.demo import demo_party_codes
from hub.settings import Settings
from tests.e2e.stack import hub_env, prepare, running, terminate

pytestmark = pytest.mark.e2e

PROMETHEUS = shutil.which("prometheus")
RUN_S = 15.0  # the demo's traffic (~50 uploads); a trajectory is six messages
# The alerts the demo must not trip; the others watch clocks (retours overdue) or processes.
QUIET = ("IsdHubErrorRatioHigh", "IsdHubDeadLettersWaiting")
_REPORT = re.compile(r"^demo: (\d+) uploaded, (\d+) downloaded, (\d+) refused", re.M)


@pytest.fixture
def prometheus_procs() -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    terminate(procs)


def _prometheus(directory: Path, targets: dict[str, int]) -> tuple[subprocess.Popen[bytes], str]:
    assert PROMETHEUS is not None
    directory.mkdir(parents=True)
    scrape = "\n".join(
        f"  - job_name: isd-hub-{name}\n    static_configs:\n      - targets: ['127.0.0.1:{port}']"
        for name, port in targets.items()
    )
    (directory / "prometheus.yml").write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        f"rule_files:\n  - {dashboards.ROOT / 'prometheus' / 'alerts.yml'}\n"
        f"scrape_configs:\n{scrape}\n"
    )
    port = free_port()
    proc = subprocess.Popen(
        [
            PROMETHEUS,
            f"--config.file={directory / 'prometheus.yml'}",
            f"--storage.tsdb.path={directory / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "prometheus exited"
        try:
            if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("prometheus did not become ready")


def _query(prom: str, expr: str) -> list[object]:
    body = httpx.get(f"{prom}/api/v1/query", params={"query": expr}, timeout=10).json()
    assert body.get("status") == "success", (expr, body.get("error"))
    return list(body["data"]["result"])


@pytest.mark.skipif(
    PROMETHEUS is None,
    reason="prometheus not installed: `make observability-tools` installs Debian's prometheus",
)
async def test_demo_traffic_trips_no_alert_and_nothing_is_rejected(
    settings: Settings,
    pool: store.Pool,
    database_url: str,
    workdir: Path,
    prometheus_procs: list[subprocess.Popen[bytes]],
) -> None:
    tokens = await prepare(settings, pool, demo_party_codes())
    tokens_file = workdir / f"demo-tokens-{settings.topic_prefix}.json"
    tokens_file.write_text(json.dumps(tokens))
    env = hub_env(settings, database_url)
    with running(env) as stack:
        ports = {name: proc.port for name, proc in stack.procs.items()}
        proc, prom = _prometheus(workdir / f"prom-{settings.topic_prefix}", ports)
        prometheus_procs.append(proc)
        demo_env = {
            **env,
            "HUB_DEMO_TOKENS_FILE": str(tokens_file),
            "HUB_GGK_PORT": str(ports["ggk"]),
            "HUB_VECOZO_PORT": str(ports["vecozo"]),
        }
        demo = subprocess.Popen(
            [sys.executable, "-m", "hub", "demo", "--interval", "0.1"],
            env=demo_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            time.sleep(RUN_S)
        finally:
            demo.send_signal(signal.SIGTERM)
            out, _ = demo.communicate(timeout=60)
        # Let the core finish what the demo sent, sample its ledger gauges (every 10 s) and
        # Prometheus scrape them.
        time.sleep(12)

        reports = _REPORT.findall(out)
        assert reports, out
        uploaded, downloaded, refused = (int(n) for n in reports[-1])
        assert uploaded >= 12, out
        assert downloaded >= 12, out

        # The alerts' own expressions, on what Prometheus scraped: quiet, and not for want of
        # data (the intake rate they divide by is there).
        assert _query(prom, 'sum(rate(isdhub_messages_total{stage="intake"}[10m])) > 0')
        assert _query(prom, "max(isdhub_dead_letters_open)")
        for alert in ALERTS:
            if alert.name in QUIET:
                assert _query(prom, alert.expr) == [], alert.name

        rows = await pool.fetch(
            "SELECT status, message_type, count(*) AS n FROM message GROUP BY 1, 2 ORDER BY 1, 2"
        )
        statuses = {(r["status"], r["message_type"]): r["n"] for r in rows}
        findings = await pool.fetch(
            "SELECT DISTINCT m.message_type, f.rule, f.retourcode FROM finding f "
            "JOIN message m ON m.id = f.message_id WHERE m.status <> 'accepted'"
        )
        dead = await pool.fetch(
            "SELECT stage, error, reason, count(*) AS n FROM dead_letter GROUP BY 1, 2, 3"
        )
        bad = {k: n for k, n in statuses.items() if k[0] != "accepted"}
        why = ([tuple(f) for f in findings], [tuple(d) for d in dead])
        assert not bad, (bad, why)
        assert not dead, why
        routed = {t for (status, t) in statuses if status == "accepted"}
        assert {"WMO301", "WMO302", "WMO305", "WMO306", "WMO307", "WMO308"} <= routed, statuses
        assert refused == 0, out
