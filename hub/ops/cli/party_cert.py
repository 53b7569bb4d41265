"""`hub party cert add|remove`: the client certificates a party authenticates with (mTLS).

A certificate is registered by its SHA-256 fingerprint (that certificate alone), or with
`--by-subject` by its subject DN (every certificate the trusted client CA issues with that
subject, so a renewal keeps working without a new registration). `hub party show` lists them.
The adapters read them when HUB_ADAPTER_CLIENT_CERT is optional or required.
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

from hub.domain.errors import ConfigError
from hub.infra import store
from hub.infra.certificates import CertificateError, ClientCertificate, from_pem
from hub.infra.store import party_certs
from hub.ops.cli.connect import with_pool
from hub.settings import Settings

_FINGERPRINT = re.compile(r"^[0-9a-f]{64}$")


def _note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _read(path: str) -> ClientCertificate:
    try:
        return from_pem(Path(path).read_bytes())
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    except CertificateError as exc:
        raise ConfigError(f"{path}: {exc}") from None


async def _known(pool: store.Pool, code: str) -> None:
    if await store.get_party(pool, code) is None:
        raise ConfigError(
            f"unknown party {code}; add it with `hub party add` or `hub party import`"
        )


def cmd_cert_add(args: argparse.Namespace, settings: Settings) -> int:
    cert = _read(args.cert)
    match: party_certs.Match = "subject" if args.by_subject else "fingerprint"

    async def work(pool: store.Pool) -> tuple[party_certs.PartyCertificate, bool]:
        await _known(pool, args.code)
        return await party_certs.add_certificate(
            pool, args.code, match, cert.fingerprint, cert.subject, cert.not_after
        )

    row, added = with_pool(settings, work, migrated=True)
    what = "registered" if added else "already registered"
    by = f"subject {row.subject}" if match == "subject" else f"SHA-256 {row.fingerprint}"
    print(f"{what} for {row.party}: {by} (certificate valid until {_day(row.not_after)})")
    if cert.not_after < datetime.now(UTC):
        _note("note: this certificate has expired; the adapters refuse it")
    if settings.adapter_client_cert == "off":
        _note(
            "note: HUB_ADAPTER_CLIENT_CERT is off here; the adapters read certificates when "
            "it is optional or required"
        )
    return 0


def cmd_cert_remove(args: argparse.Namespace, settings: Settings) -> int:
    key = args.cert.lower().replace(":", "")
    if _FINGERPRINT.match(key):
        fingerprint, subject = key, None
    else:
        cert = _read(args.cert)
        fingerprint, subject = cert.fingerprint, cert.subject

    async def work(pool: store.Pool) -> int:
        await _known(pool, args.code)
        return await party_certs.remove_certificates(
            pool, args.code, fingerprint=fingerprint, subject=subject
        )

    removed = with_pool(settings, work, migrated=True)
    print(f"removed {removed} certificate registration(s) of {args.code}")
    return 0 if removed else 1


def _day(moment: datetime) -> str:
    return moment.astimezone(UTC).date().isoformat()


def certificate_lines(rows: list[party_certs.PartyCertificate]) -> list[str]:
    """`hub party show`'s lines for a party's certificates."""
    now = datetime.now(UTC)
    lines = []
    for row in rows:
        state = "expired" if row.not_after < now else f"until {_day(row.not_after)}"
        key = f"subject {row.subject}" if row.match == "subject" else f"sha256 {row.fingerprint}"
        shown = key if row.match == "subject" else f"{key} ({row.subject})"
        lines.append(f"{shown}, {state}")
    return lines


def register_cert(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `hub party cert ...` under `hub party`."""
    cert = actions.add_parser("cert", help="register and remove a party's client certificates")
    cert_actions = cert.add_subparsers(dest="cert_command", metavar="ACTION", required=True)
    add = cert_actions.add_parser("add", help="register a client certificate (PEM) for a party")
    add.add_argument("code", metavar="CODE")
    add.add_argument("cert", metavar="CERT.pem")
    add.add_argument(
        "--by-subject",
        action="store_true",
        help="match every certificate of the client CA with this subject DN (renewals keep "
        "working), not only this one's fingerprint",
    )
    add.set_defaults(func=cmd_cert_add, reach="required")
    remove = cert_actions.add_parser(
        "remove", help="remove a party's registration of a certificate"
    )
    remove.add_argument("code", metavar="CODE")
    remove.add_argument(
        "cert",
        metavar="CERT.pem|SHA256",
        help="the certificate file (removes its fingerprint and subject registrations) or "
        "its SHA-256 fingerprint in hex",
    )
    remove.set_defaults(func=cmd_cert_remove, reach="required")
