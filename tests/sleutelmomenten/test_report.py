"""`hub report sleutelmomenten` over rows inserted on the real PostgreSQL: on-time shares, medians
and 90th percentiles against hand-computed values, the filters, the CSV against the HTML, no
network reference and no person data in the page, a bad date and an empty period."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from html import escape, unescape
from pathlib import Path

import asyncpg
import pytest

from hub.domain.sleutelmomenten import SPECS, Measurement, Moment, Outcome, Source
from hub.domain.sleutelmomenten.report import Report
from hub.infra import store
from hub.infra.store import sleutelmomenten as moments_store
from hub.infra.store.sleutelmomenten_report import read
from hub.ops.cli.main import main
from hub.ops.report import csvfile, html
from tests.conftest import _migrated_template, _url

START, END = date(2025, 3, 1), date(2025, 4, 30)
A1, A2 = "12345678", "87654321"
KEYS = {
    A1: "3f2a9c1e" + "0123456789abcdef01234567",
    A2: "7b7d55aa" + "fedcba9876543210fedcba98",
}
NOW = datetime(2025, 5, 1, 9, 0, tzinfo=UTC)


def _m(
    moment: Moment,
    outcome: Outcome,
    gemeente: str,
    aanbieder: str,
    werkdagen: int | None,
    arrived: date | None,
    reference_date: date = date(2025, 2, 20),
    nummer: str = "",
    domain: str = "iwmo",
) -> Measurement:
    return Measurement(
        moment=moment,
        outcome=outcome,
        source=Source.LIVE,
        domain=domain,
        gemeente=gemeente,
        aanbieder=aanbieder,
        person_key=KEYS[aanbieder],
        toewijzing_nummer=nummer or f"T{werkdagen}",
        reference="",
        reference_date=reference_date,
        arrived=arrived,
        werkdagen=werkdagen,
        deadline=SPECS[moment].deadline,
        message_id=None if outcome is Outcome.OPEN else uuid.uuid4(),
        about_id=None,
        line="/1",
    )


MARCH, APRIL = date(2025, 3, 12), date(2025, 4, 8)
S, ON, LATE = Moment.START, Outcome.ON_TIME, Outcome.LATE
ROWS = [
    # start, March, 0363 / A1: 0, 2, 5 on time, 7 and 12 late.
    *(_m(S, ON, "0363", A1, w, MARCH) for w in (0, 2, 5)),
    *(_m(S, LATE, "0363", A1, w, MARCH) for w in (7, 12)),
    # start, March, 0599 / A2: 1 on time, 20 late, one implausible (not in the percentiles).
    _m(S, ON, "0599", A2, 1, MARCH),
    _m(S, LATE, "0599", A2, 20, MARCH),
    _m(S, Outcome.IMPLAUSIBLE, "0599", A2, 400, MARCH),
    # start, April, 0363 / A2: three on time; one open row of 0363 / A1 whose clock ran in April.
    *(_m(S, ON, "0363", A2, 3, APRIL, nummer=f"T3{i}") for i in range(3)),
    _m(S, Outcome.OPEN, "0363", A1, None, None, reference_date=date(2025, 4, 10), nummer="TOPEN"),
    # Outside the period: arrived in May, an open row from June.
    _m(S, LATE, "0363", A1, 99, date(2025, 5, 2)),
    _m(S, Outcome.OPEN, "0363", A1, None, None, reference_date=date(2025, 6, 2), nummer="TX"),
    # No deadline: 4 and 10 werkdagen.
    *(_m(Moment.TOEWIJZINGSDATUM, Outcome.MEASURED, "0363", A1, w, MARCH) for w in (4, 10)),
    # stop, 0363 / A1 in both domains: the Wmo team's two on time, the Jeugd team's one late.
    *(_m(Moment.STOP, ON, "0363", A1, w, MARCH, nummer=f"W{w}") for w in (1, 2)),
    _m(Moment.STOP, LATE, "0363", A1, 9, APRIL, nummer="J9", domain="ijw"),
]


@pytest.fixture(scope="module")
async def db(postgres_admin: str) -> AsyncIterator[tuple[str, store.Pool]]:
    """One migrated database for the module, holding ROWS (and one conflict when 0021 is in)."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    template = await _migrated_template(postgres_admin)
    admin = await asyncpg.connect(postgres_admin)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await admin.close()
    url = _url(postgres_admin, name)
    pool = await store.create_pool(url)
    await store.migrate(pool)
    async with pool.acquire() as conn:
        await moments_store.insert(conn, ROWS)
        if await conn.fetchval("SELECT to_regclass('productperiode_conflict')") is not None:
            await conn.execute(
                """INSERT INTO productperiode_conflict (raised_at, domain, gemeente, aanbieder,
                   person_key, toewijzing_nummer, einddatum, previous_einddatum, declaratie,
                   referentie_nummers, periode_begin, periode_eind, relation, message_id)
                   VALUES ($1, 'iwmo', '0363', $2, $3, 'TW-CONFLICT', '2025-03-15', NULL,
                           'DECL-0001', '{R1,R2}', '2025-03-01', '2025-03-31', 'partly', $4)""",
                datetime(2025, 3, 20, 10, 0, tzinfo=UTC), A1, KEYS[A1], uuid.uuid4(),
            )  # fmt: skip
    yield url, pool
    await pool.close()
    admin = await asyncpg.connect(postgres_admin)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def _one(
    report: Report, moment: Moment, by: str, group: str, month: date | None, domain: str = ""
) -> dict[str, object]:
    found = [
        f for f in report.figures
        if f.moment == moment and f.by == by and f.group == group and f.month == month
        and (not domain or f.domain == domain)
    ]  # fmt: skip
    assert len(found) == 1, found
    f = found[0]
    return {
        "share": None if f.on_time_share is None else round(100 * f.on_time_share, 1),
        "median": f.median, "p90": None if f.p90 is None else round(f.p90, 6),
        "on_time": f.on_time, "late": f.late, "measured": f.measured, "open": f.open,
        "implausible": f.implausible,
    }  # fmt: skip


