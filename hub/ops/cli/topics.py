"""`hub topics ensure`: create the hub's Kafka topics that are missing."""

from __future__ import annotations

import argparse
import asyncio

from hub.domain import topics
from hub.infra.kafka import topic_admin
from hub.ops.cli.connect import need
from hub.settings import Settings


def cmd_topics(args: argparse.Namespace, settings: Settings) -> int:
    bootstrap = need(settings.kafka_bootstrap, "HUB_KAFKA_BOOTSTRAP", "topics ensure")
    created = asyncio.run(topic_admin.ensure_topics(settings, bootstrap))
    for spec in topics.ALL:
        topic = topics.name(settings, spec)
        print(f"{topic:<24} {'created' if topic in created else 'exists'}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    tp = sub.add_parser("topics", help="Kafka topics")
    tp_sub = tp.add_subparsers(dest="topics_command", metavar="ACTION", required=True)
    tp_sub.add_parser("ensure", help="create missing topics with explicit partitions").set_defaults(
        func=cmd_topics
    )
