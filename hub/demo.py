"""Demo traffic for `hub up --demo`: parties exchanging toewijzing, start and stop messages
(with their retours) through the adapters' HTTP APIs, as real parties would."""

from __future__ import annotations

import itertools
import json
import logging
import random
import signal
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import httpx

from hub import xmlcodec
from hub.errors import ConfigError
from hub.messages import Standard, by_name
from hub.packgen.packspec import PACKS
from hub.packgen.sampledata import CASTS
from hub.packgen.samples import samples

log = logging.getLogger(__name__)

# (heen, retour) pairs in the order a care trajectory produces them.
_TRAJECTORY = (("301", "302"), ("305", "306"), ("307", "308"))
_STANDARDS = (Standard.IWMO, Standard.IJW)
# The administratiekantoor of the demo registry (hub/parties.demo.toml): with a token, it
# uploads some of the providers' messages for them, as an indiener does.
DEMO_INDIENER = "98000017"
_VIA_INDIENER = 1 / 3


def demo_party_codes() -> tuple[str, ...]:
    """Every party the demo acts as; `hub up --demo` issues a token for each."""
    codes = {p for st in _STANDARDS for p in (CASTS[st].gemeente, CASTS[st].tegenpartij)}
    return (*sorted(codes), DEMO_INDIENER)


def load_tokens(path: Path | None) -> dict[str, str]:
    """The demo's tokens by party code, from the JSON file `hub up --demo` writes."""
    if path is None:
        raise ConfigError(
            "`hub demo` needs HUB_DEMO_TOKENS_FILE (JSON {party code: token}); "
            "`hub up --demo` writes one and sets it"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"HUB_DEMO_TOKENS_FILE={path}: cannot read tokens ({exc})") from None
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise ConfigError(f"HUB_DEMO_TOKENS_FILE={path}: expected {{party code: token}}")
    return data


@dataclass(frozen=True, slots=True)
class Door:
    node: str
    url: str


def _template(standard: Standard, number: str) -> bytes:
    prefix = "WMO" if standard is Standard.IWMO else "JW"
    spec = next(p for p in PACKS if p.standard is standard)
    return samples(spec, by_name(f"{prefix}{number}"))


def demo_bsn(n: int) -> str:
    """The n-th made-up BSN that passes the 11-proef (9·d9 + … + 2·d2 − d1 ≡ 0 mod 11).

    Starts at 9xxxxxxxx, a range the demo uses for every person it invents, so each trajectory
    is its own client and the history rules see a clean life cycle.
    """
    while True:
        body = f"{900_000_00 + n % 10_000_000:08d}"
        weighted = sum(int(d) * w for d, w in zip(body, range(9, 1, -1), strict=True))
        check = weighted % 11
        if check < 10:
            return body + str(check)
        n += 1


def _with_identificatie(
    template: bytes, identificatie: str, retour_id: str | None, bsn: str | None = None
) -> bytes:
    """A copy of the template with a fresh message id (and, for a retour, its own retour id),
    about client `bsn`."""
    root = xmlcodec.parse_message(template)
    if bsn is not None:
        element = xmlcodec.child(xmlcodec.child(root, "Client"), "Bsn")
        if element is not None:
            element.text = bsn
    header = xmlcodec.child(root, "Header")
    ident = xmlcodec.child(xmlcodec.child(header, "BerichtIdentificatie"), "Identificatie")
    if ident is not None:
        ident.text = identificatie
    if retour_id is not None:
        element = xmlcodec.child(header, "IdentificatieRetour")
        if element is not None:
            element.text = retour_id
    return xmlcodec.serialize(root)


