"""The ledger's periodic scans and lookups read in proportion to the work they find, not to the
ledger's size (issue #22): each runs on a filled ledger with sequential scans priced out, so a
query that no index serves still reads its whole table and the count of rows examined shows it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from benchmarks.scaleprobe import ScanFigures, measure
from hub.infra import store
from hub.infra.store import freeze, ledger, party_inbox, requests, retention, scale_fill, signals

MESSAGES = 30_000  # 15,000 heenberichten, their retours, 1,500 toewijzingen: ~3 s to fill
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


@pytest.fixture
async def filled(pool: store.Pool) -> store.Pool:
    async with pool.acquire() as conn, conn.transaction():
        heen = MESSAGES // 2
        for first in range(0, heen, 5000):
            await scale_fill.fill_chunk(
                conn,
                first,
                first + 5000,
                heen,
                NOW,
                days=730,
                retention_days=30,
                payload_bytes=200,
            )
        await scale_fill.finish(conn, NOW)
    return pool


async def _measure(pool: store.Pool, call: Any) -> ScanFigures:
    async with pool.acquire() as conn:
        # A small table is read whole when that is cheaper; priced out, a sequential scan
        # remains only where no index serves the query.
        await conn.execute("SET enable_seqscan = off")
        try:
            return await measure(conn, call)
        finally:  # the pool does not reset sessions (hub.infra.store.base._keep_session)
            await conn.execute("RESET enable_seqscan")


async def _not_downloaded(conn: Any, window: str, at: datetime, *, one_in: int) -> None:
    """The deliveries of one message in `one_in` of those in `window` ($1: `at`) neither
    downloaded nor acknowledged: waiting in their receiver's inbox."""
    await conn.execute(
        "UPDATE delivery d SET downloaded_at = NULL, acked_at = NULL FROM message m"
        f" WHERE m.id = d.message_id AND m.{window} AND hashtext(m.id::text) % {one_in} = 0",
        at,
    )


async def test_the_fill_is_a_ledger(filled: store.Pool) -> None:
    counts = await filled.fetchrow(
        "SELECT (SELECT count(*) FROM message) AS m,"
        " (SELECT count(*) FROM message WHERE purged_at IS NOT NULL) AS purged,"
        " (SELECT count(*) FROM history_toewijzing) AS t,"
        " (SELECT count(*) FROM history_start) AS s,"
        " (SELECT count(*) FROM delivery) AS d"
    )
    assert counts is not None
    assert MESSAGES * 0.98 < counts["m"] <= MESSAGES
    assert counts["purged"] > counts["m"] * 0.9  # two years, 30 days kept
    assert counts["t"] == MESSAGES // 20
    assert counts["t"] * 0.9 < counts["s"] < counts["t"]  # one in twenty never started
    assert counts["d"] == counts["m"]


async def test_trace_reads_only_the_messages_it_shows(filled: store.Pool) -> None:
    some = await filled.fetchrow(
        "SELECT id::text AS id FROM message WHERE identificatie = 'S12345'"
    )
    assert some is not None

    async def by_ident(c: Any, p: Any) -> int:
        return len(await ledger.trace(p, "S12345"))

    async def by_id(c: Any, p: Any) -> int:
        return len(await ledger.trace(p, some["id"]))

    async def unknown(c: Any, p: Any) -> int:
        return len(await ledger.trace(p, "no-such-identificatie"))

    for call, found in ((by_ident, 2), (by_id, 2), (unknown, 0)):
        f = await _measure(filled, call)
        assert f.found == found
        assert f.examined <= 12, f  # the pair, its finding and deliveries
        assert not any(n.startswith("Seq Scan message") for n in f.nodes), f


async def test_retours_overdue_reads_only_what_awaits_a_retour(filled: store.Pool) -> None:
    async def listed(c: Any, p: Any) -> int:
        return len(await ledger.overdue(p))

    f = await _measure(filled, listed)
    assert 100 < f.found < 200  # one heenbericht in 97 never answered
    assert f.examined <= f.found + 10, f


@pytest.mark.parametrize("scan", ["deadlines", "request clock", "purge", "cutover"])
async def test_periodic_scans_are_bounded(filled: store.Pool, scan: str) -> None:
    async def call(c: Any, p: Any) -> int:
        later = NOW + timedelta(days=30)
        if scan == "deadlines":
            return len(await ledger.claim_overdue(c, later))
        if scan == "request clock":
            return len(await requests.claim_overdue(c, later))
        if scan == "purge":
            return (await retention.purge(p, NOW - timedelta(days=30), limit=100)).messages
        return len(await freeze.take_parked(c, "iwmo", "3.2"))

    f = await _measure(filled, call)
    assert f.examined <= 4 * f.found + 100, f