async def test_figures_are_the_hand_computed_ones(db: tuple[str, store.Pool]) -> None:
    report = await read(db[1], START, END)
    march = _one(report, S, "all", "", date(2025, 3, 1))
    # [0, 1, 2, 5, 7, 12, 20]: median 5; p90 at 0.9 * 6 = 5.4 -> 12 + 0.4 * (20 - 12) = 15.2.
    assert march == {"share": 57.1, "median": 5.0, "p90": 15.2, "on_time": 4, "late": 3,
                     "measured": 0, "open": 0, "implausible": 1}  # fmt: skip
    # [0, 2, 5, 7, 12]: median 5, p90 at 3.6 -> 7 + 0.6 * 5 = 10.
    assert _one(report, S, "aanbieder", A1, date(2025, 3, 1))["p90"] == 10.0
    gemeente = _one(report, S, "gemeente", "0363", None)
    # [0, 2, 3, 3, 3, 5, 7, 12]: median 3, p90 at 6.3 -> 7 + 0.3 * 5 = 8.5; the April open row.
    assert gemeente == {"share": 75.0, "median": 3.0, "p90": 8.5, "on_time": 6, "late": 2,
                        "measured": 0, "open": 1, "implausible": 0}  # fmt: skip
    april = _one(report, S, "all", "", date(2025, 4, 1))
    assert (april["on_time"], april["open"], april["median"]) == (3, 1, 3.0)
    nodeadline = _one(report, Moment.TOEWIJZINGSDATUM, "all", "", None)
    assert nodeadline["share"] is None
    assert (nodeadline["median"], nodeadline["p90"]) == (7.0, 9.4)
    # The worst start rows, latest first; the May row is outside the period.
    assert [w.werkdagen for w in report.worst if w.moment == S] == [20, 12, 7]
    assert {w.person for w in report.worst} <= {k[:8] for k in KEYS.values()}


