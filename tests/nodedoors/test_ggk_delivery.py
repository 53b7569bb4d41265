"""Delivery to a gemeente's GGk-style SOAP endpoint (push kind 'ggk-soap') on the real PostgreSQL,
to a small HTTPS SOAP server run here: a retour goes as a ggk_Du01 whose crossRefnummer is the
referentienummer of the Di01 its heenbericht came in, a heenbericht as a ggk_Di01; a Fo03 is a
failed attempt, retried with the same envelope until a Bv03 (each envelope checked against the
hub's own schemas by the door's reader); a message the core dead-lettered gets a Fo01. The
endpoint demands a client certificate (mTLS) and checks every request's X-Hub-Signature."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapters.context import AdapterContext
from adapters.ggkfo01 import Fo01Loop
from adapters.push import PushLoop
from adapters.tlsserve import CertificateAwareHttp
from hub.domain import push, stuf, stufwrite
from hub.domain.parties import DEMO_FILE, load_parties
from hub.domain.records import DeadLetter
from hub.domain.stuf import Systeem
from hub.infra import store
from hub.infra.certificates import from_pem
from hub.infra.store import ggk_envelopes, ggk_fo01, ledger
from hub.infra.store import push as push_store
from hub.settings import Settings
from tests.adapterkit import FIXTURES
from tests.certkit import CertAuthority
from tests.uvicornkit import uvicorn_serving

GEMEENTE, PROVIDER = "0363", "65656055"
WMO301 = (FIXTURES / "iwmo-3.2" / "WMO301.xml").read_bytes()
WMO302 = (FIXTURES / "iwmo-3.2" / "WMO302.xml").read_bytes()
WMO305 = (FIXTURES / "iwmo-3.2" / "WMO305.xml").read_bytes()
SECRET = b"gemeente-soap-secret-0123456789"  # `hub party push set 0363 URL --kind ggk-soap`


@dataclass
class _Runtime:
    pool: store.Pool

    def wake_relay(self) -> None:
        pass

    def clock(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class _Context:
    """What PushLoop and adapters/ggkpush.py use of an AdapterContext."""

    settings: Settings
    runtime: _Runtime
    node: str = "ggk"
    events_topic: str = "test.events"


@dataclass
class SoapReceiver:
    """A gemeente's SOAP endpoint: refuses the first `refuse` requests with a Fo03, then answers
    Bv03; keeps every request as the door's reader read it."""

    refuse: int = 1
    seen: list[tuple[str, stuf.Request]] = field(default_factory=list)
    # Per request: the client certificate's fingerprint, and whether its signature verified.
    callers: list[tuple[str | None, bool]] = field(default_factory=list)

    async def endpoint(self, request: Request) -> Response:
        action = request.headers.get("SOAPAction", "")
        body = await request.body()
        read = stuf.read_request(body, action)  # our schemas, strictly
        self.seen.append((action, read))
        chain = (request.scope.get("extensions") or {}).get("tls", {}).get("client_cert_chain")
        signature = request.headers.get(push.SIGNATURE_HEADER, "")
        signed = push.verify(SECRET, body, signature, int(time.time()))
        self.callers.append((from_pem(chain[0]).fingerprint if chain else None, signed))
        hub = Systeem(GEMEENTE, "Gemeente-app")
        answer = stufwrite.answer_stuurgegevens(
            "Bv03", read.stuurgegevens, hub, str(uuid.uuid4()), datetime.now(UTC)
        )
        if len(self.seen) <= self.refuse:
            fault = stufwrite.fo03_fault(answer, "StUF058", "busy", None, client=False)
            return Response(fault, status_code=500, media_type="text/xml")
        return Response(stufwrite.bv03(answer), media_type="text/xml")


