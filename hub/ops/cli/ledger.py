"""Operator commands over the ledger: `hub trace`, `hub dlq list|replay`, `hub retours overdue`,
`hub requests overdue`."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from uuid import uuid4

from hub.domain import topics
from hub.domain.errors import ConfigError
from hub.domain.headers import H
from hub.infra import store
from hub.infra.kafka.broker import build_broker
from hub.infra.store import ledger
from hub.infra.store import requests as request_clocks
from hub.ops.cli.connect import with_pool
from hub.ops.cli.moments import when
from hub.settings import Settings


def cmd_trace(args: argparse.Namespace, settings: Settings) -> int:
    entries = with_pool(settings, lambda pool: ledger.trace(pool, args.ref))
    if not entries:
        print(f"no message with id or Identificatie {args.ref!r}")
        return 1
    for e in entries:
        role = (
            "retour built by the hub"
            if e.built_by_hub
            else f"from {e.submitted_by} via {e.source_node}"
        )
        print(f"{e.id}  {e.message_type or '?'}  Identificatie {e.identificatie or '-'}  ({role})")
        route = f"{e.sender or '?'} -> {e.receiver or '?'}"
        print(f"  received {when(e.received_at)}  {route}  status {e.status}")
        if e.retourcodes:
            print(f"  retourcodes {', '.join(e.retourcodes)}")
        if e.answers:
            print(f"  answers {e.answers}")
        if e.retour_id:
            print(f"  answered by {e.retour_id}")
        elif e.retour_due:
            late = f", overdue since {when(e.overdue_at)}" if e.overdue_at else ""
            print(f"  retour due {when(e.retour_due)}{late}")
        for f in e.findings:
            code = f.retourcode or "-"
            print(f"  finding {f.rule} {code} L{f.level.value} {f.location}: {f.sentence}")
        for a in e.advisory:
            # Rule, code and element path only: the advisory table keeps no sentence (it may
            # quote a value), and the label says the hub routed the message despite it.
            print(
                f"  advisory (not enforced) finding {a.rule} {a.retourcode} {a.location}"
                f"  gemeente {a.gemeente}"
            )
        for party, available, downloaded, acked in e.deliveries:
            print(
                f"  inbox of {party}: available {when(available)}, downloaded "
                f"{when(downloaded)}, acknowledged {when(acked)}"
            )
    return 0


def cmd_dlq_list(args: argparse.Namespace, settings: Settings) -> int:
    letters = with_pool(settings, lambda pool: ledger.dead_letters(pool, include_replayed=args.all))
    if not letters:
        print("the dead-letter queue is empty")
        return 0
    for d in letters:
        state = f"replayed {when(d.replayed_at)}" if d.replayed_at else "waiting"
        print(
            f"#{d.id}  {when(d.created_at)}  {d.stage}/{d.error}  message {d.message_id}  {state}"
        )
        print(f"    {d.reason}  (from {d.origin})")
    return 0


def cmd_dlq_replay(args: argparse.Namespace, settings: Settings) -> int:
    """Send a dead letter through intake again, as a new message that names the old one."""
    if not settings.kafka_bootstrap:
        raise ConfigError("`hub dlq replay` needs HUB_KAFKA_BOOTSTRAP")
    bootstrap = settings.kafka_bootstrap

    async def replay(pool: store.Pool) -> list[str]:
        broker = build_broker(settings, bootstrap, client_id="isd-hub-dlq-replay")
        done: list[str] = []
        async with broker:
            await broker.connect()
            for letter_id in args.ids:
                async with pool.acquire() as conn, conn.transaction():
                    taken = await ledger.take_dead_letter(conn, letter_id)
                    if taken is None:
                        stage = await ledger.dead_letter_stage(conn, letter_id)
                        if stage is not None and stage.startswith(ledger.NOT_REPLAYABLE):
                            done.append(
                                f"#{letter_id}: a derivation's skip (stage {stage}), not "
                                "replayable: its message was accepted and routed"
                            )
                        else:
                            done.append(f"#{letter_id}: unknown or already replayed")
                        continue
                    headers, payload = taken
                    new_id = str(uuid4())
                    headers = {
                        **headers,
                        H.MESSAGE_ID.value: new_id,
                        H.RECEIVED_AT.value: datetime.now(UTC).isoformat(),
                        "hub-replay-of": headers.get(H.MESSAGE_ID.value, ""),
                    }
                    # Published inside the transaction: if Kafka refuses, the letter stays.
                    await broker.publish(
                        payload,
                        topics.name(settings, topics.INGRESS),
                        key=headers.get(H.PARTY.value, "").encode() or None,
                        headers=headers,
                    )
                    done.append(f"#{letter_id}: replayed as message {new_id}")
        return done

    for line in with_pool(settings, replay):
        print(line)
    return 0


def cmd_overdue(args: argparse.Namespace, settings: Settings) -> int:
    late = with_pool(settings, lambda pool: ledger.overdue(pool, args.limit))
    if not late:
        print("no retour is overdue")
        return 0
    for o in late:
        print(
            f"{o.id}  {o.message_type or '?'}  Identificatie {o.identificatie or '-'}  "
            f"{o.sender} -> {o.receiver}  due {when(o.retour_due)}"
        )
    return 0


def cmd_requests_overdue(args: argparse.Namespace, settings: Settings) -> int:
    late = with_pool(settings, lambda pool: request_clocks.overdue(pool, args.limit))
    if not late:
        print("no verzoek is overdue")
        return 0
    for o in late:
        clock = "final answer" if o.clock == "final" else "answer"
        print(
            f"{o.message_id}  {o.message_type}  ReferentieAanbieder {o.referentie}  "
            f"{o.aanbieder} -> {o.gemeente}  {clock} due {when(o.due)}"
        )
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    trace = sub.add_parser("trace", help="a message's history by message id or Identificatie")
    trace.add_argument("ref", help="message id (uuid) or Header Identificatie")
    trace.set_defaults(func=cmd_trace, reach="required")

    dlq = sub.add_parser("dlq", help="dead-lettered messages")
    dlq_sub = dlq.add_subparsers(dest="dlq_command", metavar="ACTION", required=True)
    listing = dlq_sub.add_parser("list", help="list dead letters (waiting ones by default)")
    listing.add_argument("--all", action="store_true", help="include replayed ones")
    listing.set_defaults(func=cmd_dlq_list, reach="required")
    replay = dlq_sub.add_parser("replay", help="send dead letters through intake again")
    replay.add_argument("ids", nargs="+", type=int, metavar="ID")
    replay.set_defaults(func=cmd_dlq_replay, reach="required")

    retours = sub.add_parser("retours", help="retour deadlines")
    retours_sub = retours.add_subparsers(dest="retours_command", metavar="ACTION", required=True)
    overdue = retours_sub.add_parser("overdue", help="heenberichten past their retour deadline")
    overdue.add_argument("--limit", type=int, default=1000)
    overdue.set_defaults(func=cmd_overdue, reach="required")

    requests = sub.add_parser("requests", help="answer deadlines of verzoeken (315/317)")
    requests_sub = requests.add_subparsers(dest="requests_command", metavar="ACTION", required=True)
    late = requests_sub.add_parser(
        "overdue", help="verzoeken the gemeente did not answer (301/319) in time"
    )
    late.add_argument("--limit", type=int, default=1000)
    late.set_defaults(func=cmd_requests_overdue, reach="required")
