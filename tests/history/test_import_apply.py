"""`hub history import` on the real PostgreSQL, without the CLI: every kind it takes, the order
the chain sent them in whatever order the files come, each unusable input reported by name and
reason, and a message that contradicts the imported history skipped whole."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from hub.domain.eigenbijdrage.policy import DEMO_FILE, PolicyBook, load_policy
from hub.domain.validation import Validator
from hub.domain.xmlcodec import serialize
from hub.infra import store
from hub.ops.historyimport.run import Progress, Result, run_import
from tests import packkit

from ._build import fixture, message, start, stop
from ._requests import W, aanvraag, antwoord, verzoek

SECRET = b"import-test-secret"


def _write(folder: Path, *roots: etree._Element) -> list[Path]:
    folder.mkdir(exist_ok=True)
    paths = []
    for n, root in enumerate(roots):
        path = folder / f"m{n:03d}.xml"
        path.write_bytes(serialize(root))
        paths.append(path)
    return paths


async def _import(pool: store.Pool, *paths: Path, batch: int = 1000) -> Result:
    policy: PolicyBook = load_policy(DEMO_FILE)
    validator = Validator(packkit.default_packs())
    return await run_import(
        pool, list(paths), validator, SECRET, policy, batch_size=batch, progress=Progress(None)
    )


async def _count(pool: store.Pool, table: str) -> int:
    return int(await pool.fetchval(f"SELECT count(*) FROM {table}"))


async def test_messages_apply_in_the_order_the_chain_sent_them(
    pool: store.Pool, tmp_path: Path
) -> None:
    # Files named against the order of events: the stop first, the toewijzing last.
    paths = _write(
        tmp_path / "export",
        message("WMO307", stop("2025-07-18")),
        message("WMO305", start()),
        message("WMO301"),
    )
    result = await _import(pool, tmp_path / "export", batch=1)  # one transaction per message
    assert result.problems == []
    assert result.counts.imported == {"WMO301": 1, "WMO305": 1, "WMO307": 1}
    assert len(paths) == 3
    assert await _count(pool, "history_toewijzing") == 2
    assert await _count(pool, "history_start") == 1
    assert await _count(pool, "history_stop") == 1
    assert await _count(pool, "history_identificatie") == 3


async def test_requests_and_their_answer_are_imported(pool: store.Pool, tmp_path: Path) -> None:
    # The 317 asks to change toewijzing 300201 of the 301 (which it needs to exist), after
    # the 319 answered the 315 (an open request would refuse it: TR374).
    change = verzoek("REF-2", ongewijzigd=("300202",), te_wijzigen=(W(),), dag="2025-05-20")
    roots = [change, aanvraag("REF-1"), antwoord("REF-1")]
    result = await _import(pool, *_write(tmp_path / "requests", *roots, message("WMO301")))
    assert [p.reason for p in result.problems] == []
    assert result.counts.imported == {"WMO301": 1, "WMO315": 1, "WMO317": 1, "WMO319": 1}
    assert await _count(pool, "history_request") == 2


async def test_each_unusable_input_is_named_with_its_reason(
    pool: store.Pool, tmp_path: Path
) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "a.xml").write_bytes(b"not xml")
    (folder / "b.xml").write_bytes(serialize(fixture("WMO302")))  # a retour
    broken = message("WMO305", start())
    for el in broken.iter("{*}Begindatum"):
        el.text = "yesterday"
    (folder / "c.xml").write_bytes(serialize(broken))
    (folder / "d.xml").write_bytes(b'<Bericht xmlns="urn:nobody:knows"/>')
    result = await _import(pool, folder)
    reasons = {Path(p.name).name: p.reason for p in result.problems}
    assert reasons["a.xml"].startswith("not XML: ")
    assert reasons["b.xml"] == (
        "unknown message type for an import: WMO302 (it takes 301, 305, 307, 315, 317, 319)"
    )
    assert reasons["c.xml"].startswith("fails validation (WMO305): XSD ")
    assert reasons["d.xml"].startswith("unknown message type: ")
    assert result.counts.imported == {}
    assert await _count(pool, "history_identificatie") == 0


async def test_a_contradicting_message_is_skipped_whole(pool: store.Pool, tmp_path: Path) -> None:
    # A 305 with two lines: one on the imported toewijzing, one on a number nobody assigned.
    # The import never applies half a message: neither start is recorded.
    two = message("WMO305", start(), start("2025-04-03", nummer="999999"))
    paths = _write(tmp_path / "export", message("WMO301"), two)
    result = await _import(pool, *paths)
    (problem,) = result.problems
    assert problem.name == str(paths[1])
    assert problem.reason.startswith("contradicts earlier imported history: TR019 (9019) ")
    assert result.counts.contradicting == 1
    assert result.counts.imported == {"WMO301": 1}
    assert await _count(pool, "history_start") == 0
    assert await _count(pool, "history_identificatie") == 1


async def test_a_second_import_changes_nothing(pool: store.Pool, tmp_path: Path) -> None:
    paths = _write(tmp_path / "export", message("WMO301"), message("WMO305", start()))
    first = await _import(pool, *paths)
    assert sum(first.counts.imported.values()) == 2
    before = await pool.fetch("SELECT * FROM history_start ORDER BY begindatum")
    again = await _import(pool, *paths)
    assert again.counts.imported == {}
    assert again.counts.unchanged == 2
    assert again.problems == []
    assert await pool.fetch("SELECT * FROM history_start ORDER BY begindatum") == before


async def test_the_same_message_twice_in_one_import_is_one(
    pool: store.Pool, tmp_path: Path
) -> None:
    (path,) = _write(tmp_path / "export", message("WMO301"))
    copy = tmp_path / "copy.xml"
    copy.write_bytes(path.read_bytes())
    result = await _import(pool, path, copy)
    assert result.problems == []
    assert result.counts.imported == {"WMO301": 1}
    assert result.counts.unchanged == 1