async def test_filters(db: tuple[str, store.Pool]) -> None:
    one = await read(db[1], START, END, gemeente="0599")
    assert {f.group for f in one.figures if f.by == "gemeente"} == {"0599"}
    # [1, 20]: median 10.5, p90 1 + 0.9 * 19 = 18.1.
    assert _one(one, S, "all", "", None) == {"share": 50.0, "median": 10.5, "p90": 18.1,
        "on_time": 1, "late": 1, "measured": 0, "open": 0, "implausible": 1}  # fmt: skip
    two = await read(db[1], START, END, aanbieder=A2)
    assert {f.group for f in two.figures if f.by == "aanbieder"} == {A2}
    assert _one(two, S, "all", "", None)["on_time"] == 4
    assert not [w for w in two.worst if w.aanbieder != A2]
    assert not (await read(db[1], START, END, gemeente="0599", aanbieder=A1)).figures


async def test_a_gemeentes_wmo_and_jeugd_figures_stay_apart(db: tuple[str, store.Pool]) -> None:
    report = await read(db[1], START, END)
    stop = Moment.STOP
    assert {(f.domain, f.group) for f in report.of(stop, "gemeente")} == {
        ("iwmo", "0363"), ("ijw", "0363"),
    }  # fmt: skip
    wmo = _one(report, stop, "gemeente", "0363", None, "iwmo")
    assert (wmo["share"], wmo["on_time"], wmo["late"]) == (100.0, 2, 0)
    jeugd = _one(report, stop, "aanbieder", A1, None, "ijw")
    assert (jeugd["share"], jeugd["on_time"], jeugd["late"], jeugd["median"]) == (0.0, 0, 1, 9.0)
    assert _one(report, stop, "all", "", None)["share"] == 66.7  # over both: no team's own
    assert {f.domain for f in report.figures if f.by == "all"} == {""}
    only = await read(db[1], START, END, domain="ijw")
    assert {(f.moment, f.domain) for f in only.figures if f.by != "all"} == {(stop, "ijw")}
    assert _one(only, stop, "all", "", None)["late"] == 1
    assert not [w for w in only.worst if w.domain != "ijw"]
    page = html.render(report, NOW)
    section = page.split('<section id="stop">', 1)[1].split("</section>", 1)[0]
    per_gemeente = section.split("<h3>Per gemeente</h3>", 1)[1].split("</table>", 1)[0]
    assert '<th class="l" scope="col">domain</th>' in per_gemeente
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", r)[:4] for r in per_gemeente.split("<tr>")[2:]]
    assert cells == [["ijw", "0363", "0.0", "9.0"], ["iwmo", "0363", "100.0", "1.5"]]
    rows = list(csv.DictReader(io.StringIO(csvfile.render(only))))
    assert {r["domain"] for r in rows} == {"ijw"}


def _html_numbers(page: str, moment: Moment) -> list[list[str]]:
    """The "Per month" table of a moment's section, as cell texts."""
    section = page.split(f'<section id="{moment.value}">', 1)[1].split("</section>", 1)[0]
    table = section.split("<h3>Per month</h3>", 1)[1].split("</table>", 1)[0]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in table.split("<tr>")[2:]]


async def test_csv_matches_the_html(db: tuple[str, store.Pool]) -> None:
    report = await read(db[1], START, END)
    page = html.render(report, NOW)
    rows = list(csv.DictReader(io.StringIO(csvfile.render(report))))
    assert rows
    assert set(rows[0]) == set(csvfile.COLUMNS)
    for moment in (S, Moment.TOEWIJZINGSDATUM):
        from_csv = [
            [r["month"], r["on_time_pct"], r["median_werkdagen"], r["p90_werkdagen"],
             r["on_time"], r["late"], r["measured"], r["open"], r["implausible"]]
            for r in rows if r["moment"] == moment.value and r["by"] == "all"
        ]  # fmt: skip
        assert from_csv == _html_numbers(page, moment)
    march = next(
        r for r in rows if r["moment"] == "start" and r["by"] == "all" and r["month"] == "2025-03"
    )
    assert (march["on_time_pct"], march["median_werkdagen"], march["p90_werkdagen"]) == (
        "57.1",
        "5.0",
        "15.2",
    )
    assert {r["on_time_pct"] for r in rows if r["moment"] == "toewijzingsdatum"} == {"no deadline"}
    assert {r["by"] for r in rows} == {"all", "gemeente", "aanbieder"}


