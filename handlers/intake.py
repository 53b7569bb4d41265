"""The intake flow of the hub core: every ingress batch is validated (schema, in-message and
history rules), decided, and written in one PostgreSQL transaction (ledger, findings,
history state, retour links, dead letters and the outbox) before its offsets are committed."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Final
from uuid import UUID

from faststream import AckPolicy
from faststream.kafka import KafkaRouter
from faststream.kafka.annotations import KafkaMessage

from handlers import derive, receivers, requestclock, sleutelmomenten
from handlers.advisory import base_lookup, batch_context, record_findings
from handlers.derive import Accepted, Derivation
from handlers.observe import BatchObservation
from handlers.poison import Attempts, MessageFault, guard
from handlers.poison import dead_lettered as poison_decision
from hub.domain import decide, events, history, records, topics, workdays
from hub.domain.decide import Context, Decision, Incoming, park
from hub.domain.errors import Disposition, disposition
from hub.domain.headers import H
from hub.domain.history import HistoryFacts, HistoryInputError
from hub.domain.history.state import HistoryState
from hub.domain.messages import Direction, Node
from hub.domain.privacy import client_person_key
from hub.domain.records import HeenRef
from hub.domain.validation import Verdict, today_in_amsterdam
from hub.infra import metrics, outbox, store
from hub.infra.intake_progress import PROGRESS as progress
from hub.infra.runtime import Runtime
from hub.infra.store import DbConnection, ledger, parties

log = logging.getLogger(__name__)

_BACKOFF_S: Final = 1.0
_TRACE_HEADERS: Final = ("traceparent", "tracestate")
# A record without a hub message id (produced straight to ingress, not by an adapter) gets
# one derived from where it sits, so a redelivery keeps the same id and is recognised.
_NAMESPACE_ID: Final = uuid.UUID("5d3f8f7e-3b51-4f39-9a59-7f3c2b6a1e10")


def _headers(record: Any) -> dict[str, str]:
    return {k: bytes(v).decode("utf-8", "replace") for k, v in record.headers or ()}


def incoming(record: Any) -> Incoming:
    headers = _headers(record)
    origin = f"{record.topic}/{record.partition}/{record.offset}"
    try:
        message_id = UUID(headers[H.MESSAGE_ID.value])
    except (KeyError, ValueError):
        message_id = uuid.uuid5(_NAMESPACE_ID, origin)
    try:
        received_at = datetime.fromisoformat(headers[H.RECEIVED_AT.value])
    except (KeyError, ValueError):
        received_at = datetime.fromtimestamp(record.timestamp / 1000, UTC)
    return Incoming(
        id=message_id,
        node=headers.get(H.NODE.value, ""),
        party=headers.get(H.PARTY.value, ""),
        received_at=received_at,
        payload=record.value or b"",
        partition=record.partition,
        offset=record.offset,
        topic=record.topic,
        trace_headers={k: headers[k] for k in _TRACE_HEADERS if k in headers},
    )


def person_of(verdict: Verdict, secret: bytes) -> str | None:
    """The keyed hash of the message's one client, if it has exactly one."""
    if verdict.pack_message is None:
        return None
    return client_person_key(verdict.root, secret)


def build_context(runtime: Runtime) -> Context:
    settings = runtime.settings
    return Context(
        packs=runtime.packs,
        egress_topic=lambda node: topics.egress_name(settings, Node(node)),
        dlq_topic=topics.name(settings, topics.DLQ),
        today=today_in_amsterdam,
        deadline=workdays.retour_deadline,
        freeze=runtime.freeze,
        parked_topic=topics.name(settings, topics.PARKED),
        history_mode=base_lookup(settings),  # the database's modes: per batch (batch_context)
    )


