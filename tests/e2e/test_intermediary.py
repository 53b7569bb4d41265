"""Parties as the chain has them, end to end: core and both adapters as processes on the real
broker and PostgreSQL. A software intermediary (SWH-DEMO in the demo registry, authorised by
65656055 and 41125003) reads both providers' messages from one inbox, uploads for both, and is
refused for a third provider; a provider contracted for Wmo only is refused for iJw."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from hub.domain.parties import make_party, new_token
from hub.infra import store
from tests.e2e.stack import GEMEENTE, Stack, running

pytestmark = pytest.mark.e2e

FIXTURES = Path(__file__).parent.parent / "fixtures"
WMO301 = (FIXTURES / "iwmo-3.2" / "WMO301.xml").read_bytes()  # 0363 → 65656055
WMO305 = (FIXTURES / "iwmo-3.2" / "WMO305.xml").read_bytes()  # 65656055 → 0363
JW301 = (FIXTURES / "ijw-3.2" / "JW301.xml").read_bytes()  # 0344 → 41125003
JW305 = (FIXTURES / "ijw-3.2" / "JW305.xml").read_bytes()  # 41125003 → 0344
AGENT, WMO_ONLY, THIRD = "SWH-DEMO", "87650001", "12340001"

T_ = TypeVar("T_")


async def _until(check: Callable[[], Awaitable[T_ | None]], what: str, timeout: float = 60) -> T_:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = await check()
        if found:
            return found
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _from(payload: bytes, old: str, new: str) -> bytes:
    original = f"<Afzender>{old}</Afzender>".encode()
    assert original in payload
    return payload.replace(original, f"<Afzender>{new}</Afzender>".encode())


async def test_an_intermediary_works_for_its_providers_only(
    hub_env: tuple[dict[str, str], dict[str, str]], pool: store.Pool
) -> None:
    env, tokens = hub_env
    await store.upsert_parties(pool, [make_party(WMO_ONLY, "Alleen Wmo", standards=["iwmo"])])
    for code in (AGENT, "0344", WMO_ONLY):
        tokens[code] = new_token()
        await store.add_token(pool, code, tokens[code])

    with running(env) as stack:
        async with httpx.AsyncClient(timeout=30) as client:

            async def upload(node: str, code: str, payload: bytes) -> httpx.Response:
                return await client.post(
                    f"{stack.url(node)}/v1/messages",
                    content=payload,
                    headers={"Authorization": f"Bearer {tokens[code]}"},
                )

            async def inbox(node: str, code: str) -> list[dict[str, str]]:
                answer = await client.get(
                    f"{stack.url(node)}/v1/inbox",
                    headers={"Authorization": f"Bearer {tokens[code]}"},
                )
                assert answer.status_code == 200, answer.text
                return list(answer.json())

            await _run(stack, upload, inbox)


async def _run(
    stack: Stack,
    upload: Callable[[str, str, bytes], Awaitable[httpx.Response]],
    inbox: Callable[[str, str], Awaitable[list[dict[str, str]]]],
) -> None:
    # Two gemeenten assign care to the intermediary's two providers.
    for node, code, payload in (("ggk", GEMEENTE, WMO301), ("ggk", "0344", JW301)):
        answer = await upload(node, code, payload)
        assert answer.status_code == 202, answer.text

    async def both() -> list[dict[str, str]] | None:
        entries = await inbox("vecozo", AGENT)
        return entries if {e["ontvanger"] for e in entries} >= {"65656055", "41125003"} else None

    spanned = await _until(both, "the 301s in the intermediary's inbox")
    assert {(e["afzender"], e["ontvanger"]) for e in spanned} == {
        ("0363", "65656055"),
        ("0344", "41125003"),
    }
    # Each provider alone still sees its own message only.
    own = await inbox("vecozo", "65656055")
    assert {e["ontvanger"] for e in own} == {"65656055"}

    # It starts care for both providers: each 305 reaches its gemeente.
    for payload in (WMO305, JW305):
        answer = await upload("vecozo", AGENT, payload)
        assert answer.status_code == 202, answer.text

    async def started(code: str, provider: str) -> bool:
        return any(e["afzender"] == provider for e in await inbox("ggk", code))

    await _until(lambda: started(GEMEENTE, "65656055"), "the WMO305 at 0363")
    await _until(lambda: started("0344", "41125003"), "the JW305 at 0344")

    # A provider that has not authorised it: refused, nothing produced.
    refused = await upload("vecozo", AGENT, _from(WMO305, "65656055", THIRD))
    assert refused.status_code == 403
    assert refused.json()["detail"]["reason"] == "sender_mismatch"
    assert f"{THIRD} has not authorised intermediary {AGENT}" in refused.json()["detail"]["detail"]
    assert refused.json()["detail"]["node_code"] == "BRS03"  # not mandated by the sender

    # A provider contracted for Wmo only sends Wmo, never iJw.
    wmo = await upload("vecozo", WMO_ONLY, _from(WMO305, "65656055", WMO_ONLY))
    assert wmo.status_code == 202, wmo.text
    jw = await upload("vecozo", WMO_ONLY, _from(JW305, "41125003", WMO_ONLY))
    assert jw.status_code == 403
    assert jw.json()["detail"]["reason"] == "standard_not_allowed"
    assert "may not exchange iJw" in jw.json()["detail"]["detail"]
    assert jw.json()["detail"]["node_code"] == "IB008"  # VECOZO: lacks role or grondslag
