"""The derivations' per-message guard (handlers.poison.per_message, Attempts, handlers.derive.run):
an error that is one message's own, raised while deriving from it, is tied to it and counted;
past the limit that derivation runs without it and a dead letter with stage
"derivation:<name>" says so, while errors that are not the message's own pass untouched."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast
from uuid import UUID, uuid4

import pytest
from lxml import etree

from handlers import derive
from handlers.derive import Accepted, Derived
from handlers.poison import Attempts, MessageFault, per_message
from hub.domain.decide import Incoming, base_row
from hub.domain.errors import ConfigError, TransientError
from hub.domain.records import DeadLetter
from hub.domain.validation import Outcome, Verdict
from hub.infra import metrics, store
from hub.infra.store import DbConnection, ledger

STAGE = "derivation:fake"


def _item() -> Incoming:
    return Incoming(
        id=uuid4(),
        node="vecozo",
        party="65656055",
        received_at=datetime(2025, 7, 21, 10, 0, tzinfo=UTC),
        payload=b"<secret-payload/>",
        partition=1,
        offset=7,
        topic="t.ingress",
    )


def _accepted(item: Incoming) -> Accepted:
    row = base_row(item, Verdict(Outcome.UNREADABLE, ()), None)
    return Accepted(row, etree.Element("Bericht"), cast(Any, None))


def test_a_message_s_own_error_becomes_its_fault() -> None:
    message_id = uuid4()
    with pytest.raises(MessageFault) as caught, per_message(message_id, STAGE):
        raise ValueError("odd date")
    fault = caught.value
    assert (fault.message_id, fault.step, type(fault.error)) == (message_id, STAGE, ValueError)
    assert fault.reason == "derivation:fake raised ValueError: odd date"


@pytest.mark.parametrize("error", [TransientError("db"), ConfigError("bad"), OSError("net")])
def test_errors_that_are_not_the_message_s_own_pass_untouched(error: Exception) -> None:
    from hub.infra import transient  # noqa: F401  (registers OSError as transient)

    with pytest.raises(type(error)), per_message(uuid4(), STAGE):
        raise error


def test_a_fault_already_tied_keeps_its_message() -> None:
    inner = MessageFault(uuid4(), "decide", KeyError("x"))
    with pytest.raises(MessageFault) as caught, per_message(uuid4(), STAGE):
        raise inner
    assert caught.value is inner


def _failures(flow: str) -> float:
    return cast(float, metrics.FAILURES.labels(flow)._value.get())


def test_derivation_faults_are_counted_apart_and_settled_with_a_log_line_and_the_metric(
    caplog: pytest.LogCaptureFixture,
) -> None:
    attempts = Attempts(limit=2)
    message_id = uuid4()
    fault = MessageFault(message_id, STAGE, ValueError("odd"))
    assert attempts.failed(fault) is False
    # The same message's decision counts on its own (a derivation's tries are not its own).
    assert attempts.failed(MessageFault(message_id, "decide", KeyError("k"))) is False
    assert attempts.failed(fault) is True
    assert attempts.faults == {}  # the message is not dead-lettered: only this derivation skips
    assert attempts.skips == {(message_id, STAGE): fault}

    before = _failures(STAGE)
    with caplog.at_level(logging.WARNING, logger="handlers.poison"):
        attempts.done({uuid4()})  # another batch: nothing settled
        assert attempts.skips
        attempts.done({message_id})
    assert attempts.skips == {}
    assert _failures(STAGE) == before + 1
    (line,) = [r.getMessage() for r in caplog.records if "left out" in r.getMessage()]
    assert str(message_id) in line
    assert STAGE in line
    assert "ValueError" in line
    assert "odd" not in line  # the error's text may quote the message: only in the dead letter


class _Fake:
    """A derivation that records which messages it saw."""

    name = "fake"

    def __init__(self) -> None:
        self.seen: list[UUID] = []

    async def __call__(self, conn: DbConnection, accepted: Sequence[Accepted]) -> Derived:
        self.seen.extend(a.row.id for a in accepted)
        return Derived()


async def test_the_derivation_runs_without_a_skipped_message_and_a_dead_letter_says_so() -> None:
    items = [_item() for _ in range(3)]
    bad = items[1]
    fault = MessageFault(bad.id, STAGE, ValueError("odd"))
    fake, other = _Fake(), _Fake()
    other.name = "other"
    decisions = await derive.run(
        cast(DbConnection, None),
        [fake, other],
        [_accepted(i) for i in items],
        {i.id: i for i in items},
        {(bad.id, STAGE): fault},
    )
    assert fake.seen == [items[0].id, items[2].id]
    assert other.seen == [i.id for i in items]  # another derivation still sees it
    letters = [d for d in decisions if d.dead_letter is not None]
    assert len(letters) == 1
    (skip,) = letters
    # Only the record: the message stays accepted and routed (no row, DLQ record or event).
    assert (skip.rows, skip.outbox, skip.events) == ([], [], [])
    letter = skip.dead_letter
    assert letter is not None
    assert (letter.message_id, letter.stage, letter.error) == (bad.id, STAGE, "ValueError")
    assert letter.reason == "derivation:fake raised ValueError: odd"
    assert letter.origin == "t.ingress/1/7"
    assert letter.payload == bad.payload
    assert letter.headers["hub-message-id"] == str(bad.id)
    assert derive.stage("eigenbijdrage") == "derivation:eigenbijdrage"


async def test_a_derivations_skip_is_never_replayed(pool: store.Pool) -> None:
    """`hub dlq replay` would send the accepted, routed message through intake a second time;
    the store refuses to take a derivation's letter, and says why through its stage."""
    stage = "derivation:eigenbijdrage"
    skipped = DeadLetter(uuid4(), stage, "ValueError", "odd", "t/0/1", {}, b"<x/>")
    decided = DeadLetter(uuid4(), "decide", "ValueError", "odd", "t/0/2", {}, b"<y/>")
    async with pool.acquire() as conn:
        await ledger.add_dead_letters(conn, [skipped, decided])
    by_stage = {e.stage: e.id for e in await ledger.dead_letters(pool)}
    async with pool.acquire() as conn, conn.transaction():
        assert await ledger.take_dead_letter(conn, by_stage[stage]) is None
        assert await ledger.dead_letter_stage(conn, by_stage[stage]) == stage
        assert stage.startswith(ledger.NOT_REPLAYABLE)
        assert await ledger.take_dead_letter(conn, by_stage["decide"]) == ({}, b"<y/>")
    assert metrics.word("derivation:eigenbijdrage") == "derivation:eigenbijdrage"
