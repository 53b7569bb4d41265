"""The party registry: who may use the hub, through which node, for whom, and which standards.

Pure model plus loading from a TOML file (HUB_PARTIES_FILE). The registry lives in PostgreSQL
(hub/infra/store/parties.py); the file is what an operator imports into it. Tokens are made
here too, because a token is only ever a random string and its digest.

One mechanism says who may act for whom: `may_submit_for` (table party_delegation). For a
gemeente, aanbieder or the CAK it is a toestemmingsverklaring: it may upload messages with
those parties' Afzender, besides its own. For an intermediary (a software house or other
tussenpartij: it has no gemeentecode or AGB code of its own in any message; VECOZO's
Berichtloket calls it the Indiener and knows it by its VECOZO-code) it is the list of parties
that authorised it: it uploads for them only and its inbox is theirs.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Final

from hub.domain.configfile import read_toml
from hub.domain.errors import ConfigError
from hub.domain.messages import Node, Role, Standard, node_of

DEMO_FILE = Path(__file__).with_name("parties.demo.toml")
DEFAULT_CAK_CODE = "99000001"

# Prefixed so secret scanners (and people) recognise a leaked hub token.
TOKEN_PREFIX = "isdhub_"  # noqa: S105 - a public prefix, not a secret

_GEMEENTE = re.compile(r"[0-9]{4}")  # CBS gemeentecode
_AGB = re.compile(r"[0-9]{8}")  # AGB code (and the hub's 8-digit CAK code)
# An intermediary's code is the name the hub knows it by (its VECOZO-code where it has one;
# the facts give no format for that). A letter first keeps it apart from every code a message
# carries, so it can never be taken for a gemeente, an aanbieder or the CAK.
_INTERMEDIARY = re.compile(r"[A-Za-z][A-Za-z0-9._-]{1,39}")
_ENTRY_KEYS = frozenset({"code", "name", "node", "kind", "may_submit_for", "standards"})


class Intermediary(StrEnum):
    """The one party kind that is no role in a message: a software intermediary."""

    INTERMEDIARY = "intermediary"


INTERMEDIARY: Final = Intermediary.INTERMEDIARY
PartyKind = Role | Intermediary
KINDS: Final[tuple[PartyKind, ...]] = (*Role, INTERMEDIARY)

# What a party that lists no standards may exchange: what its kind exchanges in the chain
# (gemeenten Wmo and Jeugdwet with providers and iEb with the CAK; providers Wmo and
# Jeugdwet; the CAK iEb). An intermediary that lists none is bounded by its parties alone.
DEFAULT_STANDARDS: Final[Mapping[PartyKind, frozenset[Standard]]] = MappingProxyType(
    {
        Role.GEMEENTE: frozenset(Standard),
        Role.AANBIEDER: frozenset({Standard.IWMO, Standard.IJW}),
        Role.CAK: frozenset({Standard.IEB}),
        INTERMEDIARY: frozenset(Standard),
    }
)


@dataclass(frozen=True, slots=True)
class Party:
    """One party: its code, which node serves it, whom it may submit for (a toestemmingsverklaring,
    or for an intermediary the parties that authorised it) and the standards it lists (none:
    DEFAULT_STANDARDS of its kind)."""

    code: str
    name: str
    node: Node
    kind: PartyKind
    may_submit_for: frozenset[str] = field(default_factory=frozenset)
    standards: frozenset[Standard] = field(default_factory=frozenset)

    @property
    def is_intermediary(self) -> bool:
        return self.kind is INTERMEDIARY

    @property
    def exchanges(self) -> frozenset[Standard]:
        """The standards this party may exchange: those it lists, else its kind's default."""
        return self.standards or DEFAULT_STANDARDS[self.kind]

    @property
    def inbox_parties(self) -> tuple[str, ...]:
        """Whose inbox this party reads: an intermediary its parties', everyone else its own
        (a toestemmingsverklaring covers submitting only)."""
        return tuple(sorted(self.may_submit_for)) if self.is_intermediary else (self.code,)

    def may_send_as(self, sender: str | None) -> bool:
        """Whether a message whose sending party is `sender` may come from this party (an
        intermediary only for its parties: no message is its own)."""
        if sender is None:
            return False
        return sender in self.may_submit_for or (sender == self.code and not self.is_intermediary)


