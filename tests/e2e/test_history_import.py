"""`hub history import` end to end on the real PostgreSQL: a gemeente's exported history (XML
files, a ZIP archive, the toewijzingen CSV) imported by the CLI, then live 305/307 on those
toewijzingen are accepted, through the core's intake and through a running hub (core and
adapters as processes on the real broker); the same traffic without the import is refused with
9019 / 9069 (enforce mode); a second import changes nothing."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

import httpx
import pytest
from lxml import etree

from handlers import intake
from handlers.derive import Derivation
from handlers.eigenbijdrage import EigenBijdrage
from hub.domain import topics, xmlcodec
from hub.domain.decide import Incoming
from hub.domain.eigenbijdrage.policy import load_policy
from hub.domain.messages import Node
from hub.infra import store
from hub.infra.runtime import Runtime
from hub.settings import Settings
from tests.e2e.stack import GEMEENTE, PROVIDER, running
from tests.history._build import OTHER_BSN, message, start, stop

AANBIEDER = "65656055"
CSV = (
    "domein;gemeente;aanbieder;bsn;toewijzing_nummer;product_categorie;product_code;"
    "ingangsdatum;toewijzingsdatum;toewijzingstijd;start_begindatum\n"
    f"iwmo;0363;{AANBIEDER};{OTHER_BSN};300900;02;02A04;2025-02-01;2025-01-20;09:00:00;2025-02-03\n"
    f"iwmo;0363;{AANBIEDER};{OTHER_BSN};300901;02;02A04;2025-02-30;2025-01-20;09:00:00;\n"
)
# Every table the import writes, each in a stable order, to compare before and after.
_TABLES = {
    "history_identificatie": "afzender, berichtsoort, identificatie",
    "history_toewijzing": "gemeente, aanbieder, person_key, domain, toewijzing_nummer",
    "history_start": "gemeente, aanbieder, person_key, toewijzing_nummer, begindatum",
    "history_stop": "gemeente, aanbieder, person_key, toewijzing_nummer, begindatum, einddatum",
    "eb_start": "gemeente, person_key, route, toewijzing_nummer, begindatum",
    "eb_stop": "gemeente, person_key, route, toewijzing_nummer, begindatum, einddatum",
    "eb_melding": "gemeente, person_key, begindatum",
}


def _export(folder: Path) -> Path:
    """A gemeente's export: its 301 as a file, the provider's 305 (300201 started) in a ZIP
    with a member that is no message, a file that is not XML, and the CSV."""
    folder.mkdir()
    (folder / "301.xml").write_bytes(xmlcodec.serialize(message("WMO301", identificatie="H-301")))
    with zipfile.ZipFile(folder / "starts.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("305.xml", xmlcodec.serialize(message("WMO305", start(), identificatie="H-305")))
        z.writestr("readme.txt", b"exported by the gemeente's system")
    (folder / "notes.xml").write_bytes(b"this is not xml")
    (folder / "toewijzingen.csv").write_text(CSV, encoding="utf-8")
    return folder


def _hub(
    database_url: str, settings: Settings, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full = {
        k: v for k, v in os.environ.items() if not k.startswith("HUB_")
    } | {
        "HUB_DATABASE_URL": database_url,
        "HUB_DATA_DIR": str(settings.data_dir),
        "HUB_PERSON_KEY_SECRET": settings.person_key_secret.get_secret_value(),
    } | (env or {})  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "hub", *args],
        env=full, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


async def _live(
    runtime: Runtime, root: etree._Element, derivations: Sequence[Derivation] = ()
) -> UUID:
    """One message from the provider through the core's intake (broker-less, real PostgreSQL)."""
    item = Incoming(
        id=uuid4(),
        node="vecozo",
        party=AANBIEDER,
        received_at=datetime(2025, 7, 21, 9, 30, tzinfo=UTC),
        payload=xmlcodec.serialize(root),
        partition=0,
        offset=1,
        topic="t.ingress",
    )
    await intake.process(runtime, intake.build_context(runtime), [item], derivations)
    return item.id


async def _outcome(pool: store.Pool, message_id: UUID) -> tuple[str, list[str]]:
    """The message's status and the RetourCodes of its retour's product lines."""
    row = await pool.fetchrow("SELECT status, retour_id FROM message WHERE id = $1", message_id)
    assert row is not None
    codes: list[str] = []
    if row["retour_id"] is not None:
        payload = await pool.fetchval("SELECT payload FROM message WHERE id = $1", row["retour_id"])
        root = xmlcodec.parse_message(bytes(payload))
        for line in root.iter("{*}StartProduct", "{*}StopProduct"):
            codes.extend(e.text or "" for e in line.iter("{*}RetourCode"))
    return str(row["status"]), codes


