"""Keyed hashes that give a stable, non-reversible key per person (never the BSN itself)."""

from __future__ import annotations

import hashlib
import hmac

from lxml import etree

from hub.domain import xmlcodec


def person_key(bsn: str, secret: bytes) -> str:
    """A stable pseudonym for a BSN: HMAC-SHA256 under the hub's secret, hex, 32 chars.

    Used wherever a per-person key is needed (Kafka keys, state tables, events, logs) so
    that no BSN leaves the message payload. Without the secret it cannot be reversed by
    hashing all 10^9 possible BSNs.
    """
    return hmac.new(secret, bsn.strip().encode("ascii", "replace"), hashlib.sha256).hexdigest()[:32]


def client_person_key(root: etree._Element | None, secret: bytes) -> str | None:
    """The person key of a message's one Client (Bericht/Client/Bsn), if it has one."""
    if root is None:
        return None
    bsn = xmlcodec.child_text(xmlcodec.child(root, "Client"), "Bsn")
    return person_key(bsn, secret) if bsn else None
