"""Imported history is measured (issue #19): `hub history import` measures each applied
message's sleutelmomenten against its Dagtekening, source import; a second import of the same
files adds nothing, a CSV row (no message date) is not measured."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Final

import pytest
from lxml import etree

from handlers import sleutelmomenten
from hub.domain.eigenbijdrage.policy import DEMO_FILE, load_policy
from hub.domain.validation import Validator
from hub.domain.xmlcodec import child, serialize
from hub.infra import metrics, store
from hub.ops.historyimport.run import Progress, Result, run_import, summary
from tests import packkit
from tests.history._build import message

SECRET: Final = b"import-moments-secret"


def _dated(root: etree._Element, dagtekening: str) -> etree._Element:
    ident = child(child(root, "Header"), "BerichtIdentificatie")
    day = child(ident, "Dagtekening")
    assert day is not None
    day.text = dagtekening
    return root


def _export(folder: Path) -> list[Path]:
    """The fixtures' history of toewijzingen 300201 and 300202 (Ingangsdatum 2025-04-01,
    Einddatum 2025-12-31; begun 04-01 and 04-03, stopped 07-18), in files named against the
    chain's order: 301 sent 2025-03-24, 305 on 2025-04-09, 307 on 2025-07-21."""
    folder.mkdir()
    roots = {
        "a-307.xml": _dated(message("WMO307"), "2025-07-21"),
        "b-305.xml": _dated(message("WMO305"), "2025-04-09"),
        "c-301.xml": _dated(message("WMO301"), "2025-03-24"),
    }
    for name, root in roots.items():
        (folder / name).write_bytes(serialize(root))
    return [folder / name for name in roots]


async def _import(pool: store.Pool, *paths: Path, batch: int = 1000) -> Result:
    return await run_import(
        pool, list(paths), Validator(packkit.default_packs()), SECRET, load_policy(DEMO_FILE),
        batch_size=batch, progress=Progress(None),
    )  # fmt: skip


async def _moments(pool: store.Pool) -> dict[tuple[str, str], tuple[object, ...]]:
    rows = await pool.fetch(
        "SELECT moment, toewijzing_nummer, outcome, source, arrived_on, reference_date,"
        " werkdagen FROM sleutelmoment ORDER BY moment, toewijzing_nummer"
    )
    return {(r[0], r[1]): tuple(r[2:]) for r in rows}


def _measured() -> float:
    return sum(
        s.value for m in metrics.SLEUTELMOMENTEN.collect() for s in m.samples
        if s.name.endswith("_total")
    )  # fmt: skip


# One transaction per message (the earlier ones stored) and all in one (measured in order).
@pytest.mark.parametrize("batch", [1, 1000])
async def test_imported_messages_are_measured_against_their_dagtekening(
    pool: store.Pool, tmp_path: Path, batch: int
) -> None:
    live_before = _measured()
    result = await _import(pool, *_export(tmp_path / "export"), batch=batch)
    assert result.problems == []
    found = await _moments(pool)
    i, s, e = date(2025, 4, 1), date(2025, 3, 24), date(2025, 7, 21)
    expected = {
        # Sent 6 werkdagen before the Ingangsdatum (25-28 and 31 March, 1 April): not late.
        ("toewijzing", "300201"): ("on_time", "import", s, i, -6),
        ("toewijzing", "300202"): ("on_time", "import", s, i, -6),
        # The Toewijzingsdatum is the Dagtekening: no deadline, 0 werkdagen.
        ("toewijzingsdatum", "300201"): ("measured", "import", s, s, 0),
        ("toewijzingsdatum", "300202"): ("measured", "import", s, s, 0),
        # 2, 3, 4, 7, 8, 9 April after a Begindatum of 1 April; 4, 7, 8, 9 after 3 April.
        ("start", "300201"): ("late", "import", date(2025, 4, 9), i, 6),
        ("start", "300202"): ("on_time", "import", date(2025, 4, 9), date(2025, 4, 3), 4),
        # Einddatum Friday 18 July, sent Monday 21 July.
        ("stop", "300201"): ("on_time", "import", e, date(2025, 7, 18), 1),
        ("stop", "300202"): ("on_time", "import", e, date(2025, 7, 18), 1),
    }
    assert {k: v for k, v in found.items() if k in expected} == expected
    # A definitive stop before the Einddatum waits for the adjusting 301: open, no arrival.
    assert {k: v[:3] for k, v in found.items() if k not in expected} == {
        ("aanpassing", "300201"): ("open", "import", None),
        ("aanpassing", "300202"): ("open", "import", None),
    }
    assert result.counts.moments == len(found)
    assert f"sleutelmomenten measured: {len(found)}" in summary(result)
    # History is not live traffic: nothing of it in Prometheus.
    assert _measured() == live_before


async def test_a_second_import_adds_no_measurement(pool: store.Pool, tmp_path: Path) -> None:
    paths = _export(tmp_path / "export")
    await _import(pool, *paths)
    before = await pool.fetch("SELECT * FROM sleutelmoment ORDER BY id")
    again = await _import(pool, *paths)
    assert again.counts.unchanged == 3
    assert again.counts.moments == 0
    assert await pool.fetch("SELECT * FROM sleutelmoment ORDER BY id") == before


async def test_csv_rows_are_not_measured(pool: store.Pool, tmp_path: Path) -> None:
    csv = tmp_path / "toewijzingen.csv"
    csv.write_text(
        "domein,gemeente,aanbieder,bsn,toewijzing_nummer,product_categorie,ingangsdatum,"
        "toewijzingsdatum,start_begindatum\n"
        "iwmo,0363,65656055,174285917,300201,02,2025-04-01,2025-03-24,2025-04-01\n"
    )
    result = await _import(pool, csv)
    assert result.counts.imported == {"WMO301": 1, "WMO305": 1}
    assert await pool.fetchval("SELECT count(*) FROM sleutelmoment") == 0


async def test_a_failing_measurement_never_stops_the_import(
    pool: store.Pool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: object) -> None:
        raise RuntimeError("a bug in measuring")

    monkeypatch.setattr(sleutelmomenten, "measure", broken)
    result = await _import(pool, *_export(tmp_path / "export"))
    assert result.problems == []
    assert result.counts.imported == {"WMO301": 1, "WMO305": 1, "WMO307": 1}
    assert await pool.fetchval("SELECT count(*) FROM history_stop") == 2
    assert await pool.fetchval("SELECT count(*) FROM sleutelmoment") == 0
    assert result.counts.unmeasured == 3
    assert "sleutelmomenten measured: 0 (3 messages could not be measured)" in summary(result)
