"""A real Prometheus (Debian's) scrapes the core and both adapters during a short load; every
PromQL expression of every dashboard panel and alert rule evaluates without error and returns
data (an alert's measured signal; its threshold need not be crossed)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from hub.domain import xmlcodec
from hub.domain.parties import load_parties, new_token
from hub.infra import store
from hub.infra.embedded import free_port
from hub.infra.kafka import topic_admin
from hub.ops import dashboards, demo_dates
from hub.settings import Settings
from tests.e2e.stack import child_secret, terminate

pytestmark = pytest.mark.e2e

PROMETHEUS = shutil.which("prometheus")
GEMEENTE, PROVIDER = "0363", "65656055"
FIXTURES = Path(__file__).parents[1] / "fixtures" / "iwmo-3.2"
WMO301 = (FIXTURES / "WMO301.xml").read_bytes()
WMO302 = (FIXTURES / "WMO302.xml").read_bytes()
WMO305 = (FIXTURES / "WMO305.xml").read_bytes()


def _today(payload: bytes, identificatie: str) -> bytes:
    """The sample dated today (Amsterdam): a toewijzing that starts today and a start of care
    on it sent the same day, so the sleutelmomenten panels and alert see an on-time start."""
    today = datetime.now(ZoneInfo("Europe/Amsterdam")).date()
    line = demo_dates.Line(begindatum=today, einddatum=today)
    timeline = demo_dates.Timeline(
        today=today, toewijzingsdatum=today, toewijzingstijd="09:00:00", ingangsdatum=today,
        einddatum=today + timedelta(days=180), lines=(line, line), stops=False,
        adjust_after=None, adjusted_tijd="10:00:00", reden_wijziging="07",
    )  # fmt: skip
    root = xmlcodec.parse_message(payload)
    demo_dates.redate(root, timeline)
    ident = next(e for e in root.iter() if xmlcodec.local_name(e) == "Identificatie")
    ident.text = identificatie
    return xmlcodec.serialize(root)


def _toewijzing(n: int) -> bytes:
    root = xmlcodec.parse_message(WMO301)
    ident = next(e for e in root.iter() if xmlcodec.local_name(e) == "Identificatie")
    ident.text = f"P{n:011d}"
    return xmlcodec.serialize(root)


def _wait_ready(url: str, proc: subprocess.Popen[bytes], path: str = "/readyz") -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"{url} exited"
        try:
            if httpx.get(url + path, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not become ready")


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    terminate(procs)


def _query(prom: str, expr: str) -> tuple[str, list[object]]:
    """(error or '', result) of an instant query."""
    body = httpx.get(f"{prom}/api/v1/query", params={"query": expr}, timeout=10).json()
    if body.get("status") != "success":
        return str(body.get("error")), []
    return "", list(body["data"]["result"])


def _dashboard_exprs() -> list[str]:
    found = []
    for d in dashboards.DASHBOARDS:
        for expr in d.exprs():
            found.append(expr.replace(dashboards.RATE, "1m").replace("$node", "ggk"))
    return found


@pytest.mark.skipif(
    PROMETHEUS is None,
    reason="prometheus not installed: `make observability-tools` installs Debian's prometheus",
)
async def test_every_panel_and_rule_query_returns_data_from_a_running_hub(
    settings: Settings,
    pool: store.Pool,
    database_url: str,
    workdir: Path,
    processes: list[subprocess.Popen[bytes]],
) -> None:
    assert PROMETHEUS is not None
    assert settings.kafka_bootstrap is not None
    await topic_admin.ensure_topics(settings, settings.kafka_bootstrap)
    await store.upsert_parties(pool, list(load_parties(settings.parties_file)))
    tokens = {code: new_token() for code in (GEMEENTE, PROVIDER)}
    for code, token in tokens.items():
        await store.add_token(pool, code, token)
    ports = {"core": free_port(), "ggk": free_port(), "vecozo": free_port()}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "OTEL_"))}
    env.update(
        HUB_KAFKA_BOOTSTRAP=settings.kafka_bootstrap,
        HUB_DATABASE_URL=database_url,
        HUB_TOPIC_PREFIX=settings.topic_prefix,
        HUB_CONSUMER_GROUP=settings.consumer_group,
        HUB_PARTITIONS=str(settings.partitions),
        HUB_CORE_PORT=str(ports["core"]),
        HUB_GGK_PORT=str(ports["ggk"]),
        HUB_VECOZO_PORT=str(ports["vecozo"]),
        HUB_LOG_LEVEL="WARNING",
        HUB_CONSUMER_SESSION_TIMEOUT_MS=str(settings.consumer_session_timeout_ms),
        HUB_PERSON_KEY_SECRET=child_secret(settings),
    )
    for name, argv in (("core", ["core"]), ("ggk", ["adapter", "ggk"]),
                       ("vecozo", ["adapter", "vecozo"])):  # fmt: skip
        proc = subprocess.Popen([sys.executable, "-m", "hub", *argv], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        processes.append(proc)
        _wait_ready(f"http://127.0.0.1:{ports[name]}", proc)

    prom_dir = workdir / f"prometheus-{settings.topic_prefix}"
    prom_dir.mkdir()
    jobs = {
        "core": "isd-hub-core",
        "ggk": "isd-hub-adapter-ggk",
        "vecozo": "isd-hub-adapter-vecozo",
    }
    scrape = "\n".join(
        f"  - job_name: {jobs[n]}\n    static_configs:\n      - targets: ['127.0.0.1:{p}']"
        for n, p in ports.items()
    )
    (prom_dir / "prometheus.yml").write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        f"rule_files:\n  - {dashboards.ROOT / 'prometheus' / 'alerts.yml'}\n"
        f"scrape_configs:\n{scrape}\n"
    )
    prom_port = free_port()
    prom = f"http://127.0.0.1:{prom_port}"
    processes.append(
        subprocess.Popen(
            [
                PROMETHEUS,
                f"--config.file={prom_dir / 'prometheus.yml'}",
                f"--storage.tsdb.path={prom_dir / 'data'}",
                f"--web.listen-address=127.0.0.1:{prom_port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    )
    _wait_ready(prom, processes[-1], "/-/ready")

    # A short load: routed toewijzingen, a duplicate (rejected, 9056 retour), a retour that
    # links, the same retour again (dead-lettered), a refused upload, downloads, and a
    # toewijzing dated today whose start of care follows on time (a sleutelmoment).
    ggk, vecozo = f"http://127.0.0.1:{ports['ggk']}", f"http://127.0.0.1:{ports['vecozo']}"
    gemeente = {"Authorization": f"Bearer {tokens[GEMEENTE]}"}
    provider = {"Authorization": f"Bearer {tokens[PROVIDER]}"}
    async with httpx.AsyncClient(timeout=30) as client:
        for payload in [WMO301, WMO301, *(_toewijzing(n) for n in range(30)),
                        _today(WMO301, "T00000000001")]:  # fmt: skip
            r = await client.post(f"{ggk}/v1/messages", content=payload, headers=gemeente)
            assert r.status_code == 202, r.text
        r = await client.post(f"{ggk}/v1/messages", content=b"<broken", headers=gemeente)
        assert r.status_code == 400
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if await pool.fetchval("SELECT count(*) FROM delivery") >= 33:
                break
            time.sleep(0.2)
        for _ in range(2):
            r = await client.post(f"{vecozo}/v1/messages", content=WMO302, headers=provider)
            assert r.status_code == 202, r.text
        start = _today(WMO305, "T00000000002")
        r = await client.post(f"{vecozo}/v1/messages", content=start, headers=provider)
        assert r.status_code == 202, r.text
        for base, headers in ((vecozo, provider), (ggk, gemeente)):
            inbox = (await client.get(f"{base}/v1/inbox", headers=headers)).json()
            assert inbox
            for entry in inbox[:5]:
                got = await client.get(f"{base}/v1/inbox/{entry['id']}", headers=headers)
                assert got.status_code == 200

        exprs = _dashboard_exprs() + [a.signal for a in dashboards.ALERTS]
        deadline = time.monotonic() + 90
        missing: dict[str, str] = {}
        while time.monotonic() < deadline:
            missing = {}
            for expr in exprs:
                error, result = _query(prom, expr)
                if error or not result:
                    missing[expr] = error or "no data"
            if not missing or any(e != "no data" for e in missing.values()):
                break
            time.sleep(2)
        assert not missing, missing
        for alert in dashboards.ALERTS:  # the full expressions evaluate (they need not fire)
            error, _ = _query(prom, alert.expr)
            assert not error, (alert.name, error)
        rules = httpx.get(f"{prom}/api/v1/rules", timeout=10).json()["data"]["groups"]
        unhealthy = [(r["name"], r.get("lastError")) for g in rules for r in g["rules"]
                     if r["health"] not in ("ok", "unknown")]  # fmt: skip
        assert not unhealthy
        assert {r["name"] for g in rules for r in g["rules"]} == {a.name for a in dashboards.ALERTS}
