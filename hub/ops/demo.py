"""Demo traffic for `hub up --demo`: parties exchanging toewijzing, start and stop messages
(with their retours) through the adapters' HTTP APIs, as real parties would, dated with the
chain's lateness (hub.ops.demo_dates)."""

from __future__ import annotations

import itertools
import json
import logging
import random
import signal
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

import httpx

from hub.domain import xmlcodec
from hub.domain.errors import ConfigError
from hub.domain.messages import Standard, by_name
from hub.domain.workdays import local_date
from hub.ops.demo_dates import Timeline, draw
from hub.ops.demo_messages import Person, demo_persons, personalise, template
from hub.ops.packgen.sampledata import CASTS

log = logging.getLogger(__name__)

_STANDARDS = (Standard.IWMO, Standard.IJW)
# The administratiekantoor of the demo registry (hub/domain/parties.demo.toml): with a token, it
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


@dataclass(frozen=True, slots=True)
class Sent:
    """One message the demo uploaded, and where its receiver looks for it."""

    payload: bytes
    sender: str
    sender_door: Door
    receiver: str
    receiver_door: Door
    envelope: xmlcodec.Envelope


# How long a party waits for a message the hub should have routed to it: beyond this, the hub
# refused or dead-lettered it (the demo's traffic is small; a healthy hub routes in well under
# a second).
_WAIT_S = 15.0
_POLL_S = 0.05