@contextlib.asynccontextmanager
async def _serving(receiver: SoapReceiver, pki: CertAuthority) -> AsyncIterator[str]:
    cert = pki.issue("receiver", "127.0.0.1", server=True)
    app = Starlette(routes=[Route("/soap", receiver.endpoint, methods=["POST"])])
    # A gemeente's endpoint as the real nodes' are: no client certificate of its CA, no
    # connection (the handshake demands one); the hub's own protocol hands it to the app.
    async with uvicorn_serving(
        app, ssl_certfile=str(cert.cert), ssl_keyfile=str(cert.key), ssl_ca_certs=str(pki.path),
        ssl_cert_reqs=ssl.CERT_REQUIRED, http=CertificateAwareHttp,
    ) as port:  # fmt: skip
        yield f"https://127.0.0.1:{port}/soap"


def _settings(pki: CertAuthority) -> tuple[Settings, str]:
    """Fast push settings with the hub's client certificate; and its fingerprint."""
    hub = pki.issue("hub-push", "isd-hub push client")
    settings = Settings(
        push_interval_s=0.05, push_timeout_s=5, push_retry_first_s=0.1, push_retry_max_s=0.2,
        push_give_up_s=60.0, push_ca_file=pki.path, push_client_cert_file=hub.cert,
        push_client_key_file=hub.key,
    )  # fmt: skip
    return settings, hub.fingerprint


