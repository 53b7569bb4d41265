"""Hostile input at the adapters, in-process on the real PostgreSQL and broker.

Every hostile upload is refused with its own specific reason, in bounded time and memory,
while valid uploads and inbox reads from other parties keep being served alongside it. A
retour for a heenbericht that never existed is accepted at the door (the adapter cannot know
the ledger) and dead-lettered by the core at the linking stage.
"""

from __future__ import annotations

import asyncio
import time
import tracemalloc
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import httpx

from handlers import intake
from hub.app import make_runtime
from hub.domain import xmlcodec
from hub.domain.decide import Incoming
from hub.domain.headers import H
from hub.infra import store
from hub.infra.embedded import free_port
from hub.infra.kafka import topic_admin
from hub.settings import Settings
from tests.adapterkit import deliver, ingress_record
from tests.security.conftest import FIXTURES, Client, Issue, bearer

WMO305 = (FIXTURES / "iwmo-3.2" / "WMO305.xml").read_bytes()  # 65656055 → 0363
WMO306 = (FIXTURES / "iwmo-3.2" / "WMO306.xml").read_bytes()  # retour by 0363
NS = b"http://www.istandaarden.nl/iwmo/3_2/wmo305/schema"
LIMIT = 25 * 1024 * 1024
PER_UPLOAD_S = 5.0  # a single refusal must never take long, even under the concurrent load
PEAK_BYTES = 160 * 1024 * 1024  # generous: the 25 MB bodies are held once or twice at most


@dataclass(frozen=True)
class Hostile:
    name: str
    body: bytes | None  # None: streamed without Content-Length (see _stream)
    status: int
    reason: str
    says: str = ""  # a fragment the refusal's detail must contain


def _doctype(decl: str, body: str = "&x;") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{decl}\n'
        f'<Bericht xmlns="{NS.decode()}"><Header>{body}</Header></Bericht>'
    ).encode()


def _hostile(evil_port: int) -> list[Hostile]:
    laughs = "".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    pieces = b"x" * 50_000
    return [
        Hostile(
            "xxe-file",
            _doctype('<!DOCTYPE Bericht [<!ENTITY x SYSTEM "file:///etc/passwd">]>'),
            400,
            "doctype",
        ),
        Hostile(
            "xxe-network",
            _doctype(f'<!DOCTYPE Bericht [<!ENTITY x SYSTEM "http://127.0.0.1:{evil_port}/x">]>'),
            400,
            "doctype",
        ),
        Hostile(
            "xxe-parameter-entity",
            _doctype(
                f'<!DOCTYPE Bericht [<!ENTITY % p SYSTEM "http://127.0.0.1:{evil_port}/p"> %p;]>',
                "",
            ),
            400,
            "doctype",
        ),
        Hostile(
            "external-dtd",
            _doctype(f'<!DOCTYPE Bericht SYSTEM "http://127.0.0.1:{evil_port}/d.dtd">', ""),
            400,
            "doctype",
        ),
        Hostile(
            "billion-laughs",
            _doctype(f'<!DOCTYPE Bericht [<!ENTITY l0 "lol">{laughs}]>', "&l9;"),
            400,
            "doctype",
        ),
        Hostile(
            "quadratic-blowup",
            _doctype(f'<!DOCTYPE Bericht [<!ENTITY x "{"a" * 50_000}">]>', "&x;" * 50_000),
            400,
            "doctype",
        ),
        Hostile("bare-doctype", _doctype("<!DOCTYPE Bericht>", ""), 400, "doctype"),
        Hostile(
            "doctype-behind-comments-and-pi",
            b"\xef\xbb\xbf<!-- hi --><?pi x?>\n  <!DOCTYPE Bericht><Bericht xmlns='" + NS + b"'/>",
            400,
            "doctype",
        ),
        Hostile(
            "undeclared-entities-without-doctype",
            b'<Bericht xmlns="' + NS + b'">' + b"&a;" * 100_000 + b"</Bericht>",
            400,
            "entity",
        ),
        Hostile("over-25mb-declared", b"<" + b"a" * LIMIT, 413, "too_large", "25 MB"),
        Hostile("over-25mb-streamed", None, 413, "too_large", "25 MB"),
        Hostile(
            "deeply-nested",
            b'<Bericht xmlns="' + NS + b'">' + b"<a>" * 100 + b"</a>" * 100 + b"</Bericht>",
            400,
            "too_deep",
        ),
        Hostile(
            "very-deeply-nested",
            b'<Bericht xmlns="' + NS + b'">' + b"<a>" * 100_000 + b"</a>" * 100_000 + b"</Bericht>",
            400,
            "too_deep",
        ),
        Hostile(
            "invalid-utf8",
            WMO305.replace(b">Berg<", b">B\xc3\x28rg<", 1),
            400,
            "not_utf8",
            "invalid UTF-8",
        ),
        Hostile(
            "utf16-lying-prolog",
            WMO305.decode().encode("utf-16"),
            400,
            "encoding",
            "claims 'UTF-8'",
        ),
        Hostile(
            "utf16-without-bom-lying-prolog",
            WMO305.decode().encode("utf-16-be"),
            400,
            "encoding",
            "UTF-16BE without a byte-order mark",
        ),
        Hostile(
            "latin1-declared",
            WMO305.replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"', 1),
            400,
            "encoding",
            "ISO-8859-1",
        ),
        Hostile(
            "huge-attribute-over-parser-limit",
            b'<Bericht xmlns="' + NS + b'" a="' + b"x" * 12_000_000 + b'"/>',
            400,
            "too_large",
            "10,000,000-byte",
        ),
        Hostile(
            "huge-attribute-in-a-valid-message",
            WMO305.replace(b"<Header>", b'<Header evil="' + pieces * 100 + b'">', 1),
            400,
            "schema",
        ),
        Hostile(
            "missing-namespace",
            WMO305.replace(b' xmlns="' + NS + b'"', b"", 1),
            400,
            "no_namespace",
        ),
        Hostile(
            "wrong-namespace",
            WMO305.replace(NS, b"http://example.org/evil/schema"),
            400,
            "unknown_message",
            "not an iStandaarden message namespace",
        ),
        Hostile(
            "unknown-release",
            WMO305.replace(b"/3_2/wmo305/", b"/9_9/wmo305/"),
            400,
            "unknown_message",
        ),
        Hostile("empty", b"", 400, "empty"),
        Hostile("not-xml", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, 400, "not_utf8"),
        Hostile("trailing-content", WMO305 + b"<again/>", 400, "trailing_content"),
    ]


