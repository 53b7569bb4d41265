"""The party registry: who may use the hub, through which node, and for whom they may submit.

Pure model plus loading from a TOML file (HUB_PARTIES_FILE). The registry lives in PostgreSQL
(store.py, "parties" section); the file is what an operator imports into it. Tokens are made
here too, because a token is only ever a random string and its digest.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hub.domain.configfile import read_toml
from hub.domain.errors import ConfigError
from hub.domain.messages import Node, Role, node_of

DEMO_FILE = Path(__file__).with_name("parties.demo.toml")
DEFAULT_CAK_CODE = "99000001"

# Prefixed so secret scanners (and people) recognise a leaked hub token.
TOKEN_PREFIX = "isdhub_"  # noqa: S105 - a public prefix, not a secret

_GEMEENTE = re.compile(r"[0-9]{4}")  # CBS gemeentecode
_AGB = re.compile(r"[0-9]{8}")  # AGB code (and the hub's 8-digit CAK code)
_ENTRY_KEYS = frozenset({"code", "name", "node", "kind", "may_submit_for"})


@dataclass(frozen=True, slots=True)
class Party:
    """One party: its code, which node serves it, and whom it may submit for (delegation,
    like VECOZO's toestemmingsverklaring: an indiener uploads with another party's Afzender)."""

    code: str
    name: str
    node: Node
    kind: Role
    may_submit_for: frozenset[str] = field(default_factory=frozenset)

    def may_send_as(self, sender: str | None) -> bool:
        """Whether a message whose sending party is `sender` may come from this party."""
        return sender is not None and (sender == self.code or sender in self.may_submit_for)


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
    cak_code: str = DEFAULT_CAK_CODE,
) -> Party:
    """A validated party; raises PartyError with a short reason (without location)."""
    if not isinstance(code, str) or kind_of(code, cak_code) is None:
        raise PartyError(
            f"code {code!r} is neither a 4-digit CBS gemeentecode, an 8-digit AGB code nor "
            f"the CAK code {cak_code}"
        )
    if not isinstance(name, str) or not name.strip():
        raise PartyError("name must be a non-empty string")
    derived = kind_of(code, cak_code)
    assert derived is not None
    if kind is not None:
        try:
            wanted = Role(str(kind))
        except ValueError:
            raise PartyError(
                f"kind {kind!r} is not one of {', '.join(r.value for r in Role)}"
            ) from None
        if wanted is not derived:
            raise PartyError(f"code {code} is of kind {derived.value}, not {wanted.value}")
    serving = node_of(derived)
    if node is not None:
        try:
            chosen = Node(str(node))
        except ValueError:
            raise PartyError(
                f"node {node!r} is not one of {', '.join(n.value for n in Node)}"
            ) from None
        if chosen is not serving:
            raise PartyError(
                f"node {chosen.value} does not serve kind {derived.value}; {serving.value} does"
            )
    delegates: set[str] = set()
    for delegate in may_submit_for:
        if not isinstance(delegate, str) or kind_of(delegate, cak_code) is None:
            raise PartyError(f"may_submit_for: {delegate!r} is not a party code")
        if delegate == code:
            raise PartyError(f"may_submit_for: {delegate} is the party itself")
        delegates.add(delegate)
    return Party(code, name.strip(), serving, derived, frozenset(delegates))


def check_delegates(party: Party, known: Mapping[str, Party]) -> None:
    """Delegates must be known parties of the same node (an upload enters through one node)."""
    for delegate in sorted(party.may_submit_for):
        other = known.get(delegate)
        if other is None:
            raise PartyError(f"may_submit_for: unknown party {delegate}")
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

    The file holds `[[party]]` tables with `code`, `name` and optionally `node`, `kind` and
    `may_submit_for`. The CAK is always a party; the file may list it to give it a name.
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
        try:
            party = make_party(
                entry.get("code"),
                entry.get("name"),
                node=entry.get("node"),
                kind=entry.get("kind"),
                may_submit_for=delegates,
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