@pytest.mark.parametrize("scan", ["deadlines", "request clock"])
async def test_overdue_claims_skip_what_was_reported(filled: store.Pool, scan: str) -> None:
    """The fill reported everything overdue before the last week and never answered (about
    40 verzoeken, 150 heenberichten): a claim now reads only the rest."""

    async def call(c: Any, p: Any) -> int:
        if scan == "deadlines":
            return len(await ledger.claim_overdue(c, NOW))
        return len(await requests.claim_overdue(c, NOW))

    f = await _measure(filled, call)
    assert f.examined <= 2 * f.found + 10, f


@pytest.mark.parametrize("kind", ["no-start", "no-stop"])
async def test_signal_scans_are_bounded(filled: store.Pool, kind: str) -> None:
    day = (NOW - timedelta(days=7)).date()
    claim = signals.claim_without_start if kind == "no-start" else signals.claim_without_stop

    async def call(c: Any, p: Any) -> int:
        return len(await claim(c, day))

    f = await _measure(filled, call)
    assert f.found > 0
    # The pass examines at most 10,000 toewijzingen (10 per signal it may raise), each with
    # its start, stop and signal lookups: never the 1,500 of the whole history times passes.
    assert f.examined <= 4 * 10_000, f
    # Once settled, a second pass examines only what became due since: nothing here.
    async with filled.acquire() as conn:
        await claim(conn, day)
    again = await _measure(filled, call)
    assert again.found == 0
    assert again.examined <= 10, again


async def test_a_purge_run_reads_what_it_keeps_once_not_once_a_pass(filled: store.Pool) -> None:
    """A backlog of ten days' payloads (a purge that had not run, or a shorter retention) in
    which one message in three waits for its receiver to download it: a run in passes of 20
    purges every other one, reads each kept one about once (not once a pass), and says why
    it kept them."""
    cutoff = NOW - timedelta(days=20)
    window = "received_at >= $1::timestamptz - interval '10 days' AND received_at < $1"
    async with filled.acquire() as conn:
        await _not_downloaded(conn, window, cutoff, one_in=3)
        backlog = await conn.fetchval(
            f"SELECT count(*) FROM message WHERE purged_at IS NULL AND {window}", cutoff
        )
    assert backlog > 300

    async def call(c: Any, p: Any) -> int:
        run = await retention.purge_all(p, cutoff, batch=20)
        assert run.passes > 5
        assert run.kept.download > 60
        assert run.done.messages + run.kept.messages == backlog
        return run.done.messages + run.kept.messages

    f = await _measure(filled, call)
    assert f.found == backlog
    # Per message: its index entry, its deliveries' probe, its update; the kept ones read
    # again when the run counts them: ~4.5 rows a message here (1,870 for 409). Read again by
    # every pass, as before the run kept its place, the kept ones alone add ~1,700 (3,541).
    assert f.examined <= 5 * f.found, f


async def test_purge_passes_leave_settled_vecozo_references_alone(filled: store.Pool) -> None:
    """A VECOZO reference stays for ever (its traceerId answers status queries): once a pass
    cleared its free text after its message was purged, no later pass reads it again, where
    each pass read every reference older than the cut-off."""
    cutoff = NOW - timedelta(days=30)
    async with filled.acquire() as conn:
        await conn.execute(
            "INSERT INTO vsp_reference (message_id, afzender, traceer_id, conversatie_id,"
            " referentie_id, submitted_by, payload_sha256, berichttype, berichtversie,"
            " berichtsubversie, created_at)"
            " SELECT id, sender, id::text, id::text, 'eigen kenmerk', sender, payload_sha256,"
            " 'WMO' || bericht_code, '3', '2', received_at FROM message"
        )
    references = await filled.fetchval("SELECT count(*) FROM vsp_reference")
    first = await retention.purge(filled, cutoff, limit=references)
    purged = await filled.fetchval(
        "SELECT count(*) FROM message WHERE purged_at IS NOT NULL AND received_at < $1", cutoff
    )
    assert first.door_rows == purged > 20_000  # every purged message's free text cleared

    async def call(c: Any, p: Any) -> int:
        return (await retention.purge(p, cutoff, limit=1000)).door_rows

    f = await _measure(filled, call)
    assert f.found == 0
    assert f.examined <= 100, f  # before migration 0030: every one of the 28,000 references