async def _stream(size: int) -> AsyncIterator[bytes]:
    """A body sent chunked, without Content-Length: the adapter must stop reading at 25 MB."""
    chunk = b"a" * (1024 * 1024)
    sent = 0
    while sent < size:
        yield chunk
        sent += len(chunk)


async def _timed(work: Awaitable[httpx.Response]) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    answer = await work
    return answer, time.perf_counter() - started


async def test_hostile_uploads_are_refused_while_others_are_served(
    settings: Settings, registry: store.Pool, token: Issue, adapter: Client
) -> None:
    assert settings.kafka_bootstrap is not None
    await topic_admin.ensure_topics(settings, settings.kafka_bootstrap)
    provider = await token("65656055")
    gemeente = await token("0363")
    # Anything that would fetch an external entity or DTD would knock here.
    knocks: list[int] = []

    async def knock(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        knocks.append(1)
        writer.close()

    evil = await asyncio.start_server(knock, "127.0.0.1", free_port())
    evil_port = evil.sockets[0].getsockname()[1]
    cases = _hostile(evil_port)
    inbox_id = await deliver(registry, "0363")

    async with adapter("vecozo") as vecozo, adapter("ggk") as ggk:
        attacker = bearer(provider)

        def send(case: Hostile) -> Awaitable[httpx.Response]:
            if case.body is None:
                return vecozo.post("/v1/messages", content=_stream(LIMIT + 1), headers=attacker)
            return vecozo.post("/v1/messages", content=case.body, headers=attacker)

        async def valid_traffic() -> list[httpx.Response]:
            answers = []
            for _ in range(10):
                answers.append(await vecozo.post("/v1/messages", content=WMO305, headers=attacker))
                answers.append(await ggk.get("/v1/inbox", headers=bearer(gemeente)))
                answers.append(await ggk.get(f"/v1/inbox/{inbox_id}", headers=bearer(gemeente)))
                await asyncio.sleep(0)
            return answers

        tracemalloc.start()
        try:
            started = time.perf_counter()
            results = await asyncio.gather(
                asyncio.gather(*(_timed(send(c)) for c in cases)),
                valid_traffic(),
                valid_traffic(),
            )
            elapsed = time.perf_counter() - started
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    evil.close()
    await evil.wait_closed()

    hostile, *valid = results
    wrong = []
    for case, (answer, seconds) in zip(cases, hostile, strict=True):
        detail = answer.json().get("detail", {})
        got = (answer.status_code, detail.get("reason"))
        if got != (case.status, case.reason) or case.says not in detail.get("detail", ""):
            wrong.append((case.name, got, detail.get("detail", "")[:200]))
        assert seconds < PER_UPLOAD_S, (case.name, seconds)
        # A refusal never echoes the hostile content back.
        assert len(answer.content) < 20_000, (case.name, len(answer.content))
    assert not wrong, wrong
    assert elapsed < 30, elapsed
    print(f"hostile: {elapsed:.2f} s, peak {peak / 2**20:.0f} MiB")
    assert peak < PEAK_BYTES, f"peak {peak / 2**20:.0f} MiB"
    assert knocks == [], "an external entity or DTD was fetched"
    for answers in valid:
        statuses = [a.status_code for a in answers]
        assert statuses == [202, 200, 200] * 10, statuses
        downloads = answers[2::3]
        assert all(d.content == WMO305 for d in downloads)


async def test_refusals_name_the_line_where_possible(token: Issue, adapter: Client) -> None:
    provider = await token("65656055")
    doctype_late = b"<!-- a -->\n\n<!DOCTYPE Bericht>\n<Bericht/>"
    async with adapter("vecozo") as vecozo:
        answer = await vecozo.post("/v1/messages", content=doctype_late, headers=bearer(provider))
    assert answer.status_code == 400
    detail = answer.json()["detail"]
    assert (detail["error"], detail["reason"], detail["line"]) == ("unreadable", "doctype", 3)


async def test_a_retour_for_a_heenbericht_that_never_existed_is_dead_lettered(
    settings: Settings, registry: store.Pool, database_url: str, token: Issue, adapter: Client
) -> None:
    """The adapter cannot know the ledger, so it accepts a schema-valid retour; the core finds
    no heenbericht to link it to and dead-letters it (stage linking, unknown-heenbericht):
    nothing is delivered to anyone."""
    assert settings.kafka_bootstrap is not None
    await topic_admin.ensure_topics(settings, settings.kafka_bootstrap)
    gemeente = await token("0363")
    root = xmlcodec.parse_message(WMO306)
    ident = next(e for e in root.iter() if xmlcodec.local_name(e) == "Identificatie")
    ident.text = "NOSUCHHEEN"
    orphan = xmlcodec.serialize(root)
    async with adapter("ggk") as ggk:
        answer = await ggk.post("/v1/messages", content=orphan, headers=bearer(gemeente))
    assert answer.status_code == 202, answer.text
    message_id = UUID(answer.json()["id"])

    record = await ingress_record(settings, message_id)
    headers = {k: bytes(v).decode() for k, v in record.headers}
    core = make_runtime(settings, settings.kafka_bootstrap, database_url, "test-core")
    core.attach_pool(registry)
    try:
        item = Incoming(
            id=message_id,
            node=headers[H.NODE.value],
            party=headers[H.PARTY.value],
            received_at=datetime.fromisoformat(headers[H.RECEIVED_AT.value]),
            payload=record.value,
            partition=record.partition,
            offset=record.offset,
            topic=record.topic,
        )
        await intake.process(core, intake.build_context(core), [item])
    finally:
        core.attach_pool(None)
    status = await registry.fetchval("SELECT status FROM message WHERE id = $1", message_id)
    assert status == "dead-lettered"
    letters = await registry.fetch("SELECT stage, error, message_id FROM dead_letter")
    assert [(r["stage"], r["error"], r["message_id"]) for r in letters] == [
        ("linking", "unknown-heenbericht", message_id)
    ]
    topics_out = [r["topic"] for r in await registry.fetch("SELECT topic FROM outbox")]
    assert not [t for t in topics_out if ".egress." in t], topics_out
    assert [t for t in topics_out if t.endswith(".dlq")]
    assert await registry.fetchval("SELECT count(*) FROM delivery") == 0
