"""Certificates made in a test with `cryptography`: a CA, server and client certificates as PEM
files, and the SSL contexts an httpx client presents them with (fast EC P-256 keys)."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from ipaddress import ip_address
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True, slots=True)
class Issued:
    """A certificate and its key, written as PEM files."""

    cert: Path
    key: Path
    pem: str
    fingerprint: str  # SHA-256 of the DER, lowercase hex

    def client(self, ca: Path) -> ssl.SSLContext:
        """An httpx `verify=` context that trusts `ca` and presents this certificate."""
        context = ssl.create_default_context(cafile=str(ca))
        context.load_cert_chain(str(self.cert), str(self.key))
        return context


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "isd-hub tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


class CertAuthority:
    """A test CA that writes what it issues under `folder`."""

    def __init__(self, folder: Path, name: str = "isd-hub test CA") -> None:
        self.folder = folder
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(_name(name))
            .issuer_name(_name(name))
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.path = folder / "ca.pem"
        self.path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))

    def issue(
        self,
        file: str,
        common_name: str,
        *,
        server: bool = False,
        valid: tuple[timedelta, timedelta] = (timedelta(days=-1), timedelta(days=10)),
    ) -> Issued:
        """A leaf certificate: for 127.0.0.1 and localhost (`server`), else a client's;
        `valid` is its (not before, not after) relative to now."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC)
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now + valid[0])
            .not_valid_after(now + valid[1])
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        )
        if server:
            names = [x509.IPAddress(ip_address("127.0.0.1")), x509.DNSName("localhost")]
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        cert = builder.sign(self.key, hashes.SHA256())
        pem = cert.public_bytes(serialization.Encoding.PEM)
        cert_path, key_path = self.folder / f"{file}.pem", self.folder / f"{file}.key"
        cert_path.write_bytes(pem)
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return Issued(cert_path, key_path, pem.decode(), cert.fingerprint(hashes.SHA256()).hex())
