"""The README's walkthrough, run as written (its code block, read from README.md) in a shell
next to a `hub up --demo`, twice on the same data directory: the README cannot drift again."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.test_up import _launch, _stop, up_env  # noqa: F401 - up_env is a fixture

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]
_MARK = "**Walkthrough.**"


def walkthrough() -> str:
    """The first ```sh block after the walkthrough's heading paragraph in README.md."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    after = text[text.index(_MARK) :]
    found = re.search(r"```sh\n(.*?)```", after, re.S)
    assert found, "README.md: no sh block after the walkthrough paragraph"
    return found.group(1)


def test_the_walkthrough_is_a_block_of_commands_a_user_can_paste() -> None:
    block = walkthrough()
    assert block.startswith(". .venv/bin/activate")  # `hub` is on PATH the way it says
    for party in ("0518", "12340001"):  # parties the demo never acts as
        assert party in block
    from hub.ops.demo import demo_party_codes

    assert not {"0518", "12340001"} & set(demo_party_codes())
    assert block.index("WMO301") < block.index("WMO305")


def _run(script: str, env: dict[str, str]) -> dict[str, str]:
    """Run the script in one bash at the clone's root; the variables it set, at its end."""
    tail = '\nfor v in W TOEWIJZING START; do printf "\\n::%s=%s" "$v" "${!v}"; done\n'
    result = subprocess.run(
        ["bash", "-e", "-u"],
        input=script + tail,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    found = dict(re.findall(r"^::(\w+)=(.*)$", result.stdout, re.M))
    assert set(found) == {"W", "TOEWIJZING", "START"}, result.stdout
    found["stdout"], found["stderr"] = result.stdout, result.stderr
    return found


def test_the_readme_walkthrough_works_as_written_next_to_the_demo(
    up_env: dict[str, str],  # noqa: F811 - the fixture imported above
) -> None:
    if not (ROOT / ".venv" / "bin" / "activate").exists():
        pytest.skip("no .venv at the clone's root (make run creates it)")
    script = walkthrough()
    script = script.replace("localhost:8081", f"127.0.0.1:{up_env['HUB_GGK_PORT']}")
    script = script.replace("localhost:8082", f"127.0.0.1:{up_env['HUB_VECOZO_PORT']}")
    # A second terminal: none of the running hub's HUB_* settings but its data directory
    # (./var in a clone); the `hub` commands find the hub through its hub.json.
    shell = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "VIRTUAL_ENV"))}
    shell["HUB_DATA_DIR"] = up_env["HUB_DATA_DIR"]
    stack = _launch(up_env, demo=True)
    try:
        for attempt in (1, 2):  # the same ./var: a second try is no duplicate (TR056, 9056)
            seen = _run(script, shell)
            w = Path(seen["W"])
            sent_301, sent_305 = (w / "301.xml").read_bytes(), (w / "305.xml").read_bytes()
            assert (w / "received-301.xml").read_bytes() == sent_301, attempt
            assert (w / "received-305.xml").read_bytes() == sent_305, attempt
            assert seen["TOEWIJZING"] in seen["stdout"]
            # `hub trace` of both: accepted (routed), each in its receiver's inbox, acknowledged
            trace = seen["stdout"].split("}]", 1)[-1]
            assert "0518 -> 12340001  status accepted" in trace, seen["stdout"]
            assert "12340001 -> 0518  status accepted" in trace, seen["stdout"]
            assert trace.count("acknowledged 20") == 2, seen["stdout"]
            assert "retourcodes" not in trace  # no 9056 on the second try, no 9019 ever
            assert "talking to the hub up of pid" in seen["stderr"]
            shutil.rmtree(w, ignore_errors=True)
    finally:
        _stop(stack)
