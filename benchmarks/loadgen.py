"""The benchmark's message mix: care trajectories (301 → 305 → 307) plus a few invalid messages.

Each trajectory has its own client (a fresh BSN that passes the 11-proef), so the history
rules see a clean history; its 305 is offered only once its 301 came out of egress (the ledger
has it), and its 307 only once its 305 did, so TR019/TR382 pass whatever the partitions do.
"""

from __future__ import annotations

import itertools
import random
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Final

from hub.domain import xmlcodec
from hub.domain.headers import H

FIXTURES: Final = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
_IDENT: Final = b"@@IDENT@@"
_BSN: Final = b"@@BSNBSN@@"
_GEMEENTE: Final = b"@@GEM@@"
# A ToewijzingNummer names one toewijzing in the gemeente (TR332): a client's are its Bsn's
# first 8 digits (no two valid BSNs share them) and the fixture number's last digit.
_NUMMER: Final = b"@@NUMMER@@"

# Share of each kind in the offered mix (a kind whose trajectories are not ready yet is
# replaced by a 301, which always is).
MIX: Final[dict[str, float]] = {"301": 0.45, "305": 0.30, "307": 0.20, "invalid": 0.05}


@dataclass(frozen=True)
class Standard:
    """One standard's templates and the parties that exchange it."""

    name: str  # "iwmo" / "ijw"
    prefix: str  # "WMO" / "JW"
    gemeenten: tuple[str, ...]  # 4-digit CBS codes of the demo registry
    aanbieder: str  # 8-digit AGB code
    templates: dict[str, bytes] = field(repr=False)


def _template(path: Path, gemeente_role: str) -> bytes:
    """The fixture with placeholders for Identificatie, Bsn and the gemeente's code."""
    root = xmlcodec.parse_message(path.read_bytes())
    header = xmlcodec.child(root, "Header")
    ident = xmlcodec.child(xmlcodec.child(header, "BerichtIdentificatie"), "Identificatie")
    party = xmlcodec.child(header, gemeente_role)
    bsn = xmlcodec.child(xmlcodec.child(root, "Client"), "Bsn")
    assert ident is not None
    assert party is not None
    assert bsn is not None
    ident.text, party.text, bsn.text = _IDENT.decode(), _GEMEENTE.decode(), _BSN.decode()
    for nummer in root.iter("{*}ToewijzingNummer"):
        nummer.text = _NUMMER.decode() + (nummer.text or "0")[-1:]
    return xmlcodec.serialize(root)


def load_standards() -> tuple[Standard, ...]:
    out = []
    for name, prefix, folder, gemeenten, aanbieder in (
        ("iwmo", "WMO", "iwmo-3.2", ("0363", "0599", "0518"), "65656055"),
        ("ijw", "JW", "ijw-3.2", ("0344",), "41125003"),
    ):
        templates = {
            code: _template(FIXTURES / folder / f"{prefix}{code}.xml", role)
            for code, role in (("301", "Afzender"), ("305", "Ontvanger"), ("307", "Ontvanger"))
        }
        out.append(Standard(name, prefix, gemeenten, aanbieder, templates))
    return tuple(out)


def bsns(start: int = 10_000_000) -> Iterator[str]:
    """Distinct 9-digit numbers that pass the 11-proef (CS002)."""
    for base in itertools.count(start):
        digits = str(base)
        check = sum(int(d) * w for d, w in zip(digits, range(9, 1, -1), strict=True)) % 11
        if check < 10:
            yield digits + str(check)


def broken(bsn: str) -> str:
    """The same BSN with its last digit changed: it fails the 11-proef."""
    return bsn[:-1] + str((int(bsn[-1]) + 1) % 10)