class PartyError(ConfigError):
    """A party definition is invalid (bad code, node, delegate or duplicate)."""


def kind_of(code: str, cak_code: str = DEFAULT_CAK_CODE) -> Role | None:
    """The kind of party a code's shape says it is, or None for a code of no known shape."""
    if code == cak_code:
        return Role.CAK
    if _GEMEENTE.fullmatch(code):
        return Role.GEMEENTE
    if _AGB.fullmatch(code):
        return Role.AANBIEDER
    return None


def make_party(
    code: object,
    name: object,
    *,
    node: object = None,
    kind: object = None,
    may_submit_for: Iterable[object] = (),
    standards: Iterable[object] = (),
    cak_code: str = DEFAULT_CAK_CODE,
) -> Party:
    """A validated party; raises PartyError with a short reason (without location)."""
    if kind is not None and str(kind) == INTERMEDIARY.value:
        derived: PartyKind = INTERMEDIARY
        if not isinstance(code, str) or not _INTERMEDIARY.fullmatch(code):
            raise PartyError(
                f"code {code!r} of an intermediary must be 2-40 letters, digits, '.', '_' or "
                "'-', a letter first (so no message can carry it as a party code)"
            )
    else:
        found = kind_of(code, cak_code) if isinstance(code, str) else None
        if found is None:
            raise PartyError(
                f"code {code!r} is neither a 4-digit CBS gemeentecode, an 8-digit AGB code nor "
                f'the CAK code {cak_code} (an intermediary needs kind = "intermediary")'
            )
        derived = found
    assert isinstance(code, str)
    if not isinstance(name, str) or not name.strip():
        raise PartyError("name must be a non-empty string")
    if kind is not None and derived is not INTERMEDIARY:
        try:
            wanted = Role(str(kind))
        except ValueError:
            raise PartyError(
                f"kind {kind!r} is not one of {', '.join(k.value for k in KINDS)}"
            ) from None
        if wanted is not derived:
            raise PartyError(f"code {code} is of kind {derived.value}, not {wanted.value}")
    serving = _node(derived, node)
    delegates: set[str] = set()
    for delegate in may_submit_for:
        if not isinstance(delegate, str) or kind_of(delegate, cak_code) is None:
            raise PartyError(
                f"may_submit_for: {delegate!r} is not a party code a message can carry (a "
                "gemeentecode, an AGB code or the CAK code; never an intermediary)"
            )
        if delegate == code:
            raise PartyError(f"may_submit_for: {delegate} is the party itself")
        delegates.add(delegate)
    listed = _standards(standards)
    beyond = listed - DEFAULT_STANDARDS[derived]
    if beyond:
        raise PartyError(
            f"standards: {code} is of kind {derived.value}, which does not exchange "
            f"{', '.join(sorted(beyond))}"
        )
    return Party(code, name.strip(), serving, derived, frozenset(delegates), listed)


def _node(kind: PartyKind, node: object) -> Node:
    """The node serving a party: its kind's, or for an intermediary the one it names."""
    chosen: Node | None = None
    if node is not None:
        try:
            chosen = Node(str(node))
        except ValueError:
            raise PartyError(
                f"node {node!r} is not one of {', '.join(n.value for n in Node)}"
            ) from None
    if kind is INTERMEDIARY:
        if chosen is None:
            raise PartyError("an intermediary needs its node (ggk or vecozo): the one it uses")
        return chosen
    assert isinstance(kind, Role)
    serving = node_of(kind)
    if chosen is not None and chosen is not serving:
        raise PartyError(
            f"node {chosen.value} does not serve kind {kind.value}; {serving.value} does"
        )
    return serving


def _standards(values: Iterable[object]) -> frozenset[Standard]:
    chosen: set[Standard] = set()
    for value in values:
        try:
            chosen.add(Standard(str(value).lower()))
        except ValueError:
            raise PartyError(
                f"standards: {value!r} is not one of {', '.join(s.value for s in Standard)}"
            ) from None
    return frozenset(chosen)


