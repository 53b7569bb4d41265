"""Eigen bijdrage end to end: core and both adapters as processes on the real broker and
PostgreSQL. A gemeente's 301 and a provider's 305/307 uploaded over HTTP become WMO405
notices in the CAK's inbox; the CAK's 406 goes back to the gemeente; a minor gives nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx
import pytest

from hub.domain import xmlcodec
from hub.domain.parties import new_token
from hub.domain.validation import Validator
from hub.infra import store
from hub.settings import Settings
from tests.e2e.stack import GEMEENTE, PROVIDER, Stack, running
from tests.eigenbijdrage._messages import FIXTURES, T, bsn, build, start, stop
from tests.packkit import default_packs

pytestmark = pytest.mark.e2e

T_ = TypeVar("T_")


async def _until(check: Callable[[], Awaitable[T_ | None]], what: str, timeout: float = 60) -> T_:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = await check()
        if found:
            return found
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


async def _upload(client: httpx.AsyncClient, stack: Stack, node: str, token: str,
                  payload: bytes) -> str:  # fmt: skip
    response = await client.post(
        f"{stack.url(node)}/v1/messages",
        content=payload,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


async def _inbox(client: httpx.AsyncClient, stack: Stack, token: str) -> list[dict[str, object]]:
    response = await client.get(
        f"{stack.url('ggk')}/v1/inbox", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    return list(response.json())


def _entries(payload: bytes) -> list[tuple[str | None, ...]]:
    root = xmlcodec.parse_message(payload)
    return [
        tuple(xmlcodec.child_text(e, n) for n in ("StatusAanlevering", "Begindatum", "Einddatum"))
        for e in root.iter("{*}EigenBijdrage")
    ]


async def test_notices_reach_the_cak_and_its_answer_reaches_the_gemeente(
    hub_env: tuple[dict[str, str], dict[str, str]], pool: store.Pool, settings: Settings
) -> None:
    env, tokens = hub_env
    cak = settings.cak_party_code
    tokens[cak] = new_token()
    await store.add_token(pool, cak, tokens[cak])
    minor = bsn(3)
    validator = Validator(default_packs())
    with running(env) as stack:
        async with httpx.AsyncClient(timeout=30) as client:
            gemeente, provider = tokens[GEMEENTE], tokens[PROVIDER]
            await _upload(client, stack, "ggk", gemeente, build("WMO301", [T(1, "02")]))
            young = {"client_bsn": minor, "born": "2010-02-01"}
            await _upload(client, stack, "ggk", gemeente, build("WMO301", [T(1, "02")], **young))
            minor_start = await _upload(
                client, stack, "vecozo", provider,
                build("WMO305", [start(1, "02", "2025-01-06")], **young),
            )  # fmt: skip
            await _upload(client, stack, "vecozo", provider,
                          build("WMO305", [start(1, "02", "2025-01-06")]))  # fmt: skip

            async def cak_inbox(n: int) -> list[dict[str, object]] | None:
                items = await _inbox(client, stack, tokens[cak])
                return items if len(items) >= n else None

            (first,) = await _until(lambda: cak_inbox(1), "the start notice")
            assert first["afzender"] == GEMEENTE
            notice = await client.get(
                f"{stack.url('ggk')}/v1/inbox/{first['id']}",
                headers={"Authorization": f"Bearer {tokens[cak]}"},
            )
            assert validator.validate(notice.content).valid
            assert _entries(notice.content) == [("1", "2025-01-06", None)]

            # The CAK answers; the 406 reaches the gemeente's inbox.
            answer = xmlcodec.parse_message((FIXTURES / "ieb-4.0" / "WMO406.xml").read_bytes())
            for el in answer.iter():
                if xmlcodec.local_name(el) == "Identificatie":
                    el.text = str(first["identificatie"])
            await _upload(client, stack, "ggk", tokens[cak], xmlcodec.serialize(answer))

            async def answered() -> bool:
                items = await _inbox(client, stack, gemeente)
                return any(i["bericht_code"] == "493" for i in items)

            await _until(answered, "the 406 in the gemeente's inbox")

            await _upload(client, stack, "vecozo", provider,
                          build("WMO307", [stop(1, "02", "2025-01-06", "2025-03-31")]))  # fmt: skip
            second = (await _until(lambda: cak_inbox(2), "the stop notice"))[1]
            stopped = await client.get(
                f"{stack.url('ggk')}/v1/inbox/{second['id']}",
                headers={"Authorization": f"Bearer {tokens[cak]}"},
            )
            assert _entries(stopped.content) == [("2", "2025-01-06", "2025-03-31")]

            # The minor's start was accepted, and gave no notice.
            status = await pool.fetchval("SELECT status FROM message WHERE id = $1::uuid",
                                         minor_start)  # fmt: skip
            assert status == "accepted"
            assert len(await _inbox(client, stack, tokens[cak])) == 2
    outcome = await pool.fetch("SELECT outcome FROM eb_notice ORDER BY created_at, identificatie")
    assert [r["outcome"] for r in outcome] == ["accepted", "sent"]