async def process(
    runtime: Runtime,
    ctx: Context,
    items: Sequence[Incoming],
    derivations: Sequence[Derivation] = (),
    attempts: Attempts | None = None,
) -> list[Decision]:
    """Decide and record one batch; returns the decisions (for tests and metrics).

    A message whose decision raises an error of its own (hub.domain.errors.disposition says
    DEAD_LETTER) fails the batch, which is redelivered, until it has had `attempts.limit`
    tries; then the batch is decided again with that message alone dead-lettered, and the
    others go through. A derivation that raises on one message's own fault is counted the
    same way; past the limit the message stays accepted and routed, and that derivation runs
    without it (a dead letter with stage "derivation:<name>" keeps the skip in sight).
    Without `attempts` (callers outside the consumer), every such failure is raised."""
    tries = attempts or Attempts(runtime.settings.intake_max_attempts)
    while True:
        try:
            decisions = await _process(runtime, ctx, items, derivations, tries.faults, tries.skips)
        except MessageFault as fault:
            if not tries.failed(fault):
                raise
            continue  # decide the batch again, that message dead-lettered
        tries.done({i.id for i in items})
        return decisions


async def _process(
    runtime: Runtime,
    ctx: Context,
    items: Sequence[Incoming],
    derivations: Sequence[Derivation],
    poisoned: Mapping[UUID, MessageFault],
    skips: Mapping[tuple[UUID, str], MessageFault],
) -> list[Decision]:
    secret = runtime.settings.person_key_secret.get_secret_value().encode()
    unique = list({i.id: i for i in items}.values())
    obs = BatchObservation(unique, runtime.settings.consumer_group)
    async with obs, runtime.pool.acquire() as conn, conn.transaction():
        known = await ledger.known_ids(conn, [i.id for i in unique])
        fresh = [i for i in unique if i.id not in known and i.id not in poisoned]
        poison = [i for i in unique if i.id not in known and i.id in poisoned]
        obs.lap("dedup")
        verdicts = [
            guard(i.id, "validate", obs.timed, i.id, "validate", runtime.validator.validate,
                  i.payload)
            for i in fresh
        ]  # fmt: skip
        persons = [
            guard(item.id, "person key", person_of, v, secret)
            for item, v in zip(fresh, verdicts, strict=True)
        ]
        # --- release freeze (hub/domain/decide/park.py): parked messages skip every later step ---
        parked = {
            item.id: held
            for item, verdict, person in zip(fresh, verdicts, persons, strict=True)
            if (held := guard(item.id, "freeze", park.park, ctx, item, verdict, person)) is not None
        }
        # --- end of the release-freeze step ---
        # Decided up front as well: a heenbericht to no registered receiver is dead-lettered
        # (handlers/receivers.py), and no rule runs on it.
        parked.update(await receivers.unroutable(conn, ctx, fresh, verdicts, persons, parked))
        obs.lap("validate")

        facts: dict[UUID, HistoryFacts] = {}
        for item, verdict in zip(fresh, verdicts, strict=True):
            mt = verdict.message_type
            if mt is None or not verdict.answerable or mt.direction is Direction.RETOUR:
                continue  # heenberichten and the 325 (its history rules: TR337, TR366, ...)
            if verdict.findings or item.id in parked:
                continue  # history rules run only on messages that pass levels 1 and 2
            assert verdict.root is not None
            found = guard(item.id, "history facts", _facts, verdict, mt.name, secret, item.id)
            if found is not None:
                facts[item.id] = found
        obs.lap("history facts")
        state = await store.load_history(conn, list(facts.values()))
        ctx = await batch_context(conn, ctx, facts.values())  # advisory or enforce, per gemeente

        keys = {
            item.id: guard(item.id, "heen key", decide.heen_key, verdict, runtime.packs)
            for item, verdict in zip(fresh, verdicts, strict=True)
            if verdict.message_type is not None
            and not verdict.message_type.is_heen
            and item.id not in parked
        }
        heens: dict[tuple[str, str, str], HeenRef] = await ledger.find_heen(
            conn, [k for k in keys.values() if k is not None]
        )
        # Retours an indiener uploaded for the party that sends them: the registry says
        # whether it may (the adapter checked at upload; the core checks what it links).
        delegated = await parties.delegations(conn, _uploads_for_others(fresh, verdicts, keys))

        obs.lap("history load")
        decisions: list[Decision] = []
        for item, verdict, person in zip(fresh, verdicts, persons, strict=True):
            try:
                decision, state = _decide(
                    ctx, item, verdict, person, parked, facts, state, keys, heens, delegated, obs
                )
            except Exception as exc:  # blind: disposition() sorts it, as in poison.guard
                if disposition(exc) is not Disposition.DEAD_LETTER:
                    raise
                raise MessageFault(item.id, "decide", exc) from exc
            decisions.append(decision)

        accepted = [
            Accepted(d.rows[0], v.root, v.message_type, facts.get(d.rows[0].id))
            for d, v in zip(decisions, verdicts, strict=True)
            if d.rows
            and d.rows[0].status == "accepted"
            and v.root is not None
            and v.message_type is not None
        ]
        decisions.extend(
            poison_decision(ctx, runtime.validator, item, poisoned[item.id]) for item in poison
        )
        obs.lap("decide")
        fresh_by_id = {i.id: i for i in fresh}
        decisions.extend(await derive.run(conn, derivations, accepted, fresh_by_id, skips))
        obs.lap("derive")
        # Sleutelmomenten against the history before this batch: before _write applies it.
        moments = await sleutelmomenten.record(conn, accepted, runtime.settings)
        started_ns = time.time_ns()
        queued = await _write(conn, runtime, decisions)
        answered = await requestclock.record(conn, accepted)  # verzoeken's clocks (315/317)
        moments += await sleutelmomenten.answered(conn, answered, accepted)
        obs.step("ledger and outbox write", started_ns)
        obs.lap("write")
        obs.decided(decisions)
    progress.committed(len(unique))
    metrics.observe_moments(moments)
    runtime.offer(*queued)  # committed: publish now (the relay's claim is the crash path)
    return decisions