async def test_the_freeze_gauge_reads_what_is_unsent_not_the_release(filled: store.Pool) -> None:
    """The core samples what a freeze leaves unsent while one is under way: the routed
    messages in no inbox yet, and those in one but not downloaded. It read every routed
    message of the release (the whole ledger) and probed its deliveries; now it reads the
    unsent ones (migration 0031)."""
    window = "received_at >= $1::timestamptz - interval '3 days'"
    columns = (
        "received_at, recorded_at, source_node, submitted_by, namespace, bericht_code,"
        " afzender, ontvanger, identificatie, status, payload, payload_sha256, message_type,"
        " standard, release, direction, sender, receiver, receiver_node, person_key,"
        " retourcodes, retour_due"
    )
    async with filled.acquire() as conn:
        await _not_downloaded(conn, window, NOW, one_in=2)
        not_downloaded = await conn.fetchval(
            "SELECT count(*) FROM delivery WHERE downloaded_at IS NULL AND acked_at IS NULL"
        )
        # Routed messages written now, which their adapter has not delivered yet.
        undelivered = await conn.fetchval(
            f"WITH new AS (INSERT INTO message (id, {columns})"
            f" SELECT md5(id::text || 'again')::uuid, {columns} FROM message"
            f" WHERE {window} AND hashtext(id::text) % 2 = 1 RETURNING 1)"
            " SELECT count(*) FROM new",
            NOW,
        )
    assert not_downloaded > 20
    assert undelivered > 20

    expected = [(undelivered, not_downloaded)]

    async def call(c: Any, p: Any) -> int:
        counts = await freeze.unsent_counts(c, "iwmo", "3.2")
        assert counts == expected[0]
        return sum(counts)

    f = await _measure(filled, call)
    assert f.found == undelivered + not_downloaded
    # Each unsent one's row and its message by id.
    assert f.examined <= 2 * f.found + 10, f
    # Delivered, they are no longer read.
    async with filled.acquire() as conn:
        await conn.execute(
            "INSERT INTO delivery (message_id, node, party, downloaded_at)"
            " SELECT m.id, m.receiver_node, m.receiver, now() FROM awaiting_delivery a"
            " JOIN message m ON m.id = a.message_id"
        )
        await conn.execute("UPDATE delivery SET downloaded_at = now()")
    expected[0] = (0, 0)
    assert await freeze.unsent_counts(filled, "iwmo", "3.2") == (0, 0)
    await filled.execute("VACUUM ANALYZE awaiting_delivery, delivery")  # as autovacuum would
    after = await _measure(filled, call)
    assert after.examined == 0, after


async def test_the_broken_pairs_report_reads_what_awaits_a_retour(filled: store.Pool) -> None:
    async def call(c: Any, p: Any) -> int:
        return len(await freeze.broken_pairs(p, "iwmo", "3.2"))

    f = await _measure(filled, call)
    assert 100 < f.found < 200  # one heenbericht in 97 never answered
    assert f.examined <= f.found + 10, f


async def test_an_inbox_listing_reads_what_waits_not_the_partys_history(
    filled: store.Pool,
) -> None:
    """G3 downloads without ever acknowledging (allowed, as at the VECOZO node): a listing of
    its inbox read every delivery it ever had, and each one's message, to find the few whose
    payload is still there; now the purge takes its deliveries out of the inbox index."""
    party = scale_fill.NEVER_ACKNOWLEDGES
    history = await filled.fetchval("SELECT count(*) FROM delivery WHERE party = $1", party)
    waiting = await filled.fetchval(
        "SELECT count(*) FROM delivery d JOIN message m ON m.id = d.message_id"
        " WHERE d.party = $1 AND d.acked_at IS NULL AND m.purged_at IS NULL",
        party,
    )
    assert history > 500
    assert 10 < waiting < history / 10

    async def listed(c: Any, p: Any) -> int:
        return len(await party_inbox.inbox(p, "ggk", [party], 1000))

    f = await _measure(filled, listed)
    assert f.found == waiting
    assert f.examined <= 2 * f.found + 10, f

    async def page(c: Any, p: Any) -> int:  # a poll's page reads the page, not all that waits
        return len(await party_inbox.inbox(p, "ggk", [party, "G4"], 5))

    paged = await _measure(filled, page)
    assert paged.found == 5
    assert paged.examined <= 2 * (2 * 5) + 10, paged  # each party's first five, merged

    # A purge pass takes what it purges out of the listing.
    cutoff = NOW - timedelta(days=20)
    before = await filled.fetchval(
        "SELECT count(*) FROM delivery d JOIN message m ON m.id = d.message_id"
        " WHERE d.party = $1 AND NOT d.payload_purged AND m.received_at < $2",
        party,
        cutoff,
    )
    assert before > 0
    await retention.purge(filled, cutoff, limit=10_000)
    after = await _measure(filled, listed)
    assert after.found == waiting - before
    assert after.examined <= 2 * after.found + 10, after
    assert not await filled.fetchval(
        "SELECT count(*) FROM delivery d JOIN message m ON m.id = d.message_id"
        " WHERE m.purged_at IS NOT NULL AND d.acked_at IS NULL AND NOT d.payload_purged"
    )