@dataclass
class Trajectory:
    standard: Standard
    gemeente: str
    bsn: str


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One ingress record as an adapter would produce it."""

    id: uuid.UUID
    kind: str  # 301 / 305 / 307 / bad301 / bad305
    party: str  # the uploading party (= Afzender here), also the record key
    node: str
    payload: bytes
    trajectory: Trajectory | None

    @property
    def expect_retour(self) -> bool:
        return self.kind.startswith("bad")

    def headers(self, received_at: datetime) -> list[tuple[str, bytes]]:
        # The trace id is the message id: the hub copies traceparent onto everything it sends
        # for a message, which is how a retour it builds is traced back to its heenbericht.
        return [
            (H.MESSAGE_ID.value, str(self.id).encode()),
            (H.NODE.value, self.node.encode()),
            (H.PARTY.value, self.party.encode()),
            (H.RECEIVED_AT.value, received_at.isoformat().encode()),
            ("traceparent", f"00-{self.id.hex}-{self.id.hex[:16]}-01".encode()),
        ]


def trace_id(headers: dict[str, bytes]) -> uuid.UUID | None:
    """The message id a record traces back to (see Outgoing.headers)."""
    raw = headers.get("traceparent")
    try:
        return uuid.UUID(raw.decode().split("-")[1]) if raw else None
    except (ValueError, IndexError):
        return None


class Mix:
    """Draws the next message of the mix; told which messages made it through egress."""

    def __init__(self, seed: int = 42) -> None:
        self.standards = load_standards()
        self.rng = random.Random(seed)
        self._bsns = bsns()
        self._ident = itertools.count(1)
        self.ready_305: deque[Trajectory] = deque()
        self.ready_307: deque[Trajectory] = deque()
        self.kinds, self.weights = list(MIX), list(MIX.values())
        self.substituted = 0  # 305/307 drawn with no trajectory ready: sent as a 301

    def _payload(self, traj: Trajectory, code: str, bsn: str) -> bytes:
        ident = f"B{next(self._ident):011d}".encode()
        return (
            traj.standard.templates[code]
            .replace(_IDENT, ident)
            .replace(_BSN, bsn.encode())
            .replace(_NUMMER, bsn[:8].encode())
            .replace(_GEMEENTE, traj.gemeente.encode())
        )

    def _new_trajectory(self) -> Trajectory:
        std = self.rng.choice(self.standards)
        return Trajectory(std, self.rng.choice(std.gemeenten), next(self._bsns))

    def _out(self, traj: Trajectory, code: str, kind: str, bsn: str) -> Outgoing:
        from_gemeente = code == "301"
        party = traj.gemeente if from_gemeente else traj.standard.aanbieder
        return Outgoing(
            id=uuid.uuid4(),
            kind=kind,
            party=party,
            node="ggk" if from_gemeente else "vecozo",
            payload=self._payload(traj, code, bsn),
            trajectory=None if kind.startswith("bad") else traj,
        )

    def next(self) -> Outgoing:
        kind = self.rng.choices(self.kinds, self.weights)[0]
        if kind == "invalid":
            traj = self._new_trajectory()
            code = self.rng.choice(("301", "305"))
            return self._out(traj, code, f"bad{code}", broken(traj.bsn))
        pool = self.ready_305 if kind == "305" else self.ready_307 if kind == "307" else None
        if pool:
            traj = pool.popleft()
            return self._out(traj, kind, kind, traj.bsn)
        if pool is not None:
            self.substituted += 1
        traj = self._new_trajectory()
        return self._out(traj, "301", "301", traj.bsn)

    def delivered(self, out: Outgoing) -> None:
        """`out` reached egress as itself (routed): its trajectory may take its next step."""
        if out.trajectory is None:
            return
        if out.kind == "301":
            self.ready_305.append(out.trajectory)
        elif out.kind == "305":
            self.ready_307.append(out.trajectory)

    def batch(self, n: int) -> list[Outgoing]:
        return [self.next() for _ in range(n)]

    def ready(self) -> dict[str, int]:
        return {"305": len(self.ready_305), "307": len(self.ready_307)}