def _facts(verdict: Verdict, name: str, secret: bytes, message_id: UUID) -> HistoryFacts | None:
    assert verdict.root is not None
    try:
        return history.extract(verdict.root, name, secret, message_id=message_id)
    except HistoryInputError:
        log.warning("message %s: history facts unreadable; rules skipped", message_id)
        return None


def _decide(
    ctx: Context,
    item: Incoming,
    verdict: Verdict,
    person: str | None,
    parked: Mapping[UUID, Decision],
    facts: Mapping[UUID, HistoryFacts],
    state: HistoryState,
    keys: Mapping[UUID, tuple[str, str, str] | None],
    heens: dict[tuple[str, str, str], HeenRef],
    delegated: Collection[tuple[str, str]],
    obs: BatchObservation,
) -> tuple[Decision, HistoryState]:
    """One message's decision, and the history state the batch's next message sees."""
    mt = verdict.message_type
    if item.id in parked:
        decision = parked[item.id]
    elif mt is None or not verdict.answerable:
        decision = decide.unusable(ctx, item, verdict, person)
    elif mt.direction is Direction.HEEN:
        outcome = (
            obs.timed(item.id, "history rules", history.evaluate, facts[item.id], state)
            if item.id in facts
            else None
        )
        decision = decide.heen(
            ctx,
            item,
            verdict,
            person,
            outcome.findings if outcome else (),
            outcome.effects if outcome else None,
            decide.new_retour_identificatie,
            facts.get(item.id),
        )
        if decision.effects is not None:
            state = state.with_effects(decision.effects)
        _remember_heen(heens, decision)
    else:
        key = keys.get(item.id)
        outcome = history.evaluate(facts[item.id], state) if item.id in facts else None
        decision = decide.retour(
            ctx, item, verdict, person, heens.get(key) if key else None,
            outcome.findings if outcome else (),
            outcome.effects if outcome else None, delegated, facts.get(item.id),
        )  # fmt: skip
        if decision.effects is not None:
            state = state.with_effects(decision.effects)
        if key is not None and decision.link is not None and key in heens:
            heens[key] = replace(heens[key], retour_id=item.id)
    return decision, state


def _uploads_for_others(
    fresh: Sequence[Incoming], verdicts: Sequence[Verdict], keys: dict[UUID, Any]
) -> list[tuple[str, str]]:
    """(uploader, sender) of each retour in the batch that its sender did not upload itself."""
    pairs: set[tuple[str, str]] = set()
    for item, verdict in zip(fresh, verdicts, strict=True):
        if item.id in keys:
            sender = decide.retour_sender(verdict)
            if sender is not None and sender != item.party:
                pairs.add((item.party, sender))
    return sorted(pairs)