async def test_the_page_is_offline_and_without_person_data(db: tuple[str, store.Pool]) -> None:
    page = html.render(await read(db[1], START, END), NOW)
    assert "http://" not in page
    assert "https://" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(//|[a-z]+:)""", page, re.I)
    assert "<script" not in page.lower()
    assert "@import" not in page
    assert "url(" not in page
    for key in KEYS.values():
        assert key not in page
        assert key[:8] in page
    for spec in SPECS.values():
        assert escape(spec.title) in page
        assert escape(spec.clock[1:]) in page
    assert page.count("<svg") >= 4
    assert "<title" in page


async def test_an_empty_period_says_so(db: tuple[str, store.Pool]) -> None:
    report = await read(db[1], date(2020, 1, 1), date(2020, 2, 1))
    assert report.empty
    page = html.render(report, NOW)
    assert "Nothing measured in this period" in page
    assert "None in this period" in page
    assert csvfile.render(report).strip() == ",".join(csvfile.COLUMNS)


def test_the_command(db: tuple[str, store.Pool], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                     capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    monkeypatch.setenv("HUB_DATABASE_URL", db[0])
    out = tmp_path / "r.csv"
    args = ["report", "sleutelmomenten", "--from", "2025-03-01", "--to", "2025-04-30"]
    assert main([*args, "--gemeente", "0599", "--format", "csv", "--out", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert {r["group"] for r in rows if r["by"] == "gemeente"} == {"0599"}
    assert main([*args, "--domain", "ijw", "--format", "csv", "--out", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert {(r["moment"], r["domain"]) for r in rows} == {("stop", "ijw")}
    page = tmp_path / "r.html"
    assert main([*args, "--out", str(page)]) == 0
    assert "<svg" in page.read_text(encoding="utf-8")
    empty = ["report", "sleutelmomenten", "--from", "2020-01-01", "--to", "2020-01-31"]
    assert main([*empty, "--out", str(page)]) == 0
    assert "Nothing measured" in page.read_text(encoding="utf-8")
    capsys.readouterr()
    for bad, reason in ((["--from", "2025-02-30"], "day is out of range"),
                        (["--from", "2025-05-01"], "is after --to"),
                        (["--domain", "wmo"], "invalid choice")):  # fmt: skip
        with pytest.raises(SystemExit) as exited:
            main([*args, *bad, "--out", str(page)])
        assert exited.value.code == 2
        assert reason in capsys.readouterr().err


CHROMIUM = shutil.which("chromium")
# Added to a copy of the page only (the report has no script): each chart's and table's size as
# Chromium laid it out, written into the DOM that --dump-dom prints.
PROBE = """<script>
const size = e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; };
document.body.dataset.svgs = JSON.stringify([...document.querySelectorAll("svg")].map(size));
document.body.dataset.tables = JSON.stringify([...document.querySelectorAll("table")].map(size));
</script>"""


def _chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         # Every outside name unresolvable: the page must render without the network.
         "--host-resolver-rules=MAP * ~NOTFOUND",
         f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip


@pytest.mark.skipif(CHROMIUM is None, reason="Debian `chromium` is not installed (CI has it)")
async def test_chromium_shows_the_charts_and_tables(
    db: tuple[str, store.Pool], tmp_path: Path
) -> None:
    page = html.render(await read(db[1], START, END), NOW)
    report = tmp_path / "report.html"
    report.write_text(page, encoding="utf-8")
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", f"{PROBE}</body>"), encoding="utf-8")
    dom = _chromium(tmp_path / "profile", "--dump-dom", probe.as_uri()).stdout
    found = {k: json.loads(unescape(v)) for k, v in re.findall(r'data-(\w+)="([^"]*)"', dom)}
    assert len(found["svgs"]) == page.count("<svg") >= 4
    assert len(found["tables"]) == page.count("<table") >= 5
    assert all(w > 100 and h > 50 for w, h in found["svgs"]), found["svgs"]
    assert all(w > 0 and h > 0 for w, h in found["tables"]), found["tables"]
    shot = tmp_path / "report.png"
    _chromium(
        tmp_path / "profile", f"--screenshot={shot}", "--window-size=1200,1600", report.as_uri()
    )
    png = shot.read_bytes()
    assert png.startswith(b"\x89PNG")
    assert len(png) > 20_000  # a page of text, tables and bars, not a blank one