def _live_traffic() -> tuple[etree._Element, etree._Element, etree._Element]:
    """A start of 300202 (toewijzing from the 301), a stop of the start of 300201 (from the
    305), a stop of the CSV's start of 300900 (another client)."""
    return (
        message("WMO305", start("2025-04-03", nummer="300202", categorie="01", code="01A01")),
        message("WMO307", stop("2025-07-18")),
        message(
            "WMO307",
            stop("2025-07-18", begin="2025-02-03", nummer="300900"),
            bsn=OTHER_BSN,
        ),
    )


async def _snapshot(pool: store.Pool) -> dict[str, list[tuple[object, ...]]]:
    return {
        table: [tuple(r) for r in await pool.fetch(f"SELECT * FROM {table} ORDER BY {order}")]
        for table, order in _TABLES.items()
    }


async def test_imported_history_lets_live_305_and_307_through(
    runtime: Runtime, pool: store.Pool, database_url: str, settings: Settings, tmp_path: Path
) -> None:
    export = _export(tmp_path / "export")
    first = _hub(database_url, settings, "history", "import", "--quiet", str(export))
    # Some inputs could not be used: exit 1, each named with its reason on stderr.
    assert first.returncode == 1, first.stderr
    assert f"skipped {export / 'notes.xml'}: not XML" in first.stderr
    assert f"skipped {export / 'starts.zip'}!readme.txt: not XML" in first.stderr
    assert (
        f"skipped {export / 'toewijzingen.csv'} line 3: ingangsdatum is not a date (YYYY-MM-DD)"
        in first.stderr
    )
    assert OTHER_BSN not in first.stderr + first.stdout
    assert "imported: 4 (WMO301 2, WMO305 2)" in first.stdout
    assert "already imported (unchanged): 0" in first.stdout
    assert "skipped: 3" in first.stdout
    imported = await _snapshot(pool)
    assert len(imported["history_toewijzing"]) == 3  # 300201, 300202 and the CSV's 300900
    assert len(imported["history_start"]) == 2
    # Nothing was routed, sent or derived: no ledger row, no outbox row.
    assert await pool.fetchval("SELECT count(*) FROM message") == 0
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 0

    again = _hub(database_url, settings, "history", "import", "--quiet", str(export))
    assert "imported: 0 (none)" in again.stdout, again.stdout
    assert "already imported (unchanged): 4" in again.stdout
    assert await _snapshot(pool) == imported

    for live in _live_traffic():
        message_id = await _live(runtime, live)
        assert await _outcome(pool, message_id) == ("accepted", [])


@pytest.mark.e2e
async def test_after_the_import_a_running_hub_delivers_the_live_305_and_307(
    hub_env: tuple[dict[str, str], dict[str, str]],
    pool: store.Pool,
    database_url: str,
    settings: Settings,
    tmp_path: Path,
) -> None:
    """The same import, then the provider uploads the live traffic to the VECOZO-like adapter of
    a running hub: the core (0363 enforces) accepts each and the gemeente finds it in its inbox."""
    assert PROVIDER == AANBIEDER
    env, tokens = hub_env
    export = _export(tmp_path / "export")
    # The running hub's secret (its processes refuse the development one): the import's
    # person keys must be the ones its core computes.
    secret = {"HUB_PERSON_KEY_SECRET": env["HUB_PERSON_KEY_SECRET"]}
    imported = _hub(database_url, settings, "history", "import", "--quiet", str(export), env=secret)
    assert "imported: 4 (WMO301 2, WMO305 2)" in imported.stdout, imported.stderr
    with running(env) as stack:
        async with httpx.AsyncClient(timeout=30) as client:
            ids = []
            for live in _live_traffic():
                answer = await client.post(
                    f"{stack.url('vecozo')}/v1/messages",
                    content=xmlcodec.serialize(live),
                    headers={"Authorization": f"Bearer {tokens[PROVIDER]}"},
                )
                assert answer.status_code == 202, answer.text
                ids.append(str(answer.json()["id"]))

            deadline = asyncio.get_running_loop().time() + 60
            while True:
                inbox = await client.get(
                    f"{stack.url('ggk')}/v1/inbox",
                    headers={"Authorization": f"Bearer {tokens[GEMEENTE]}"},
                )
                assert inbox.status_code == 200, inbox.text
                if {e["id"] for e in inbox.json()} >= set(ids):
                    break
                assert asyncio.get_running_loop().time() < deadline, (
                    "the live 305/307 never reached the gemeente's inbox: "
                    f"{[await _outcome(pool, UUID(i)) for i in ids]}"
                )
                await asyncio.sleep(0.2)
    assert [await _outcome(pool, UUID(i)) for i in ids] == [("accepted", [])] * 3