async def _until(check: Callable[[], Awaitable[bool]], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "not reached in time"
        await asyncio.sleep(0.05)


def _row(message_id: uuid.UUID, payload: bytes, afzender: str, ontvanger: str) -> Any:
    return store.IngressRow(
        id=message_id, received_at=datetime.now(UTC), source_node="vecozo",
        submitted_by=PROVIDER, namespace=None, bericht_code=None, afzender=afzender,
        ontvanger=ontvanger, identificatie=f"T{message_id.hex[:10]}", status="routed",
        payload=payload, ingress_partition=None, ingress_offset=None,
    )  # fmt: skip


async def test_retour_as_du01_heen_as_di01_retried_until_a_bv03(
    pool: store.Pool, tmp_path: Path
) -> None:
    await store.upsert_parties(pool, list(load_parties(DEMO_FILE)))
    pki = CertAuthority(tmp_path)
    settings, hub_cert = _settings(pki)
    # The gemeente's 301 came in through the GGk door as a Di01 with referentienummer `di01`.
    heen, retour, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    di01 = str(uuid.uuid4())
    await store.record_messages(pool, [_row(heen, WMO301, GEMEENTE, PROVIDER)])
    await ggk_envelopes.keep_received(pool, heen, GEMEENTE, di01, "Di01", b"d" * 32, b"<bv03/>")
    await store.record_messages(
        pool, [_row(retour, WMO302, GEMEENTE, PROVIDER), _row(other, WMO305, PROVIDER, GEMEENTE)]
    )
    await pool.execute("UPDATE message SET answers = $1 WHERE id = $2", heen, retour)

    receiver = SoapReceiver(refuse=1)
    async with _serving(receiver, pki) as url:
        master = settings.person_key_secret.get_secret_value()
        sealed = push_store.seal(master, GEMEENTE, SECRET)
        await push_store.set_endpoint(pool, GEMEENTE, url, sealed, "ggk-soap")
        await store.add_deliveries(pool, "ggk", [(retour, GEMEENTE)])
        loop = PushLoop(cast(AdapterContext, _Context(settings, _Runtime(pool))))
        task = asyncio.create_task(loop.run())
        try:

            async def delivered(message_id: uuid.UUID) -> bool:
                found = await push_store.state(pool, message_id, GEMEENTE)
                return found is not None and found["state"] == "delivered"

            await _until(lambda: delivered(retour))
            await store.add_deliveries(pool, "ggk", [(other, GEMEENTE)])
            await _until(lambda: delivered(other))
        finally:
            loop.stop()
            await asyncio.wait_for(task, 10)

    state = await push_store.state(pool, retour, GEMEENTE)
    assert state is not None
    assert state["attempts"] == 2  # the Fo03 was a failed attempt, then the Bv03
    (a1, first), (a2, second), (a3, heen_env) = receiver.seen
    assert a1 == a2 == f'"{stuf.DU01.action}"'
    # A retry sends the same envelope: its referentienummer kept (tijdstipBericht is new).
    assert first.stuurgegevens.referentienummer == second.stuurgegevens.referentienummer
    du01 = second.stuurgegevens
    assert (du01.berichtcode, du01.functie, du01.cross) == ("Du01", "WMO302", di01)
    assert (du01.zender.organisatie, du01.ontvanger.organisatie) == (PROVIDER, GEMEENTE)
    assert second.payload == WMO302
    assert a3 == f'"{stuf.DI01.action}"'
    sg = heen_env.stuurgegevens
    assert (sg.berichtcode, sg.functie, sg.cross) == ("Di01", "WMO305", None)
    assert uuid.UUID(sg.referentienummer).version == 4
    assert heen_env.payload == WMO305
    assert receiver.callers == [(hub_cert, True)] * 3  # mTLS, and signed with its secret


async def test_a_dead_lettered_door_message_is_reported_with_an_fo01(
    pool: store.Pool, tmp_path: Path
) -> None:
    await store.upsert_parties(pool, list(load_parties(DEMO_FILE)))
    pki = CertAuthority(tmp_path)
    settings, hub_cert = _settings(pki)
    set_aside, derived = uuid.uuid4(), uuid.uuid4()
    ref = str(uuid.uuid4())
    receiver = SoapReceiver(refuse=1)
    async with _serving(receiver, pki) as url:
        master = settings.person_key_secret.get_secret_value()
        sealed = push_store.seal(master, GEMEENTE, SECRET)
        await push_store.set_endpoint(pool, GEMEENTE, url, sealed, "ggk-soap")
        for message_id, reference in ((set_aside, ref), (derived, str(uuid.uuid4()))):
            await ggk_envelopes.note_received(pool, message_id, GEMEENTE, reference, "Di01")
        letters = [
            DeadLetter(set_aside, "routing", "unknown-gemeente", "free text", "t/0/1", {}, b"x"),
            DeadLetter(set_aside, "routing", "again", "free text", "t/0/2", {}, b"x"),
            DeadLetter(derived, "derivation:eigenbijdrage", "bug", "x", "t/0/3", {}, b"x"),
        ]
        async with pool.acquire() as conn:
            await ledger.add_dead_letters(conn, letters)
        assert await ggk_fo01.state(pool, derived) is None  # a derivation's skip: none owed
        loop = Fo01Loop(cast(AdapterContext, _Context(settings, _Runtime(pool))))
        task = asyncio.create_task(loop.run())
        try:

            async def delivered() -> bool:
                found = await ggk_fo01.state(pool, set_aside)
                return found is not None and found["state"] == "delivered"

            await _until(delivered)
        finally:
            loop.stop()
            await asyncio.wait_for(task, 10)
    found = await ggk_fo01.state(pool, set_aside)
    assert found is not None
    assert found["attempts"] == 2  # the Fo03 was a failed attempt
    assert [a for a, _ in receiver.seen] == [f'"{stuf.FO01.action}"'] * 2  # one per message
    # Its retry is the same Fo01: the same referentienummer (a version-4 UUID).
    first, again = (read.stuurgegevens.referentienummer for _, read in receiver.seen)
    assert first == again
    assert uuid.UUID(first).version == 4
    fo01 = receiver.seen[-1][1]
    assert fo01.operation is stuf.FO01
    assert (fo01.stuurgegevens.cross, fo01.stuurgegevens.ontvanger.organisatie) == (ref, GEMEENTE)
    assert fo01.fault_code == "IB005"  # the upload refusal invalid/unknown_gemeente's code
    assert fo01.fault_text is not None
    assert "unknown-gemeente" in fo01.fault_text
    assert "free text" not in fo01.fault_text
    assert receiver.callers == [(hub_cert, True)] * 2  # mTLS, and signed with its secret