class Demo:
    """Runs trajectories until stopped: the sender uploads, the receiver downloads and acks
    what reached it and only then answers, so every retour answers a routed heenbericht and
    every 305/307 follows its 301. A message that does not arrive ends its trajectory."""

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
        self.persons = demo_persons(start)
        self.sent = 0
        self.received = 0
        # Every demo message that did not reach its receiver: refused at upload, answered by
        # the hub with a retour of its own (rejected), or never delivered (dead-lettered).
        self.refused = 0
        self._stop = False
        self._steps = 0
        # Adjusting 301s the gemeenten send a few trajectories after the stop:
        # (the step it is due at, its standard, person and dates).
        self._adjustments: list[tuple[int, Standard, Person, Timeline]] = []

    def stop(self, _signum: int, _frame: FrameType | None) -> None:
        self._stop = True

    def _auth(self, party: str) -> dict[str, str]:
        # A party without a token is sent without one: the adapter refuses, the demo counts it.
        token = self.tokens.get(party)
        return {"Authorization": f"Bearer {token}"} if token else {}

    def _upload(self, client: httpx.Client, message: Sent) -> bool:
        party = message.sender
        indiener = message.sender_door.node == "vecozo" and DEMO_INDIENER in self.tokens
        if indiener and random.random() < _VIA_INDIENER:
            party = DEMO_INDIENER  # uploads with the provider's Afzender, on its behalf
        response = client.post(
            f"{message.sender_door.url}/v1/messages",
            content=message.payload,
            headers={**self._auth(party), "Content-Type": "application/xml"},
        )
        if response.status_code == 202:
            self.sent += 1
            return True
        self.refused += 1
        log.warning("demo upload refused: %s %s", response.status_code, response.text[:200])
        return False

    def _fetch(self, client: httpx.Client, door: Door, party: str) -> list[xmlcodec.Envelope]:
        """Download and acknowledge everything in the party's inbox."""
        auth = self._auth(party)
        listing = client.get(f"{door.url}/v1/inbox", headers=auth)
        if listing.status_code != 200:
            return []
        got: list[xmlcodec.Envelope] = []
        for item in listing.json():
            response = client.get(f"{door.url}/v1/inbox/{item['id']}", headers=auth)
            if response.status_code != 200:
                continue
            client.post(f"{door.url}/v1/inbox/{item['id']}/ack", headers=auth)
            self.received += 1
            try:
                got.append(xmlcodec.read_envelope(xmlcodec.parse_message(response.content)))
            except xmlcodec.XmlRejected:
                continue
        return got

    def _delivered(self, client: httpx.Client, message: Sent, retour_code: str | None) -> bool:
        """Wait until `message` is in its receiver's inbox. For a heenbericht, a retour to it
        in the sender's inbox first (`retour_code`) means the hub rejected it."""
        sent = message.envelope
        deadline = time.monotonic() + _WAIT_S
        while time.monotonic() < deadline and not self._stop:
            for got in self._fetch(client, message.receiver_door, message.receiver):
                if _same(got, sent):
                    return True
            if retour_code is not None:
                for got in self._fetch(client, message.sender_door, message.sender):
                    if got.bericht_code == retour_code and got.identificatie == sent.identificatie:
                        log.warning("demo message rejected by the hub: %s", sent.message_name)
                        self.refused += 1
                        return False
            time.sleep(_POLL_S)
        if not self._stop:
            log.warning("demo message not delivered in %.0f s: %s", _WAIT_S, sent.message_name)
            self.refused += 1
        return False

    def _message(self, payload: bytes) -> Sent:
        envelope = xmlcodec.read_envelope(xmlcodec.parse_message(payload))
        sender, receiver = envelope.afzender or "", envelope.ontvanger or ""
        if envelope.message_name and by_name(envelope.message_name).copies_heen_header:
            sender, receiver = receiver, sender  # a retour is sent by the heen's receiver
        # Gemeenten are served by the GGK-like node, providers by the VECOZO-like one.
        gemeenten = {CASTS[st].gemeente for st in _STANDARDS}
        doors = {p: self.doors["ggk" if p in gemeenten else "vecozo"] for p in (sender, receiver)}
        return Sent(payload, sender, doors[sender], receiver, doors[receiver], envelope)

    def step(self, client: httpx.Client) -> None:
        """One person's trajectory: 301/302, 305/306, 307/308, each pair in turn, as far as its
        dates go; then the adjusting 301s (with their 302) that have come due."""
        self._steps += 1
        standard = random.choice((*_STANDARDS, Standard.IWMO))
        person = next(self.persons)
        # Seeded by the person, so one trajectory's dates can be drawn again from its number.
        timeline = draw(person.n, local_date(datetime.now(UTC)), standard)
        done = True
        for heen, retour in timeline.codes():
            if not self._pair(client, standard, person, heen, retour, timeline) or self._stop:
                done = False
                break
        if done and timeline.adjust_after is not None:
            at = self._steps + timeline.adjust_after
            self._adjustments.append((at, standard, person, timeline))
        due = [a for a in self._adjustments if a[0] <= self._steps]
        self._adjustments = [a for a in self._adjustments if a[0] > self._steps]
        for _, standard, person, timeline in due:
            if self._stop:
                return
            self._pair(client, standard, person, "301", "302", timeline, adjusted=True)

    def _pair(
        self,
        client: httpx.Client,
        standard: Standard,
        person: Person,
        heen: str,
        retour: str,
        timeline: Timeline,
        *,
        adjusted: bool = False,
    ) -> bool:
        n = next(self.counter) % 100_000_000
        ident = f"DEMO{n:08d}"
        heen_xml = personalise(
            template(standard, heen), ident, None, person, timeline, adjusted=adjusted
        )
        message = self._message(heen_xml)
        retour_code = by_name(_name(standard, retour)).bericht_code
        if not self._upload(client, message) or not self._delivered(client, message, retour_code):
            return False
        retour_xml = personalise(
            template(standard, retour), ident, f"DEMR{n:08d}", person, timeline
        )
        answer = self._message(retour_xml)
        return self._upload(client, answer) and self._delivered(client, answer, None)

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


def _name(standard: Standard, number: str) -> str:
    return f"{'WMO' if standard is Standard.IWMO else 'JW'}{number}"


def _same(got: xmlcodec.Envelope, sent: xmlcodec.Envelope) -> bool:
    return (
        got.bericht_code == sent.bericht_code
        and got.identificatie == sent.identificatie
        and got.identificatie_retour == sent.identificatie_retour
    )