def _remember_heen(heens: dict[tuple[str, str, str], HeenRef], decision: Decision) -> None:
    """A heenbericht accepted earlier in this batch can be answered later in the same batch."""
    row = decision.rows[0]
    if row.status == "accepted" and row.sender and row.bericht_code and row.identificatie:
        heens[(row.sender, row.bericht_code, row.identificatie)] = HeenRef(
            id=row.id,
            sender=row.sender,
            receiver=row.receiver,
            receiver_node=row.receiver_node,
            source_node=row.source_node,
            message_type=row.message_type,
            retour_id=None,
        )


async def _write(
    conn: DbConnection, runtime: Runtime, decisions: Sequence[Decision]
) -> tuple[list[int], list[records.OutboxMessage]]:
    """Write one batch's decisions; returns the outbox rows queued (ids and messages)."""
    settings = runtime.settings
    events_topic = topics.name(settings, topics.EVENTS)
    now = datetime.now(UTC)
    rows = [r for d in decisions for r in d.rows]
    await ledger.insert_messages(conn, rows)
    await ledger.insert_findings(conn, [f for d in decisions for f in d.findings])
    effects = [d.effects for d in decisions if d.effects is not None]
    if effects:
        await store.apply_history(conn, effects)
    await record_findings(conn, decisions)
    await ledger.link_retours(conn, [d.link for d in decisions if d.link is not None])
    await ledger.add_dead_letters(
        conn, [d.dead_letter for d in decisions if d.dead_letter is not None]
    )
    messages = [m for d in decisions for m in d.outbox]
    for d in decisions:
        for e in d.events:
            try:
                messages.append(
                    events.to_outbox(events_topic, e.type, e.row, e.data, occurred_at=now)
                )
            except ValueError:
                # An event that does not fit its schema is a bug to fix, never a reason to
                # hold up the messages themselves (the batch would be redelivered forever).
                log.exception("event %s for message %s not published", e.type, e.message_id)
    ids = await outbox.add(
        conn,
        messages,
        # Egress, retours, notices, dead letters and parked messages carry the payload of a
        # row just written: the outbox names that row instead of copying the bytes.
        ledger_payloads={str(r.id): r.payload for r in rows},
        hold_s=settings.relay_hold_s if runtime.publishes_directly else None,
    )
    return ids, messages


def build_router(runtime: Runtime, derivations: Sequence[Derivation] = ()) -> KafkaRouter:
    settings = runtime.settings
    router = KafkaRouter()
    ctx = build_context(runtime)
    attempts = Attempts(settings.intake_max_attempts)  # this consumer's tries per message

    @router.subscriber(
        topics.name(settings, topics.INGRESS),
        group_id=settings.consumer_group,
        batch=True,
        max_records=settings.batch_max_records,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
        fetch_min_bytes=settings.fetch_min_bytes,
        session_timeout_ms=settings.consumer_session_timeout_ms,
        heartbeat_interval_ms=settings.consumer_heartbeat_ms,
        # Offsets are committed only after the batch's transaction committed; an error
        # seeks back so the batch is redelivered, and the ledger recognises what it has.
        ack_policy=AckPolicy.NACK_ON_ERROR,
    )
    async def intake(body: list[bytes], msg: KafkaMessage) -> None:
        records = msg.raw_message if isinstance(msg.raw_message, tuple) else (msg.raw_message,)
        try:
            await process(runtime, ctx, [incoming(r) for r in records], derivations, attempts)
        # blind: logged and raised again, so the batch is redelivered whatever disposition()
        # says: RETRY; a message's own fault, counted by `attempts`; STOP (a consumer cannot
        # stop its process, and nothing of the batch was written)
        except Exception:
            log.exception("intake batch of %d failed; it will be redelivered", len(records))
            await asyncio.sleep(_BACKOFF_S)
            raise

    return router
