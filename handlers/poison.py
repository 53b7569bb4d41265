"""Poison messages: an unexpected error while deciding one message, or while deriving from it,
is tied to that message, its tries are counted, and past the limit it alone is set aside (its
decision dead-lettered, or the derivation's output for it left out) so the batch goes on."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from typing import Final, TypeVar
from uuid import UUID

from hub.domain.decide import Context, Decision, Incoming, base_row, dead_letter
from hub.domain.errors import Disposition, disposition
from hub.domain.headers import H
from hub.domain.records import DeadLetter
from hub.domain.validation import Outcome, Validator, Verdict
from hub.infra import metrics

log = logging.getLogger(__name__)

T = TypeVar("T")

STAGE: Final = "decide"  # the dead letter's stage: the hub failed deciding it
DERIVATION: Final = "derivation:"  # + the derivation's name: the hub failed deriving from it
_REASON_CHARS: Final = 300


class MessageFault(Exception):
    """One message's decision raised; the batch's transaction is rolled back."""

    def __init__(self, message_id: UUID, step: str, error: BaseException) -> None:
        super().__init__(f"message {message_id}: {step} raised {type(error).__name__}")
        self.message_id = message_id
        self.step = step
        self.error = error

    @property
    def reason(self) -> str:
        """The step, error class and its message, for the dead-letter record (not events)."""
        text = f"{self.step} raised {type(self.error).__name__}: {self.error}"
        return text[:_REASON_CHARS]


def guard(message_id: UUID, step: str, fn: Callable[..., T], *args: object) -> T:
    """`fn(*args)`, with an error that is the message's own raised as its MessageFault."""
    try:
        return fn(*args)
    except MessageFault:
        raise
    except Exception as exc:  # blind: disposition() sorts it; only the message's own is kept
        if disposition(exc) is not Disposition.DEAD_LETTER:
            raise
        raise MessageFault(message_id, step, exc) from exc


@contextmanager
def per_message(message_id: UUID, step: str) -> Iterator[None]:
    """`guard` for a block (a derivation's work on one message, which may await)."""
    try:
        yield
    except MessageFault:
        raise
    except Exception as exc:  # blind: disposition() sorts it; only the message's own is kept
        if disposition(exc) is not Disposition.DEAD_LETTER:
            raise
        raise MessageFault(message_id, step, exc) from exc


def _key(fault: MessageFault) -> tuple[UUID, str]:
    """Tries are counted per message for its decision (whichever step raised), and per
    message and derivation for a derivation: each derivation skips the message on its own."""
    step = fault.step if fault.step.startswith(DERIVATION) else STAGE
    return fault.message_id, step


class Attempts:
    """Failed tries per message id, in this process's memory: a restart starts the count
    again, which bounds the tries per process run (the limit is small), and the map is
    bounded so a stream of faults cannot grow it without end."""

    def __init__(self, limit: int, capacity: int = 10_000) -> None:
        self.limit = limit
        self._capacity = capacity
        self._tries: OrderedDict[tuple[UUID, str], int] = OrderedDict()
        self.faults: dict[UUID, MessageFault] = {}  # ids past the limit, until dead-lettered
        # (id, derivation stage) past the limit: the message is decided as ever, and that
        # derivation's output for it is left out (a dead letter says so) until the batch commits
        self.skips: dict[tuple[UUID, str], MessageFault] = {}

    def failed(self, fault: MessageFault) -> bool:
        """Count one failed try; True when the message has had its last one."""
        key = _key(fault)
        tries = self._tries.pop(key, 0) + 1
        self._tries[key] = tries
        while len(self._tries) > self._capacity:
            self._tries.popitem(last=False)
        log.warning(
            "message %s: %s raised %s (try %d of %d)",
            fault.message_id,
            fault.step,
            type(fault.error).__name__,
            tries,
            self.limit,
        )
        if tries >= self.limit:
            if key[1] == STAGE:
                self.faults[fault.message_id] = fault
            else:
                self.skips[key] = fault
            return True
        return False

    def done(self, message_ids: Collection[UUID]) -> None:
        """The batch committed: its dead-lettered faults and derivation skips are settled."""
        for message_id in list(self.faults):
            if message_id in message_ids:
                del self.faults[message_id]
                self._tries.pop((message_id, STAGE), None)
        for key in list(self.skips):
            if key[0] in message_ids:
                fault = self.skips.pop(key)
                self._tries.pop(key, None)
                # Counted once it is committed (a rolled-back try is counted as an intake failure)
                metrics.FAILURES.labels(fault.step).inc()
                log.error(
                    "message %s: %s left out after %d tries (%s); its dead letter says why",
                    fault.message_id,
                    fault.step,
                    self.limit,
                    type(fault.error).__name__,
                )


def dead_lettered(
    ctx: Context, validator: Validator, item: Incoming, fault: MessageFault
) -> Decision:
    """The poison message kept aside (stage "decide", the error class, the reason), its
    sender told by the message.rejected event. No retour (a reading): the only fitting code,
    0001 "afgekeurd om technische redenen", says the message broke an XSLT rule, which would
    refuse a message that may be valid; the hub failed, not the message. Kept as a dead
    letter it can be replayed once the hub is fixed (`hub dlq replay`). Building a retour is
    also a step that may be what failed (a pack without the retour schemas)."""
    try:
        verdict = validator.validate(item.payload)
        row = base_row(item, verdict, None)
    # blind: the envelope is a courtesy: a row without it is still the record (and this step
    # may be what failed the first time, with any error)
    except Exception:
        row = base_row(item, Verdict(Outcome.UNREADABLE, ()), None)
    return dead_letter(ctx, item, row, STAGE, type(fault.error).__name__, fault.reason)


def skipped(item: Incoming, fault: MessageFault) -> Decision:
    """A derivation's output for an accepted message left out: only a dead-letter record
    (stage "derivation:<name>", for `hub dlq list`). The message itself stays accepted and
    routed, so neither its ledger row nor the DLQ topic (what the core could not use, for the
    uploading party) nor a message.rejected event would be true of it."""
    letter = DeadLetter(
        message_id=item.id,
        stage=fault.step,
        error=type(fault.error).__name__,
        reason=fault.reason,
        origin=item.origin,
        headers={
            H.MESSAGE_ID.value: str(item.id),
            H.NODE.value: item.node,
            H.PARTY.value: item.party,
            H.RECEIVED_AT.value: item.received_at.isoformat(),
        },
        payload=item.payload,
    )
    return Decision(dead_letter=letter)
