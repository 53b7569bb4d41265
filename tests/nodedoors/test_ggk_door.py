"""The GGk door over real TLS with a SOAP client the project does not write (zeep), built from
the WSDL the hub publishes: a Di01 answered with a Bv03 and its message on ingress once however
often it is sent; each bad request answered with its own Fo03 and nothing produced."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import zeep.exceptions
from lxml import etree

from adapters.uploads import _IDEMPOTENCY_NS
from hub.domain import stuf, topics
from hub.domain.headers import H
from hub.domain.parties import DEMO_FILE, load_parties
from hub.infra import store
from hub.infra.certificates import from_pem
from hub.infra.kafka import topic_admin
from hub.infra.store import party_certs
from hub.settings import Settings
from tests.adapterkit import FIXTURES, read_topic
from tests.certkit import CertAuthority, Issued
from tests.nodedoors.ggkkit import (
    DI01_ACTION,
    GEMEENTE,
    b64,
    di01_args,
    raw_di01,
    served,
    systeem,
    tls_settings,
    zeep_client,
)

WMO301 = (FIXTURES / "iwmo-3.2" / "WMO301.xml").read_bytes()
WMO306 = (FIXTURES / "iwmo-3.2" / "WMO306.xml").read_bytes()  # 0363 answers a 305
BOMB = b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'


def _fo03(body: bytes) -> tuple[str, str]:
    """The Fo03's code and omschrijving in a SOAP Fault."""
    root = etree.fromstring(body)
    ns = {"S": stuf.STUF_NS}
    code = root.findtext(".//S:Fo03Bericht/S:body/S:code", namespaces=ns)
    what = root.findtext(".//S:Fo03Bericht/S:body/S:omschrijving", namespaces=ns)
    assert code is not None, body[:500]
    assert what is not None
    return code, what


async def _refused(client: Any, payload: bytes, functie: str = "WMO301", ref: str | None = None,
                   args: dict[str, Any] | None = None) -> tuple[str, str]:  # fmt: skip
    """The Fo03 of a Di01 zeep sends (`args`, else one of `payload`), which must be refused."""

    def call() -> tuple[str, str]:
        try:
            client.service.ggk_Di01(**(args or di01_args(payload, functie, ref)))
        except zeep.exceptions.Fault as exc:
            return _fo03(etree.tostring(exc.detail))
        raise AssertionError("not refused")

    # In the thread, so no traceback outlives the call (its frames would hold a connection
    # open, and the TLS server's shutdown would wait for it).
    return await asyncio.to_thread(call)


async def _register(pool: store.Pool, party: str, issued: Issued) -> None:
    cert = from_pem(issued.pem)
    await party_certs.add_certificate(
        pool, party, "fingerprint", cert.fingerprint, cert.subject, cert.not_after
    )


async def _ingress(settings: Settings, message_id: uuid.UUID, wait_s: float) -> int:
    """How many ingress records carry `message_id` (read until `wait_s` passed)."""
    ingress = topics.name(settings, topics.INGRESS)

    def ours(records: list[Any]) -> list[Any]:
        want = str(message_id).encode()
        return [r for r in records if (H.MESSAGE_ID.value, want) in _headers(r)]

    seen: list[Any] = []

    def enough(records: list[Any]) -> bool:
        seen[:] = records  # what was read when the wait ends
        return len(ours(records)) > 1

    with contextlib.suppress(TimeoutError):
        await read_topic(settings, ingress, enough, wait_s)
    return len(ours(seen))


def _headers(record: Any) -> list[tuple[str, bytes]]:
    return [(k, bytes(v)) for k, v in record.headers]


@pytest.fixture
def pki(tmp_path: Path) -> CertAuthority:
    return CertAuthority(tmp_path)


