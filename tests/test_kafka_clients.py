"""The README's Kafka client lines (Observability, "Kafka clients") run as written against the
real embedded broker and read back a message produced here; confluent-kafka reads it too."""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition

ROOT = Path(__file__).parents[1]
KCAT = shutil.which("kcat")
# What the README's lines name: the default broker address and the events topic.
_DEFAULT_BOOTSTRAP = "127.0.0.1:19092"
_DEFAULT_TOPIC = "isd.events"


def _readme_lines() -> list[str]:
    """The sh block after the `<!-- kafka-clients -->` marker, verbatim."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- kafka-clients -->\n```sh\n(.*?)\n```", text, re.S)
    assert found, "README.md lost its kafka-clients block"
    return found.group(1).splitlines()


def _produce(bootstrap: str, topic: str, value: str) -> None:
    producer = Producer({"bootstrap.servers": bootstrap})
    producer.produce(topic, value=value.encode(), key=b"demo")
    assert producer.flush(15) == 0, "confluent-kafka could not deliver to the embedded broker"


def test_readme_block_names_the_defaults() -> None:
    lines = _readme_lines()
    assert all(_DEFAULT_BOOTSTRAP in line for line in lines[1:])
    assert any(f"-t {_DEFAULT_TOPIC} " in line for line in lines)


def test_confluent_kafka_round_trip(kafka_bootstrap: str) -> None:
    topic = f"clients-{uuid.uuid4().hex[:8]}"
    value = f"hello {uuid.uuid4().hex}"
    _produce(kafka_bootstrap, topic, value)
    consumer = Consumer(
        {
            "bootstrap.servers": kafka_bootstrap,
            "group.id": f"g-{topic}",
            "enable.auto.commit": False,
            "fetch.wait.max.ms": 10,  # tansu holds each fetch this long
        }
    )
    try:
        # Assigned, not subscribed: a group join on the embedded broker costs seconds, and the
        # round trip is what this test is about.
        consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
        got: list[str] = []
        for _ in range(30):
            msg = consumer.poll(1.0)
            if msg is not None and msg.error() is None:
                got.append(msg.value().decode())
                break
    finally:
        consumer.close()
    assert got == [value]


@pytest.mark.skipif(KCAT is None, reason="kcat not installed (apt-get install kcat)")
def test_readme_kcat_lines_read_what_was_produced(kafka_bootstrap: str) -> None:
    topic = f"clients-{uuid.uuid4().hex[:8]}"
    value = f"hello {uuid.uuid4().hex}"
    _produce(kafka_bootstrap, topic, value)
    script = "\n".join(
        line.replace(_DEFAULT_BOOTSTRAP, kafka_bootstrap).replace(
            f"-t {_DEFAULT_TOPIC} ", f"-t {topic} "
        )
        for line in _readme_lines()
    )
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f'topic "{topic}"' in done.stdout  # the -L listing
    assert f"{topic} [" in done.stdout, done.stdout
    assert f"demo {value}" in done.stdout, done.stdout
    assert "Read underflow" not in done.stderr
