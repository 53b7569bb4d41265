"""The party model's intermediaries and standards (pure), and the `hub party` commands that
add intermediaries, authorise and revoke them and show a party, on the real PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hub.domain.errors import ConfigError
from hub.domain.messages import Node, Role, Standard
from hub.domain.parties import (
    DEFAULT_STANDARDS,
    DEMO_FILE,
    INTERMEDIARY,
    PartyError,
    load_parties,
    make_party,
)
from hub.infra import store


def test_an_intermediary_has_a_code_no_message_carries_and_its_own_node() -> None:
    agent = make_party(
        "SWH-1", "Softwarehuis", kind="intermediary", node="ggk", may_submit_for=["0363", "0344"]
    )
    assert (agent.kind, agent.node, agent.is_intermediary) == (INTERMEDIARY, Node.GGK, True)
    assert agent.inbox_parties == ("0344", "0363")
    assert agent.may_send_as("0363")
    assert not agent.may_send_as("SWH-1")  # it never sends in its own name
    assert not agent.may_send_as("0599")
    # A toestemmingsverklaring covers submitting only: an indiener reads its own inbox.
    indiener = make_party("98000017", "Kantoor", may_submit_for=["65656055"])
    assert indiener.inbox_parties == ("98000017",)
    with pytest.raises(PartyError, match="needs its node"):
        make_party("SWH-1", "x", kind="intermediary")
    with pytest.raises(PartyError, match="a letter first"):
        make_party("12345678", "x", kind="intermediary", node="vecozo")
    with pytest.raises(PartyError, match='needs kind = "intermediary"'):
        make_party("SWH-1", "x", node="vecozo")
    with pytest.raises(PartyError, match="not a party code"):
        make_party("SWH-1", "x", kind="intermediary", node="vecozo", may_submit_for=["SWH-2"])
    with pytest.raises(PartyError, match=r"kind 'broker' is not one of .*intermediary"):
        make_party("0363", "x", kind="broker")


def test_standards_default_to_what_the_kind_exchanges() -> None:
    assert make_party("0363", "x").exchanges == frozenset(Standard)
    assert make_party("65656055", "x").exchanges == {Standard.IWMO, Standard.IJW}
    assert make_party("99000001", "x", kind="cak").exchanges == {Standard.IEB}
    assert DEFAULT_STANDARDS[INTERMEDIARY] == frozenset(Standard)
    wmo = make_party("65656055", "x", standards=["iwmo"])
    assert wmo.standards == wmo.exchanges == {Standard.IWMO}
    with pytest.raises(PartyError, match="kind aanbieder, which does not exchange ieb"):
        make_party("65656055", "x", standards=["ieb"])
    with pytest.raises(PartyError, match="'wlz' is not one of iwmo, ijw, ieb"):
        make_party("0363", "x", standards=["wlz"])
    for party in load_parties(DEMO_FILE):
        if party.kind is Role.CAK:
            assert party.exchanges == {Standard.IEB}
        elif not party.is_intermediary:
            assert {Standard.IWMO, Standard.IJW} <= party.exchanges


def test_the_file_names_the_entry_of_a_bad_intermediary_or_standard(tmp_path: Path) -> None:
    path = tmp_path / "parties.toml"
    cases = [
        (
            '[[party]]\ncode = "SWH"\nname = "x"\nkind = "intermediary"\nnode = "vecozo"\n'
            'may_submit_for = ["65656055"]\n',
            "party #1 (SWH): may_submit_for: unknown party 65656055",
        ),
        (
            '[[party]]\ncode = "SWH"\nname = "x"\nkind = "intermediary"\nnode = "vecozo"\n'
            '[[party]]\ncode = "98000017"\nname = "y"\nmay_submit_for = ["SWH"]\n',
            "party #2 (98000017): may_submit_for: 'SWH' is not a party code",
        ),
        (
            '[[party]]\ncode = "0363"\nname = "x"\nstandards = "iwmo"\n',
            "party #1 (0363): standards must be a list",
        ),
        (
            '[[party]]\ncode = "0363"\nname = "x"\nstandards = ["jeugd"]\n',
            "party #1 (0363): standards: 'jeugd' is not one of iwmo, ijw, ieb",
        ),
    ]
    for text, expected in cases:
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError) as raised:
            load_parties(path)
        assert expected in str(raised.value)


def _hub(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env["HUB_DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "hub", "party", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


async def test_the_authorisation_commands(pool: store.Pool, database_url: str) -> None:
    await store.upsert_parties(pool, list(load_parties(DEMO_FILE)))
    added = _hub(
        database_url, "add", "Tussen.1", "--name", "Tussenpartij", "--kind", "intermediary",
        "--node", "ggk", "--standards", "iwmo",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("added Tussen.1 (intermediary on ggk)")

    granted = _hub(database_url, "authorise", "Tussen.1", "0363", "0344")
    assert granted.returncode == 0, granted.stderr
    assert granted.stdout.strip() == "Tussen.1 may now act for 0344 0363"
    assert "parties file" not in granted.stderr  # not in the file: nothing resets it
    again = _hub(database_url, "authorise", "Tussen.1", "0344")
    assert again.stdout.strip() == "Tussen.1 may now act for 0344 (0344 already)"
    stored = await store.get_party(pool, "Tussen.1")
    assert stored is not None
    assert stored.may_submit_for == {"0363", "0344"}
    assert stored.standards == {Standard.IWMO}

    shown = _hub(database_url, "show", "Tussen.1")
    assert shown.returncode == 0, shown.stderr
    assert "kind:        intermediary" in shown.stdout
    assert "standards:   iwmo\n" in shown.stdout
    assert "acts for:    0344 0363" in shown.stdout
    gemeente = _hub(database_url, "show", "0363")
    assert "standards:   ieb,ijw,iwmo (none listed: the default of its kind)" in gemeente.stdout
    assert "acted for by: Tussen.1" in gemeente.stdout
    listing = _hub(database_url, "list")
    line = next(x for x in listing.stdout.splitlines() if x.startswith("Tussen.1"))
    assert line.split()[:5] == ["Tussen.1", "intermediary", "ggk", "0", "iwmo"]
    assert line.endswith("0344 0363")

    revoked = _hub(database_url, "revoke", "Tussen.1", "0363", "0599")
    assert revoked.returncode == 0, revoked.stderr
    assert revoked.stdout.strip() == "Tussen.1 no longer acts for 0363 (it did not act for 0599)"
    stored = await store.get_party(pool, "Tussen.1")
    assert stored is not None
    assert stored.may_submit_for == {"0344"}

    # An indiener in the parties file: the file sets its delegations back at the next import.
    indiener = _hub(database_url, "authorise", "98000017", "12340001")
    assert indiener.returncode == 0, indiener.stderr
    assert "sets its may_submit_for back to the file's" in indiener.stderr

    errors = [
        (("authorise", "Tussen.1", "65656055"), "65656055 is served by vecozo, not by ggk"),
        (("authorise", "Tussen.1", "0999"), "unknown party 0999"),
        (("authorise", "98000017", "SWH-DEMO"), "'SWH-DEMO' is not a party code"),
        (("authorise", "0363", "0363"), "0363 is the party itself"),
        (("authorise", "NOPE", "0363"), "unknown party NOPE"),
        (("show", "0999"), "unknown party 0999"),
        (("add", "SWH-2", "--name", "x", "--kind", "intermediary"), "needs its node"),
        (("add", "65656055", "--name", "x", "--standards", "ieb"), "does not exchange ieb"),
    ]
    for args, expected in errors:
        result = _hub(database_url, *args)
        assert result.returncode == 2, (args, result.stderr)
        error = result.stderr.strip().splitlines()[-1]
        assert error.startswith("hub: error: "), result.stderr
        assert expected in error, (args, error)