async def test_the_ggk_door_with_zeep_over_tls(
    settings: Settings, pool: store.Pool, pki: CertAuthority
) -> None:
    assert settings.kafka_bootstrap is not None
    await store.upsert_parties(pool, list(load_parties(DEMO_FILE)))
    await topic_admin.ensure_topics(settings, settings.kafka_bootstrap)
    tls = tls_settings(settings, pki)
    gemeente = pki.issue("gemeente", "Gemeente software")
    await _register(pool, GEMEENTE, gemeente)

    async with served(tls, pool) as port:
        client = await asyncio.to_thread(zeep_client, port, pki, gemeente)
        ref = str(uuid.uuid4())
        bv03 = await asyncio.to_thread(client.service.ggk_Di01, **di01_args(WMO301, ref=ref))
        sg = bv03  # zeep unwraps a Bv03Bericht of one child to its stuurgegevens
        assert sg.berichtcode == "Bv03"
        assert sg.crossRefnummer == ref
        assert (sg.zender.organisatie, sg.ontvanger.organisatie) == ("65656055", GEMEENTE)
        assert uuid.UUID(sg.referentienummer).version == 4
        assert sg.referentienummer != ref
        again = await asyncio.to_thread(client.service.ggk_Di01, **di01_args(WMO301, ref=ref))
        assert again.referentienummer == sg.referentienummer  # the same Bv03

        # A referentienummer used again for another message: IB016.
        other = WMO301.replace(b"30120250324", b"30120250325")
        reused = await _refused(client, other, ref=ref)
        assert reused == ("IB016", "envelope/referentienummer_reused")
        # A payload that fails its schema: the upload path's refusal, as a Fo03.
        invalid = WMO301.replace(b"<Geslacht>2</Geslacht>", b"<Geslacht>X</Geslacht>")
        bad_ref = str(uuid.uuid4())
        assert await _refused(client, invalid, ref=bad_ref) == ("IB001", "invalid/schema")
        kept = "SELECT count(*) FROM ggk_envelope WHERE referentienummer = $1"
        assert await pool.fetchval(kept, bad_ref) == 0  # refused: nothing half-accepted
        # functie does not name the payload.
        assert await _refused(client, WMO301, "WMO305") == ("IB006", "envelope/functie_mismatch")
        # An XML bomb as the payload: the hardened parser refuses its DOCTYPE.
        assert await _refused(client, BOMB + WMO301[38:]) == ("IB001", "unreadable/doctype")
        # The envelope addressed to another party than its message.
        elsewhere = di01_args(WMO301)
        elsewhere["stuurgegevens"]["ontvanger"] = systeem("12345678")
        assert await _refused(client, WMO301, args=elsewhere) == (
            "IB006", "envelope/party_mismatch")  # fmt: skip
        # A zender the caller may not submit for.
        spoofed = di01_args(WMO301)
        spoofed["stuurgegevens"]["zender"] = systeem("0344")
        assert await _refused(client, WMO301, args=spoofed) == (
            "IB006", "forbidden/sender_mismatch")  # fmt: skip
        # A retour goes as a ggk_Du01 (its crossRefnummer the Di01 it answers), not a Di01.
        assert await _refused(client, WMO306, "WMO306") == ("IB006", "envelope/functie_mismatch")
        du01 = di01_args(WMO306, "WMO306")
        du01["stuurgegevens"] |= {"berichtcode": "Du01", "crossRefnummer": str(uuid.uuid4())}
        du01_ref = du01["stuurgegevens"]["referentienummer"]
        answered = await asyncio.to_thread(client.service.ggk_Du01, **du01)
        assert (answered.berichtcode, answered.crossRefnummer) == ("Bv03", du01_ref)
        # An asynchronous Fo01 about an envelope the hub delivered: acknowledged with a Bv03.
        fo01_ref = str(uuid.uuid4())
        fo01 = {
            "stuurgegevens": du01["stuurgegevens"] | {
                "berichtcode": "Fo01", "referentienummer": fo01_ref,
                "crossRefnummer": str(uuid.uuid4())},
            "body": {"code": "StUF058", "plek": "server", "omschrijving": "kapot"},
        }  # fmt: skip
        del fo01["stuurgegevens"]["functie"]
        answered = await asyncio.to_thread(client.service.Fo01, **fo01)
        assert (answered.berichtcode, answered.crossRefnummer) == ("Bv03", fo01_ref)
        client.transport.session.close()  # no idle keep-alive holds the server's shutdown
        async with httpx.AsyncClient(
            base_url=f"https://127.0.0.1:{port}", verify=gemeente.client(pki.path), timeout=60
        ) as raw:

            async def post(body: bytes) -> tuple[str, str]:
                answer = await raw.post("/ggk/soap", content=body, headers={
                    "Content-Type": "text/xml", "SOAPAction": DI01_ACTION})  # fmt: skip
                assert answer.status_code == 500, answer.text[:300]
                return _fo03(answer.content)

            assert await post(b"<x:hello xmlns:x='urn:x'/>") == (
                "IB001", "envelope/not_an_envelope")  # fmt: skip
            assert await post(raw_di01("not*base64")) == ("IB001", "envelope/base64")
            text_file = (
                raw_di01(b64(WMO301))
                .replace(b"<G:xmlBestand>", b'<G:tekstBestand bestandsnaam="brief.txt">')
                .replace(b"</G:xmlBestand>", b"</G:tekstBestand>")
            )
            assert await post(text_file) == ("IB004", "envelope/text_file")
            bomb_envelope = raw_di01(b64(WMO301), head=BOMB[21:].decode())
            assert await post(bomb_envelope) == ("IB001", "unreadable/doctype")
            huge = b"<x/>" * (stuf.MAX_ENVELOPE_BYTES // 4 + 10)
            assert await post(huge) == ("IB003", "too_large/too_large")  # unread
            over = raw_di01(b64(b"x" * (stuf.MAX_PAYLOAD_BYTES + 3)))  # 25 MB + 3 decoded
            assert len(over) < stuf.MAX_ENVELOPE_BYTES
            assert await post(over) == ("IB003", "too_large/too_large")
        # No client certificate (nor token): the caller is not identified (IB002).
        trusting = ssl.create_default_context(cafile=str(pki.path))
        async with httpx.AsyncClient(verify=trusting, timeout=30) as anonymous:
            answer = await anonymous.post(f"https://127.0.0.1:{port}/ggk/soap", content=b"<x/>")
            assert answer.status_code == 500
            assert _fo03(answer.content) == ("IB002", "unauthenticated/certificate_required")

    message_id = uuid.uuid5(_IDEMPOTENCY_NS, f"ggk/{GEMEENTE}/ggk:{ref}")
    assert await _ingress(settings, message_id, 3.0) == 1  # sent twice, taken once
