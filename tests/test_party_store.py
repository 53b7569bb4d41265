"""The party registry in PostgreSQL and the `hub party` commands an operator uses on it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

from hub.domain.messages import Node, Role
from hub.domain.parties import DEMO_FILE, load_parties, make_party
from hub.infra import store


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


async def test_an_import_is_idempotent_and_updates_in_place(pool: store.Pool) -> None:
    parties = list(load_parties(DEMO_FILE))
    first = await store.upsert_parties(pool, parties)
    assert sorted(first.added) == sorted(p.code for p in parties)
    again = await store.upsert_parties(pool, parties)
    assert (again.added, again.changed, again.unchanged) == ((), (), len(parties))

    renamed = make_party("0363", "Gemeente Amsterdam (test)")
    narrower = make_party("98000017", "Kantoor", may_submit_for=["65656055"])
    changed = await store.upsert_parties(pool, [renamed, narrower])
    assert changed.changed == ("0363", "98000017")
    stored = {p.code: p for p in await store.list_parties(pool)}
    assert stored["0363"].name == "Gemeente Amsterdam (test)"
    assert stored["98000017"].may_submit_for == frozenset({"65656055"})
    assert stored["99000001"].kind is Role.CAK
    assert stored["99000001"].node is Node.GGK
    assert stored == {p.code: p for p in [*parties, renamed, narrower]}
    assert await store.get_party(pool, "0363") == renamed
    assert await store.get_party(pool, "0999") is None


async def test_revoke_by_label_leaves_other_tokens_alone(pool: store.Pool) -> None:
    await store.upsert_parties(pool, list(load_parties(DEMO_FILE)))
    await store.add_token(pool, "0363", "cli-token", label="cli")
    await store.add_token(pool, "0363", "demo-token", label="demo")
    assert await store.revoke_tokens(pool, "0363", label="demo") == 1
    assert await store.authenticate(pool, "demo-token") is None
    assert await store.authenticate(pool, "cli-token") is not None
    assert await store.revoke_tokens(pool, "0363", grace=timedelta(minutes=1)) == 1
    assert await store.authenticate(pool, "cli-token") is not None  # within its grace
    assert await store.active_token_counts(pool) == {"0363": 1}
    assert await store.authenticate(pool, "") is None
    assert await store.authenticate(pool, "x" * 10_000) is None


async def test_the_party_commands(pool: store.Pool, database_url: str) -> None:
    imported = _hub(database_url, "import")
    assert imported.returncode == 0, imported.stderr
    parties = load_parties(DEMO_FILE)
    assert f"imported {len(parties)} parties" in imported.stdout
    assert f"{len(parties)} added" in imported.stdout
    again = _hub(database_url, "import", str(DEMO_FILE))
    assert "0 added, 0 changed" in again.stdout

    added = _hub(database_url, "add", "0014", "--name", "Gemeente Groningen")
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("added 0014 (gemeente on ggk)")
    indiener = _hub(
        database_url, "add", "98000025", "--name", "Kantoor", "--may-submit-for", "65656055"
    )
    assert indiener.returncode == 0, indiener.stderr
    stored = await store.get_party(pool, "98000025")
    assert stored is not None
    assert stored.may_submit_for == frozenset({"65656055"})

    issued = _hub(database_url, "token", "issue", "0014", "--expires-days", "30")
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    assert "\n" not in token
    assert token not in issued.stderr
    assert "shown only now" in issued.stderr
    found = await store.authenticate(pool, token)
    assert found is not None
    assert found.party.code == "0014"

    rotated = _hub(database_url, "token", "rotate", "0014", "--grace-seconds", "600")
    assert rotated.returncode == 0, rotated.stderr
    new = rotated.stdout.strip()
    assert "1 older token(s) of 0014 stop working in 600 s" in rotated.stderr
    assert await store.authenticate(pool, token) is not None  # grace
    assert await store.authenticate(pool, new) is not None

    listing = _hub(database_url, "list")
    line = next(x for x in listing.stdout.splitlines() if x.startswith("0014"))
    assert line.split()[:4] == ["0014", "gemeente", "ggk", "2"]
    assert any(x.endswith("65656055") for x in listing.stdout.splitlines())

    revoked = _hub(database_url, "token", "revoke", "0014")
    assert revoked.stdout.strip() == "revoked 2 token(s) of 0014"
    assert await store.authenticate(pool, token) is None
    assert await store.authenticate(pool, new) is None


async def test_party_command_errors_are_one_line(pool: store.Pool, database_url: str) -> None:
    cases = [
        (("token", "issue", "0999"), "unknown party 0999"),
        (("add", "65656055", "--name", "x", "--node", "ggk"), "does not serve kind aanbieder"),
        (("add", "123", "--name", "x"), "code '123' is neither"),
        (("add", "98000033", "--name", "x", "--may-submit-for", "41125003"), "unknown party"),
        (("import", "/nonexistent/parties.toml"), "no such file"),
    ]
    for args, expected in cases:
        result = _hub(database_url, *args)
        assert result.returncode == 2, (args, result.stderr)
        # The line naming the database it talks to (hub.ops.locate), then the one error line.
        said, error = result.stderr.strip().splitlines()
        assert said.startswith("hub: database "), result.stderr
        assert error.startswith("hub: error: "), result.stderr
        assert expected in error
