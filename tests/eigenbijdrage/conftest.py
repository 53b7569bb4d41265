"""A core runtime on the real PostgreSQL with the eigen-bijdrage derivation, driven through
handlers.intake.process (no Kafka), and readers for the notices it queues."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from handlers import intake
from handlers.decide import Context, Incoming
from handlers.eigenbijdrage import EigenBijdrage
from hub import store, topics, xmlcodec
from hub.app import make_runtime
from hub.eigenbijdrage.policy import load_policy
from hub.messages import Node
from hub.runtime import Runtime
from hub.settings import Settings

NOW = datetime(2025, 7, 21, 10, 0, tzinfo=UTC)
POLICY = """
[defaults]
enabled = false

[gemeente."0363"]
enabled = true

[gemeente."0344"]
enabled = true
exempt_categories = ["08", "11", "12", "16", "17", "18"]

[gemeente."0599"]
enabled = true
temporary_stop_ends = true
"""


def melding(n: int) -> UUID:
    return UUID(f"00000000-0000-4000-8000-{n:012d}")


@pytest.fixture
async def runtime(
    settings: Settings, pool: store.Pool, database_url: str
) -> AsyncIterator[Runtime]:
    assert settings.kafka_bootstrap is not None
    rt = make_runtime(settings, settings.kafka_bootstrap, database_url, "test-eb")
    rt.attach_pool(pool)
    yield rt
    rt.attach_pool(None)


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY, encoding="utf-8")
    return path


@dataclass
class Notice:
    route: str
    afzender: str
    ontvanger: str
    identificatie: str
    dagtekening: str
    entries: list[tuple[str, int, str, str | None]]  # status, melding number, begin, end
    payload: bytes
    message_id: str

    def short(self) -> str:
        parts = [f"{s}:M{n} {b}..{e or ''}" for s, n, b, e in self.entries]
        return f"{self.route} " + ", ".join(parts)


@dataclass
class Hub:
    """Feeds messages through intake with the derivation and reads what it queued."""

    runtime: Runtime
    ctx: Context
    derivation: EigenBijdrage
    seen_outbox: int = 0
    clock: datetime = NOW

    def item(self, payload: bytes, party: str, node: str, received_at: datetime | None = None,
             message_id: UUID | None = None) -> Incoming:  # fmt: skip
        self.clock += timedelta(seconds=1)
        return Incoming(
            id=message_id or uuid4(),
            node=node,
            party=party,
            received_at=received_at or self.clock,
            payload=payload,
            partition=0,
            offset=1,
            topic="t.ingress",
        )

    async def send(self, *items: Incoming) -> list[str]:
        """Process one batch; the statuses of its messages, in order."""
        await intake.process(self.runtime, self.ctx, list(items), [self.derivation])
        return [
            str(await self.runtime.pool.fetchval("SELECT status FROM message WHERE id = $1", i.id))
            for i in items
        ]

    async def new_notices(self) -> list[Notice]:
        rows = await self.runtime.pool.fetch(
            "SELECT id, topic, key, payload, headers FROM outbox WHERE id > $1 ORDER BY id",
            self.seen_outbox,
        )
        if rows:
            self.seen_outbox = rows[-1]["id"]
        egress = topics.egress_name(self.runtime.settings, Node.GGK)
        cak = self.runtime.settings.cak_party_code
        found = []
        for r in rows:
            if r["topic"] != egress or bytes(r["key"]) != cak.encode():
                continue
            found.append(self.read(bytes(r["payload"])))
        return found

    def read(self, payload: bytes) -> Notice:
        verdict = self.runtime.validator.validate(payload)
        assert verdict.valid, verdict.findings  # outbound: XSD and the in-message rules
        assert verdict.envelope is not None
        assert verdict.message_type is not None
        root = verdict.root
        entries = []
        for e in root.iter("{*}EigenBijdrage"):  # type: ignore[union-attr]
            mid = UUID(xmlcodec.child_text(e, "MeldingID") or "")
            number = int(str(mid).rsplit("-", 1)[1])
            entries.append(
                (
                    xmlcodec.child_text(e, "StatusAanlevering") or "",
                    number,
                    xmlcodec.child_text(e, "Begindatum") or "",
                    xmlcodec.child_text(e, "Einddatum"),
                )
            )
        env = verdict.envelope
        return Notice(
            route=verdict.message_type.name[3:],
            afzender=env.afzender or "",
            ontvanger=env.ontvanger or "",
            identificatie=env.identificatie or "",
            dagtekening=env.dagtekening or "",
            entries=entries,
            payload=payload,
            message_id="",
        )


@pytest.fixture
async def hub(runtime: Runtime, policy_file: Path) -> Hub:
    counter = itertools.count(1)
    derivation = EigenBijdrage(
        policy=load_policy(policy_file),
        packs=runtime.packs,
        secret=runtime.settings.person_key_secret.get_secret_value().encode(),
        cak=runtime.settings.cak_party_code,
        egress_topic=topics.egress_name(runtime.settings, Node.GGK),
        clock=lambda: NOW,
        new_id=lambda: melding(next(counter)),
    )
    return Hub(runtime, intake.build_context(runtime), derivation)