class Demo:
    """Runs trajectories until stopped; the receiving side downloads, acks and answers."""

    def __init__(
        self, ggk_url: str, vecozo_url: str, interval_s: float, tokens: Mapping[str, str]
    ) -> None:
        self.doors = {"ggk": Door("ggk", ggk_url), "vecozo": Door("vecozo", vecozo_url)}
        self.tokens = dict(tokens)
        self.interval_s = interval_s
        # Message and person numbers start from the clock, so a restarted demo (whose earlier
        # messages the ledger keeps) does not repeat an Identificatie or a client.
        start = int(time.time()) % 1_000_000 * 100
        self.counter = itertools.count(start)
        self.persons = itertools.count(start)
        self.sent = 0
        self.received = 0
        self.refused = 0
        self._stop = False

    def stop(self, _signum: int, _frame: FrameType | None) -> None:
        self._stop = True

    def _auth(self, party: str) -> dict[str, str]:
        # A party without a token is sent without one: the adapter refuses, the demo counts it.
        token = self.tokens.get(party)
        return {"Authorization": f"Bearer {token}"} if token else {}

    def _upload(self, client: httpx.Client, door: Door, payload: bytes) -> None:
        envelope = xmlcodec.read_envelope(xmlcodec.parse_message(payload))
        party = envelope.afzender or ""
        if envelope.message_name and by_name(envelope.message_name).copies_heen_header:
            party = envelope.ontvanger or ""  # a retour is sent by the heen's receiver
        indiener = door.node == "vecozo" and DEMO_INDIENER in self.tokens
        if indiener and random.random() < _VIA_INDIENER:
            party = DEMO_INDIENER  # uploads with the provider's Afzender, on its behalf
        response = client.post(
            f"{door.url}/v1/messages",
            content=payload,
            headers={**self._auth(party), "Content-Type": "application/xml"},
        )
        if response.status_code == 202:
            self.sent += 1
        else:
            self.refused += 1
            log.warning("demo upload refused: %s %s", response.status_code, response.text[:200])

    def _drain(self, client: httpx.Client, door: Door, party: str) -> None:
        auth = self._auth(party)
        listing = client.get(f"{door.url}/v1/inbox", headers=auth)
        if listing.status_code != 200:
            return
        for item in listing.json():
            got = client.get(f"{door.url}/v1/inbox/{item['id']}", headers=auth)
            if got.status_code == 200:
                client.post(f"{door.url}/v1/inbox/{item['id']}/ack", headers=auth)
                self.received += 1

    def step(self, client: httpx.Client) -> None:
        standard = random.choice((*_STANDARDS, Standard.IWMO))
        bsn = demo_bsn(next(self.persons))
        for heen, retour in _TRAJECTORY:
            n = next(self.counter)
            heen_bytes = _with_identificatie(
                _template(standard, heen), f"DEMO{n % 100_000_000:08d}", None, bsn
            )
            envelope = xmlcodec.read_envelope(xmlcodec.parse_message(heen_bytes))
            from_gemeente = heen == "301"
            send, receive = ("ggk", "vecozo") if from_gemeente else ("vecozo", "ggk")
            self._upload(client, self.doors[send], heen_bytes)
            receiver = envelope.ontvanger or ""
            self._drain(client, self.doors[receive], receiver)
            retour_bytes = _with_identificatie(
                _template(standard, retour),
                f"DEMO{n % 100_000_000:08d}",
                f"DEMR{n % 100_000_000:08d}",
                bsn,
            )
            self._upload(client, self.doors[receive], retour_bytes)
            self._drain(client, self.doors[send], envelope.afzender or "")
            if self._stop:
                return

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        last_report = time.monotonic()
        with httpx.Client(timeout=10) as client:
            while not self._stop:
                try:
                    self.step(client)
                except httpx.HTTPError as exc:
                    log.warning("demo step failed: %s", exc)
                if time.monotonic() - last_report > 10:
                    self._report()
                    last_report = time.monotonic()
                time.sleep(self.interval_s)
        self._report()
        return 0

    def _report(self) -> None:
        print(
            f"demo: {self.sent} uploaded, {self.received} downloaded, {self.refused} refused",
            flush=True,
        )
