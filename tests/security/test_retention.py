"""Payload retention on a real PostgreSQL: what `hub purge` empties, what it never touches, and
that the audit metadata stays."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import json
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from hub.infra import store
from hub.infra.store import gauges, retention
from hub.ops.cli.main import main

PAYLOAD = b"<Bericht><Bsn>174285917</Bsn></Bericht>"
OLD = datetime.now(UTC) - timedelta(days=40)
NEW = datetime.now(UTC) - timedelta(hours=1)
CUTOFF = datetime.now(UTC) - timedelta(days=30)


async def _message(
    pool: store.Pool,
    received_at: datetime = OLD,
    *,
    status: str = "accepted",
    receiver_node: str | None = None,
    delivery: str | None = None,  # None, "pending", "downloaded", "acked"
    retour_due: datetime | None = None,
    retour_id: UUID | None = None,
    overdue_at: datetime | None = None,
) -> UUID:
    message_id = uuid4()
    await pool.execute(
        """
        INSERT INTO message (id, received_at, source_node, submitted_by, bericht_code,
                             identificatie, status, payload, payload_sha256, receiver_node,
                             retour_due, retour_id, overdue_at)
        VALUES ($1, $2, 'vecozo', '65656055', '418', $3, $4, $5, $6, $7, $8, $9, $10)
        """,
        message_id,
        received_at,
        f"T{message_id.hex[:10]}",
        status,
        PAYLOAD,
        hashlib.sha256(PAYLOAD).digest(),
        receiver_node,
        retour_due,
        retour_id,
        overdue_at,
    )
    if delivery is not None:
        await pool.execute(
            """
            INSERT INTO delivery (message_id, node, party, downloaded_at, acked_at)
            VALUES ($1, 'ggk', '0363', $2, $3)
            """,
            message_id,
            OLD if delivery in ("downloaded", "acked") else None,
            OLD if delivery == "acked" else None,
        )
    return message_id


async def _dead_letter(pool: store.Pool, *, replayed: bool) -> int:
    return int(
        await pool.fetchval(
            "INSERT INTO dead_letter (stage, error, reason, origin, payload, created_at,"
            " replayed_at) VALUES ('validation', 'unreadable', 'r', 't/0/1', $1, $2, $3)"
            " RETURNING id",
            PAYLOAD,
            OLD,
            OLD if replayed else None,
        )
    )


async def test_purge_empties_only_payloads_nobody_needs_and_keeps_the_audit_trail(
    pool: store.Pool,
) -> None:
    downloaded = await _message(pool, receiver_node="ggk", delivery="downloaded")
    acked = await _message(pool, receiver_node="ggk", delivery="acked")
    rejected = await _message(pool, status="rejected", receiver_node="ggk")
    dead = await _message(pool, status="dead-lettered")
    answered = await _message(
        pool, receiver_node="ggk", delivery="acked", retour_due=OLD, retour_id=uuid4()
    )
    long_overdue = await _message(
        pool, receiver_node="ggk", delivery="acked", retour_due=OLD, overdue_at=OLD
    )
    purgeable = {downloaded, acked, rejected, dead, answered, long_overdue}

    kept = {
        "recent": await _message(pool, NEW, receiver_node="ggk", delivery="acked"),
        "pending inbox item": await _message(pool, receiver_node="ggk", delivery="pending"),
        "on its way to an inbox": await _message(pool, receiver_node="ggk"),
        "awaiting its retour": await _message(
            pool, receiver_node="ggk", delivery="acked", retour_due=NEW
        ),
        "recently overdue": await _message(
            pool, receiver_node="ggk", delivery="acked", retour_due=OLD, overdue_at=NEW
        ),
        # A release freeze holds it until its cutover, however long that is.
        "parked": await _message(pool, status="parked", receiver_node="ggk"),
    }
    in_outbox = await _message(pool, receiver_node="ggk", delivery="acked")
    kept["named by an outbox row"] = in_outbox
    await pool.execute(
        "INSERT INTO outbox (topic, payload, headers) VALUES ('t.egress.ggk', $1, $2)",
        PAYLOAD,
        json.dumps({"hub-message-id": str(in_outbox)}),
    )
    replayed = await _dead_letter(pool, replayed=True)
    waiting = await _dead_letter(pool, replayed=False)

    dry = await retention.purge(pool, CUTOFF, dry_run=True)
    assert (dry.messages, dry.payload_bytes, dry.dead_letters) == (
        len(purgeable),
        len(purgeable) * len(PAYLOAD),
        1,
    )
    assert await pool.fetchval("SELECT count(*) FROM message WHERE purged_at IS NOT NULL") == 0

    done = await retention.purge(pool, CUTOFF)
    assert done == dry
    rows = {r["id"]: r for r in await pool.fetch("SELECT * FROM message")}
    for message_id in purgeable:
        row = rows[message_id]
        assert bytes(row["payload"]) == b""
        assert row["purged_at"] is not None
        # The audit metadata stays: who, when, what, and the digest of what it was.
        assert row["payload_sha256"] == hashlib.sha256(PAYLOAD).digest()
        assert row["identificatie"] == f"T{message_id.hex[:10]}"
        assert row["submitted_by"] == "65656055"
    for why, message_id in kept.items():
        assert bytes(rows[message_id]["payload"]) == PAYLOAD, why
        assert rows[message_id]["purged_at"] is None, why
    letters = {r["id"]: r for r in await pool.fetch("SELECT * FROM dead_letter")}
    assert bytes(letters[replayed]["payload"]) == b""
    assert bytes(letters[waiting]["payload"]) == PAYLOAD  # still needed for `hub dlq replay`
    assert await pool.fetchval("SELECT count(*) FROM delivery") == 9  # deliveries stay

    # A purged message is gone for its receiver, as if never delivered; a re-run is a no-op.
    assert await gauges.download(pool, "ggk", "0363", downloaded) is None
    assert await store.download(pool, "ggk", "0363", downloaded) is None
    listed = {i.message_id for i in await store.inbox(pool, "ggk", "0363")}
    assert downloaded not in listed
    assert kept["pending inbox item"] in listed
    # Downloaded, never acknowledged, purged: out of the inbox index too (migration 0032).
    flags = {
        r["message_id"]: r["payload_purged"] for r in await pool.fetch("SELECT * FROM delivery")
    }
    assert flags[downloaded] is True
    assert flags[acked] is False  # acknowledged: never in it
    assert flags[kept["pending inbox item"]] is False
    again = await retention.purge(pool, CUTOFF)
    assert (again.messages, again.dead_letters) == (0, 0)
    stays, _ = await retention.kept(pool, CUTOFF)
    assert (stays.parked, stays.download, stays.on_its_way) == (1, 1, 1)


async def test_hub_purge_command(
    pool: store.Pool, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = await _message(pool, receiver_node="ggk", delivery="acked")
    recent = await _message(pool, datetime.now(UTC) - timedelta(hours=30), delivery="acked")
    monkeypatch.setenv("HUB_DATABASE_URL", database_url)
    monkeypatch.setenv("HUB_PAYLOAD_RETENTION_HOURS", "24")

    def run(*argv: str) -> tuple[int, str]:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = main(list(argv))
        return code, out.getvalue()

    waiting = await _message(pool, receiver_node="ggk", delivery="pending")
    code, said = await asyncio.to_thread(run, "purge", "--dry-run")
    assert code == 0
    assert said.startswith("would purge the payloads of 2 messages"), said
    assert "HUB_PAYLOAD_RETENTION_HOURS=24" in said
    assert "would keep 1 payloads past the cut-off" in said, said
    assert "1 not yet downloaded by their receiver" in said, said
    assert await pool.fetchval("SELECT count(*) FROM message WHERE purged_at IS NULL") == 3
    code, said = await asyncio.to_thread(run, "purge", "--batch", "1")
    assert code == 0
    lines = said.splitlines()
    assert lines[0].startswith("purged the payloads of 2 messages"), said
    assert lines[1].startswith("in 3 passes of at most 1 messages, "), said  # 1, 1, then 0
    assert "kept 1 payloads past the cut-off" in lines[2], said
    purged = {r["id"] for r in await pool.fetch("SELECT id FROM message WHERE payload = ''")}
    assert purged == {old, recent}
    code, said = await asyncio.to_thread(run, "purge", "--json")
    report = json.loads(said)
    assert (report["messages"], report["passes"], report["batch"]) == (0, 1, 5000)
    assert report["kept"]["download"] == 1
    assert report["kept"]["payload_bytes"] == len(PAYLOAD)
    assert waiting not in purged


async def _envelope(pool: store.Pool, message_id: UUID, direction: str = "in") -> None:
    await pool.execute(
        "INSERT INTO ggk_envelope (message_id, direction, party, referentienummer, berichtcode,"
        " digest, receipt, created_at) VALUES ($1, $2, '0363', $3, 'Di01', $4, $5, $6)",
        message_id, direction, str(uuid4()), b"d" * 32, b"<Bv03/>", OLD,
    )  # fmt: skip


async def _fo01(pool: store.Pool, state: str, done_at: datetime | None) -> UUID:
    message_id = uuid4()
    await pool.execute(
        "INSERT INTO ggk_fo01 (message_id, party, referentienummer, stage, error, state,"
        " created_at, done_at) VALUES ($1, '0363', $2, 'validation', 'invalid', $3, $4, $5)",
        message_id, str(uuid4()), state, OLD, done_at,
    )  # fmt: skip
    return message_id


async def _reference(pool: store.Pool, message_id: UUID, created_at: datetime = OLD) -> None:
    await pool.execute(
        "INSERT INTO vsp_reference (message_id, afzender, traceer_id, conversatie_id,"
        " referentie_id, submitted_by, payload_sha256, berichttype, berichtversie,"
        " berichtsubversie, created_at) VALUES ($1, '65656055', $2, $3, 'dossier mevr. Jansen',"
        " '65656055', $4, 'WMO305', '3', '2', $5)",
        message_id, f"T-{message_id}", f"C-{message_id}", b"s" * 32, created_at,
    )  # fmt: skip


async def test_purge_drops_the_node_doors_rows_once_their_message_is_purged(
    pool: store.Pool,
) -> None:
    """GGk envelopes and Fo01s and the VECOZO references' free text follow the payload; a
    heenbericht's envelope stays while a retour answering it still has its payload."""
    purged = await _message(pool, receiver_node="ggk", delivery="acked")
    answered = await _message(pool, receiver_node="ggk", delivery="acked")
    retour = await _message(pool, NEW, receiver_node="ggk", delivery="acked")
    await pool.execute("UPDATE message SET answers = $1 WHERE id = $2", answered, retour)
    recent = await _message(pool, NEW, receiver_node="ggk", delivery="acked")
    never_in_ledger, just_sent = uuid4(), uuid4()
    for message_id in (purged, answered, recent, never_in_ledger):
        await _envelope(pool, message_id)
    await _envelope(pool, purged, "out")
    await _envelope(pool, just_sent)
    await pool.execute("UPDATE ggk_envelope SET created_at = now() WHERE message_id = $1",
                       just_sent)  # fmt: skip
    await _fo01(pool, "delivered", OLD)  # delivered, and given up, before the cut-off: dropped
    await _fo01(pool, "failed", OLD)
    pending, lately = await _fo01(pool, "pending", None), await _fo01(pool, "delivered", NEW)
    orphan, fresh_orphan = uuid4(), uuid4()
    for message_id in (purged, recent, orphan):
        await _reference(pool, message_id)
    await _reference(pool, fresh_orphan, NEW)

    done = await retention.purge(pool, CUTOFF)
    assert done.messages == 2  # purged and answered
    envelopes = {(r["message_id"], r["direction"]) for r in
                 await pool.fetch("SELECT message_id, direction FROM ggk_envelope")}  # fmt: skip
    assert envelopes == {(answered, "in"), (recent, "in"), (just_sent, "in")}
    fo01 = {r["message_id"] for r in await pool.fetch("SELECT message_id FROM ggk_fo01")}
    assert fo01 == {pending, lately}
    references = {r["message_id"]: r for r in await pool.fetch("SELECT * FROM vsp_reference")}
    assert set(references) == {purged, recent, fresh_orphan}
    assert references[purged]["referentie_id"] is None  # the free text goes with the payload
    assert references[purged]["traceer_id"] == f"T-{purged}"  # the references stay
    assert references[recent]["referentie_id"] == "dossier mevr. Jansen"
    assert done.door_rows == 3 + 2 + 1 + 1  # envelopes, Fo01s, an orphan, a free text

    # Once the retour is purged too, the heenbericht's envelope has served.
    await pool.execute("UPDATE message SET received_at = $1 WHERE id = $2", OLD, retour)
    again = await retention.purge(pool, CUTOFF)
    assert again.messages == 1
    assert again.door_rows == 1
    left = {r["message_id"] for r in await pool.fetch("SELECT message_id FROM ggk_envelope")}
    assert left == {recent, just_sent}