def check_delegates(party: Party, known: Mapping[str, Party]) -> None:
    """Delegates must be known parties of the same node (an upload enters through one node),
    and never intermediaries (no message carries an intermediary as its sender)."""
    for delegate in sorted(party.may_submit_for):
        other = known.get(delegate)
        if other is None:
            raise PartyError(f"may_submit_for: unknown party {delegate}")
        if other.is_intermediary:
            raise PartyError(f"may_submit_for: {delegate} is an intermediary")
        if other.node is not party.node:
            raise PartyError(
                f"may_submit_for: {delegate} is served by {other.node.value}, "
                f"not by {party.node.value} like {party.code}"
            )


@dataclass(frozen=True, slots=True)
class PartyRegistry:
    """Every known party by code."""

    parties: Mapping[str, Party]

    def get(self, code: str) -> Party | None:
        return self.parties.get(code)

    def __iter__(self) -> Iterator[Party]:
        return iter(self.parties.values())

    def __len__(self) -> int:
        return len(self.parties)

    def serves(self, node: Node, code: str) -> bool:
        party = self.parties.get(code)
        return party is not None and party.node is node


def cak_party(cak_code: str) -> Party:
    return Party(cak_code, "CAK", Node.GGK, Role.CAK)


def load_parties(path: Path, cak_code: str = DEFAULT_CAK_CODE) -> PartyRegistry:
    """Read and validate a parties file; every error is one line naming the file and entry.

    The file holds `[[party]]` tables with `code`, `name` and optionally `node`, `kind`,
    `may_submit_for` and `standards`. The CAK is always a party; the file may list it to give it
    a name.
    """
    where = f"parties file {path}"
    data = read_toml(path, where, "HUB_PARTIES_FILE")
    extra = sorted(set(data) - {"party"})
    if extra:
        raise ConfigError(f"{where}: unknown top-level key(s) {', '.join(extra)}; use [[party]]")
    entries = data.get("party", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ConfigError(f"{where}: `party` must be an array of tables ([[party]])")
    parties: dict[str, Party] = {}
    first_at: dict[str, int] = {}
    for number, entry in enumerate(entries, start=1):
        label = f"{where}, party #{number}" + (
            f" ({entry['code']})" if isinstance(entry.get("code"), str) else ""
        )
        unknown = sorted(set(entry) - _ENTRY_KEYS)
        if unknown:
            raise ConfigError(f"{label}: unknown key(s) {', '.join(unknown)}")
        delegates = entry.get("may_submit_for", [])
        if not isinstance(delegates, list):
            raise ConfigError(f"{label}: may_submit_for must be a list of party codes")
        standards = entry.get("standards", [])
        if not isinstance(standards, list):
            raise ConfigError(f"{label}: standards must be a list (iwmo, ijw, ieb)")
        try:
            party = make_party(
                entry.get("code"),
                entry.get("name"),
                node=entry.get("node"),
                kind=entry.get("kind"),
                may_submit_for=delegates,
                standards=standards,
                cak_code=cak_code,
            )
        except PartyError as exc:
            raise ConfigError(f"{label}: {exc}") from None
        if party.code in parties:
            raise ConfigError(
                f"{label}: duplicate code {party.code} (first at party #{first_at[party.code]})"
            )
        parties[party.code] = party
        first_at[party.code] = number
    parties.setdefault(cak_code, cak_party(cak_code))
    for code, party in parties.items():
        try:
            check_delegates(party, parties)
        except PartyError as exc:
            number = first_at[code]
            raise ConfigError(f"{where}, party #{number} ({code}): {exc}") from None
    return PartyRegistry(parties)


def new_token() -> str:
    """A fresh bearer token (256 bits of randomness); only its digest is ever stored."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> bytes:
    """What the database keeps of a token. A plain SHA-256 suffices: the token is random and
    long, so there is nothing to guess or precompute, and lookup by digest is one index probe."""
    return hashlib.sha256(token.encode("utf-8")).digest()