async def test_without_the_import_the_same_traffic_is_refused(
    runtime: Runtime, pool: store.Pool
) -> None:
    outcomes = [await _outcome(pool, await _live(runtime, m)) for m in _live_traffic()]
    assert outcomes == [
        ("rejected", ["9019"]),  # TR019: no toewijzing 300202 known for this client
        ("rejected", ["9019", "9069"]),  # TR019 and TR382: no toewijzing, no start to stop
        ("rejected", ["9019", "9069"]),  # the same for the CSV's client
    ]


POLICY = """
[defaults]
enabled = false

[gemeente."0363"]
enabled = true
"""


async def _notices(runtime: Runtime) -> list[list[tuple[str, str, str | None]]]:
    """The 405/407 notices queued for the CAK: per notice, (StatusAanlevering, Begindatum,
    Einddatum) of each entry."""
    rows = await runtime.pool.fetch(
        "SELECT payload FROM outbox_resolved WHERE topic = $1 AND key = $2 ORDER BY id",
        topics.egress_name(runtime.settings, Node.GGK),
        runtime.settings.cak_party_code.encode(),
    )
    found = []
    for r in rows:
        root = xmlcodec.parse_message(bytes(r["payload"]))
        found.append(
            [
                (
                    xmlcodec.child_text(e, "StatusAanlevering") or "",
                    xmlcodec.child_text(e, "Begindatum") or "",
                    xmlcodec.child_text(e, "Einddatum"),
                )
                for e in root.iter("{*}EigenBijdrage")
            ]
        )
    return found


@pytest.mark.parametrize("baseline", ["none", "first", "later"])
async def test_eigen_bijdrage_lines_are_seeded_and_the_baseline_only_on_request(
    runtime: Runtime,
    pool: store.Pool,
    database_url: str,
    settings: Settings,
    tmp_path: Path,
    baseline: str,
) -> None:
    """baseline: not asked for, asked for on the first import, or only on the second one."""
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY, encoding="utf-8")
    export = _export(tmp_path / "export")
    args = ["history", "import", "--quiet", str(export)]
    with_baseline = [*args[:-1], "--cak-baseline", str(export)]
    env = {"HUB_EB_POLICY_FILE": str(policy)}
    _hub(database_url, settings, *(with_baseline if baseline == "first" else args), env=env)
    if baseline == "later":
        _hub(database_url, settings, *with_baseline, env=env)
    snapshot = await _snapshot(pool)
    # The 305's start of 300201 (02 Begeleiding) counts for the 405 of gemeente 0363.
    assert [(r[2], r[4], str(r[7])) for r in snapshot["eb_start"]] == [
        ("405", "300201", "2025-04-01")
    ]
    told = [(str(r[4]), r[5], r[6]) for r in snapshot["eb_melding"]]
    assert told == ([] if baseline == "none" else [("2025-04-01", None, False)])
    # Nothing was sent to the CAK by the import itself.
    assert await pool.fetchval("SELECT count(*) FROM eb_notice") == 0
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 0
    _hub(database_url, settings, *(args if baseline == "none" else with_baseline), env=env)
    assert await _snapshot(pool) == snapshot

    # The live stop of that start: with the baseline the CAK's known period is changed
    # (StatusAanlevering 2), without it the whole period is new to the CAK (1).
    derivation = EigenBijdrage(
        policy=load_policy(policy),
        packs=runtime.packs,
        secret=settings.person_key_secret.get_secret_value().encode(),
        cak=settings.cak_party_code,
        egress_topic=topics.egress_name(settings, Node.GGK),
    )
    live = message("WMO307", stop("2025-07-18"), identificatie="LIVE-307")
    message_id = await _live(runtime, live, [derivation])
    assert await _outcome(pool, message_id) == ("accepted", [])
    status = "1" if baseline == "none" else "2"
    assert await _notices(runtime) == [[(status, "2025-04-01", "2025-07-18")]]
