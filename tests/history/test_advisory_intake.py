"""Advisory mode through the real intake on PostgreSQL and through the `hub history` CLI: the
same 305 refused in enforce mode and routed with its finding reported in advisory mode; an
in-message failure still answered with a retour in advisory mode; a 323 with a bad Prestatie
and the gemeente's 325 on it routed whole."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

from lxml import etree

from handlers import intake
from handlers.advisory import base_lookup
from hub.domain import xmlcodec
from hub.domain.advisory import Mode
from hub.domain.decide import Context, Incoming
from hub.infra.runtime import Runtime
from hub.infra.store import history_modes

from ._build import message, start
from ._declaratie import P, T, antwoord, declaratie, toewijzing


def _hub(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return _cli(database_url, "history", *args)


def _cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env["HUB_DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "hub", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


async def _send(runtime: Runtime, ctx: Context, root: etree._Element) -> UUID:
    """One message from the fixture provider (its 305s go to gemeente 0363)."""
    return await _send_as(runtime, ctx, root, "65656055", "vecozo")


async def _status(runtime: Runtime, message_id: UUID) -> str:
    return str(await runtime.pool.fetchval("SELECT status FROM message WHERE id = $1", message_id))


async def _events(runtime: Runtime, message_id: UUID) -> list[dict[str, object]]:
    rows = await runtime.pool.fetch(
        "SELECT payload FROM outbox_resolved WHERE topic LIKE '%events' ORDER BY id"
    )
    found = [json.loads(bytes(r["payload"])) for r in rows]
    return [e for e in found if e["message_id"] == str(message_id)]


async def test_the_cli_switches_a_gemeente_and_the_report_shows_what_it_let_through(
    runtime: Runtime, database_url: str
) -> None:
    ctx = intake.build_context(runtime)
    # 0363 enforces (the built-in modes file): a 305 on a toewijzing the hub never saw.
    refused = await _send(runtime, ctx, message("WMO305", start()))
    assert await _status(runtime, refused) == "rejected"
    assert [e["type"] for e in await _events(runtime, refused)] == ["message.rejected"]

    switched = _hub(database_url, "mode", "0363", "advisory")
    assert switched.returncode == 0, switched.stderr
    assert "0363  advisory  (was enforce)" in switched.stdout

    routed = await _send(runtime, ctx, message("WMO305", start(nummer="400001")))
    assert await _status(runtime, routed) == "accepted"
    sent = await _events(runtime, routed)
    assert [e["type"] for e in sent] == ["message.accepted", "message.advisory-finding"]
    data = sent[1]["data"]
    assert isinstance(data, dict)
    assert data["gemeente"] == "0363"
    assert data["rules"] == ["TR019"]
    assert data["retourcodes"] == ["9019"]
    egress = await runtime.pool.fetchval(
        "SELECT count(*) FROM outbox_resolved WHERE topic LIKE '%egress%' AND key = $1",
        b"0363",
    )
    assert egress == 1  # routed to the gemeente, which answers it
    # Its start counts: the start is in the history as for a clean message.
    starts = await runtime.pool.fetchval(
        "SELECT count(*) FROM history_start WHERE toewijzing_nummer = '400001'"
    )
    assert starts == 1
    assert (
        await runtime.pool.fetchval("SELECT count(*) FROM finding WHERE message_id = $1", routed)
        == 0
    )

    listing = _hub(database_url, "mode")
    assert listing.returncode == 0, listing.stderr
    assert "default    advisory" in listing.stdout
    assert any(
        line.split()[:2] == ["0363", "advisory"] and "hub history mode" in line
        for line in listing.stdout.splitlines()
    )
    assert any(line.split()[:2] == ["0344", "enforce"] for line in listing.stdout.splitlines())
    one = _hub(database_url, "mode", "0599")
    assert one.stdout.strip() == "0599  enforce  (from the modes file)"

    report = _hub(database_url, "report")
    assert report.returncode == 0, report.stderr
    lines = report.stdout.splitlines()
    assert "gemeente 0363" in lines
    tr019 = next(line for line in lines if line.split()[:2] == ["TR019", "9019"])
    assert "1 findings on       1 messages" in tr019
    assert str(routed) in tr019
    assert str(refused) not in report.stdout  # refused in enforce mode: not advisory
    other = _hub(database_url, "report", "--gemeente", "0344")
    assert other.stdout.strip() == "no advisory findings for 0344"
    later = _hub(database_url, "report", "--since", "2999-01-01")
    assert later.stdout.strip() == "no advisory findings since 2999-01-01"

    back = _hub(database_url, "mode", "0363", "enforce")
    assert "0363  enforce  (was advisory)" in back.stdout
    again = await _send(runtime, ctx, message("WMO305", start(nummer="400002")))
    assert await _status(runtime, again) == "rejected"


async def test_hub_trace_lists_the_advisory_findings_of_a_routed_message(
    runtime: Runtime, database_url: str
) -> None:
    """`hub trace` of a 305 routed in advisory mode shows its history finding, labelled as not
    enforced, with rule, code and element path (no sentence); one refused in enforce mode
    shows its finding as before, without that label."""
    ctx = intake.build_context(runtime)
    refused = await _send(runtime, ctx, message("WMO305", start()))
    assert await _status(runtime, refused) == "rejected"
    await history_modes.set_mode(runtime.pool, "0363", Mode.ADVISORY)
    routed = await _send(runtime, ctx, message("WMO305", start(nummer="400001")))
    assert await _status(runtime, routed) == "accepted"
    (stored,) = await history_modes.of_message(runtime.pool, routed)
    assert (stored.rule, stored.retourcode, stored.gemeente) == ("TR019", "9019", "0363")

    traced = _cli(database_url, "trace", str(routed))
    assert traced.returncode == 0, traced.stderr
    lines = traced.stdout.splitlines()
    assert lines[0].startswith(f"{routed}  ")
    assert "status accepted" in lines[1]
    advisory = [line for line in lines if "advisory (not enforced)" in line]
    assert advisory == [
        f"  advisory (not enforced) finding TR019 9019 {stored.location}  gemeente 0363"
    ]
    assert "StartProduct" in stored.location  # the element path of the start
    assert not [line for line in lines if line.startswith("  finding ")]  # nothing refused

    enforced = _cli(database_url, "trace", str(refused))
    assert enforced.returncode == 0, enforced.stderr
    assert "advisory" not in enforced.stdout
    assert any(line.startswith("  finding TR019 9019 ") for line in enforced.stdout.splitlines())


async def test_an_in_message_failure_is_still_answered_with_a_retour_in_advisory_mode(
    runtime: Runtime,
) -> None:
    """Advisory mode hides history findings only: a 305 whose Bsn fails the 11-proef (CS002, an
    in-message rule, 0001) on a toewijzing the hub never saw is refused with a retour."""
    await history_modes.set_mode(runtime.pool, "0363", Mode.ADVISORY)
    ctx = intake.build_context(runtime)
    refused = await _send(runtime, ctx, message("WMO305", start(), bsn="123456789"))
    row = await runtime.pool.fetchrow(
        "SELECT status, retour_id, retourcodes FROM message WHERE id = $1", refused
    )
    assert row is not None
    assert row["status"] == "rejected"
    assert row["retour_id"] is not None  # answered with the hub's WMO306
    assert "0001" in list(row["retourcodes"])
    assert [e["type"] for e in await _events(runtime, refused)] == ["message.rejected"]
    assert await history_modes.report(runtime.pool) == []
    to_gemeente = await runtime.pool.fetchval(
        "SELECT count(*) FROM outbox_resolved WHERE topic LIKE '%egress%' AND key = $1",
        b"0363",
    )
    assert to_gemeente == 0  # never routed to the gemeente


async def test_bad_cli_input_is_refused_with_the_reason(database_url: str) -> None:
    for args, error in [
        (("mode", "363", "advisory"), "'363' is not a gemeente"),
        (("mode", "0363", "warn"), "unknown history mode 'warn'"),
        (("report", "--since", "yesterday"), "--since 'yesterday' is not a date"),
        (("report", "--gemeente", "AMS"), "'AMS' is not a gemeente"),
    ]:
        done = _hub(database_url, *args)
        assert done.returncode == 2, args
        assert error in done.stderr, (args, done.stderr)


async def test_a_gemeente_configured_nowhere_starts_in_advisory(
    runtime: Runtime, tmp_path: Path
) -> None:
    empty = tmp_path / "modes.toml"
    empty.write_text("[modes]\n", encoding="utf-8")
    settings = runtime.settings.model_copy(update={"history_modes_file": empty})
    ctx = replace(intake.build_context(runtime), history_mode=base_lookup(settings))
    routed = await _send(runtime, ctx, message("WMO305", start()))
    assert await _status(runtime, routed) == "accepted"
    # The database wins over the file and the default.
    await history_modes.set_mode(runtime.pool, "0363", Mode.ENFORCE)
    refused = await _send(runtime, ctx, message("WMO305", start(nummer="400003")))
    assert await _status(runtime, refused) == "rejected"
    lines = await history_modes.report(runtime.pool)
    assert [(x.gemeente, x.rule, x.findings, x.examples) for x in lines] == [
        ("0363", "TR019", 1, (routed,))
    ]


async def test_a_323_and_its_325_are_routed_whole_in_advisory_mode(runtime: Runtime) -> None:
    await history_modes.set_mode(runtime.pool, "0363", Mode.ADVISORY)
    ctx = intake.build_context(runtime)
    first = await _send_as(runtime, ctx, toewijzing(T()), "0363", "ggk")
    assert await _status(runtime, first) == "accepted"
    # R2 names a toewijzing the hub never saw (TR338): enforce would answer with the hub's 325.
    heen = declaratie(P("R1"), P("R2", nummer="300299", volume=8))
    heen_id = await _send_as(runtime, ctx, heen, "65656055", "vecozo")
    assert await _status(runtime, heen_id) == "accepted"
    assert [e["type"] for e in await _events(runtime, heen_id)] == [
        "message.accepted",
        "message.advisory-finding",
    ]
    # Both Prestaties count, pending the gemeente's own 325.
    assert await _prestaties(runtime) == {"R1": "pending", "R2": "pending"}
    # The gemeente's 325 changes the Prestatie it returns (TR367): linked and routed, not
    # dead-lettered, and it settles the declaratie as a clean one would.
    answer = antwoord(heen, ["R2"], change={"R2": ("GeleverdVolume", "9")})
    answer_id = await _send_as(runtime, ctx, answer, "0363", "ggk")
    assert await _status(runtime, answer_id) == "accepted"
    assert [e["type"] for e in await _events(runtime, answer_id)] == [
        "retour.received",
        "message.advisory-finding",
    ]
    assert await _prestaties(runtime) == {"R1": "approved", "R2": "rejected"}
    lines = await history_modes.report(runtime.pool)
    assert {(x.rule, x.examples) for x in lines} == {
        ("TR338", (heen_id,)),
        ("TR367", (answer_id,)),
    }


async def _send_as(
    runtime: Runtime, ctx: Context, root: etree._Element, party: str, node: str
) -> UUID:
    item = Incoming(
        id=uuid4(),
        node=node,
        party=party,
        received_at=datetime(2025, 7, 21, 9, 30, tzinfo=UTC),
        payload=xmlcodec.serialize(root),
        partition=0,
        offset=1,
        topic="t.ingress",
    )
    await intake.process(runtime, ctx, [item])
    return item.id


async def _prestaties(runtime: Runtime) -> dict[str, str]:
    rows = await runtime.pool.fetch("SELECT referentie_nummer, status FROM history_prestatie")
    return {r[0]: r[1] for r in rows}
