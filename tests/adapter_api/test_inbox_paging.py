"""The inbox listing on a real adapter app and PostgreSQL: paged with a cursor past the oldest
1,000 (each waiting message once, while new ones arrive), and each retour naming the heenbericht
it answers with its retourcodes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from adapters.inbox import NEXT_CURSOR
from hub.domain.parties import DEMO_FILE, load_parties, new_token
from hub.domain.records import MessageRow
from hub.infra import store
from hub.infra.store import ledger
from hub.settings import Settings
from tests.adapterkit import Client, adapters, bearer

GEMEENTE, PROVIDER, OTHER_PROVIDER, AGENT = "0363", "65656055", "41125003", "SWH-DEMO"


@pytest.fixture
async def registry(pool: store.Pool) -> store.Pool:
    await store.upsert_parties(pool, list(load_parties(DEMO_FILE)))
    return pool


@pytest.fixture
def adapter(registry: store.Pool, settings: Settings) -> Client:
    return adapters(registry, settings)


async def _token(pool: store.Pool, code: str) -> dict[str, str]:
    value = new_token()
    await store.add_token(pool, code, value)
    return bearer(value)


def _row(receiver: str, **fields: Any) -> MessageRow:
    message_id = fields.pop("id", None) or uuid4()
    values: dict[str, Any] = {
        "bericht_code": "418",
        "identificatie": f"I{message_id.hex[:12]}",
        "sender": PROVIDER,
        "receiver": receiver,
        "afzender": PROVIDER,
        "ontvanger": receiver,
        **fields,
    }
    return MessageRow(
        message_id, datetime.now(UTC), "vecozo", PROVIDER, "accepted", b"<Bericht/>", **values
    )


async def _waiting(pool: store.Pool, node: str, rows: list[MessageRow]) -> list[UUID]:
    """Rows in the ledger (COPY) and in their receivers' inboxes (one unnest insert)."""
    async with pool.acquire() as conn:
        await ledger.insert_messages(conn, rows)
    await store.deliver(pool, node, [(r.id, r.receiver or "") for r in rows])
    return [r.id for r in rows]


async def test_a_walk_with_the_cursor_sees_every_waiting_message_once(
    registry: store.Pool, adapter: Client
) -> None:
    first = await _waiting(registry, "ggk", [_row(GEMEENTE) for _ in range(2500)])
    gemeente = await _token(registry, GEMEENTE)
    seen: list[UUID] = []
    pages = 0
    arrived: list[UUID] = []
    async with adapter("ggk") as ggk:
        plain = await ggk.get("/v1/inbox", headers=gemeente)
        params: dict[str, Any] = {"limit": 1000}
        while True:
            page = await ggk.get("/v1/inbox", params=params, headers=gemeente)
            assert page.status_code == 200, page.text
            seen += [UUID(e["id"]) for e in page.json()]
            pages += 1
            if pages == 1:  # new messages arrive while the walk goes on
                arrived = await _waiting(registry, "ggk", [_row(GEMEENTE) for _ in range(300)])
            cursor = page.headers.get(NEXT_CURSOR)
            if cursor is None:
                assert "Link" not in page.headers
                break
            assert page.headers["Link"] == f'</v1/inbox?limit=1000&after={cursor}>; rel="next"'
            params = {"limit": 1000, "after": cursor}
        bad = await ggk.get("/v1/inbox", params={"after": "not-a-cursor"}, headers=gemeente)
        huge = await ggk.get("/v1/inbox", params={"limit": 5000}, headers=gemeente)

    # An old client's request: the first 100, as a JSON list, and where the next page starts.
    assert plain.status_code == 200
    assert [UUID(e["id"]) for e in plain.json()] == first[:100]
    assert NEXT_CURSOR in plain.headers
    # Every message once, in delivery order, the late arrivals at the end; the last page is
    # full (2,800 = 2 x 1,000 + 800), and no empty page follows it.
    assert seen == first + arrived
    assert pages == 3
    assert bad.status_code == 400
    assert bad.json()["detail"]["reason"] == "after"
    assert len(huge.json()) == 1000  # a page is at most 1,000


async def test_an_intermediary_pages_through_its_parties_inboxes(
    registry: store.Pool, adapter: Client
) -> None:
    rows = [_row(p, sender=GEMEENTE) for p in (PROVIDER, OTHER_PROVIDER) * 3]
    ids = await _waiting(registry, "vecozo", rows)
    agent = await _token(registry, AGENT)
    seen: list[tuple[UUID, str]] = []
    async with adapter("vecozo") as vecozo:
        params: dict[str, Any] | None = {"limit": 4}
        while params is not None:
            page = await vecozo.get("/v1/inbox", params=params, headers=agent)
            seen += [(UUID(e["id"]), e["ontvanger"]) for e in page.json()]
            cursor = page.headers.get(NEXT_CURSOR)
            params = None if cursor is None else {"limit": 4, "after": cursor}
        # Acknowledged messages leave the listing; a walk from the start shows what is left.
        for message_id in ids[:5]:
            await vecozo.post(f"/v1/inbox/{message_id}/ack", headers=agent)
        left = (await vecozo.get("/v1/inbox", params={"limit": 4}, headers=agent)).json()
    assert seen == [(r.id, r.receiver) for r in rows]
    assert [UUID(e["id"]) for e in left] == ids[5:]


async def test_each_listed_retour_names_its_heenbericht_and_retourcodes(
    registry: store.Pool, adapter: Client
) -> None:
    heen = _row(GEMEENTE, identificatie="START-0001")
    retour = _row(
        PROVIDER,
        bericht_code="419",
        identificatie="START-0001",
        sender=GEMEENTE,
        afzender=PROVIDER,
        ontvanger=GEMEENTE,
        direction="retour",
        answers=heen.id,
        retourcodes=("0200", "9074"),
    )
    toewijzing = _row(PROVIDER, bericht_code="414", sender=GEMEENTE, afzender=GEMEENTE)
    async with registry.acquire() as conn:
        await ledger.insert_messages(conn, [heen])
    await _waiting(registry, "vecozo", [retour, toewijzing])
    provider = await _token(registry, PROVIDER)
    async with adapter("vecozo") as vecozo:
        listing = (await vecozo.get("/v1/inbox", headers=provider)).json()
    assert [e["id"] for e in listing] == [str(retour.id), str(toewijzing.id)]
    assert listing[0]["answers"] == {
        "id": str(heen.id),
        "bericht_code": "418",
        "identificatie": "START-0001",
    }
    assert listing[0]["retourcodes"] == ["0200", "9074"]
    assert (listing[1]["answers"], listing[1]["retourcodes"]) == (None, [])
