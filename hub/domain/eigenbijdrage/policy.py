"""Per-gemeente eigen-bijdrage policy: which starts count, which route (405 or 407), and the
choices the sources leave to the gemeente (domain.md §6, §9 items 3-4).

Read from a TOML file (HUB_EB_POLICY_FILE) and validated at start-up; every error is one line
naming the file and the entry. A `[defaults]` table applies to every gemeente, and a
`[gemeente."NNNN"]` table overrides single keys for one gemeente.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from hub.domain.configfile import read_toml
from hub.domain.errors import ConfigError

DEMO_FILE: Final = Path(__file__).with_name("policy.demo.toml")

ALL_CATEGORIES: Final = tuple(f"{n:02d}" for n in range(1, 19))  # LDT_ProductCategorie 01-18
BESCHERMD_WONEN: Final = "15"
# By default every Wmo category counts except beschermd wonen, which goes to the WMO407. Opvang
# (16-18) has a bijdrage article of its own (Uitvoeringsbesluit Wmo 2015 art. 3.20): a gemeente
# that collects it another way lists those under `exempt_categories`.
DEFAULT_CATEGORIES: Final = tuple(c for c in ALL_CATEGORIES if c != BESCHERMD_WONEN)

_GEMEENTE: Final = re.compile(r"[0-9]{4}")


@dataclass(frozen=True, slots=True)
class Policy:
    """The eigen-bijdrage choices of one gemeente."""

    enabled: bool = False
    # Categories whose starts count for the abonnementstarief (WMO405).
    categories: frozenset[str] = frozenset(DEFAULT_CATEGORIES)
    # Categories the gemeente exempts from the abonnementstarief (e.g. 11 rolstoelen, 08/12
    # vervoer); they never count, whatever `categories` says.
    exempt_categories: frozenset[str] = frozenset()
    # Send WMO407 for beschermd wonen; off: beschermd wonen gives no notice at all.
    beschermd_wonen: bool = True
    beschermd_wonen_categories: frozenset[str] = frozenset({BESCHERMD_WONEN})
    # Whether a temporary stop (RedenBeeindiging 20) ends the bijdrage at its Einddatum.
    temporary_stop_ends: bool = False
    # Age the client must have reached on the Begindatum of a start for it to count.
    minimum_age: int = 18
    # A start whose Begindatum lies more than this many werkdagen before its arrival is
    # signalled as late (retroactive bill risk).
    late_start_workdays: int = 5

    @property
    def abonnementstarief_categories(self) -> frozenset[str]:
        return self.categories - self.exempt_categories - self.beschermd_wonen_categories


_KEYS: Final = frozenset(f.name for f in fields(Policy))
_CATEGORY_KEYS: Final = frozenset({"categories", "exempt_categories", "beschermd_wonen_categories"})
_BOOL_KEYS: Final = frozenset({"enabled", "beschermd_wonen", "temporary_stop_ends"})


@dataclass(frozen=True)
class PolicyBook:
    """The policy of every gemeente: the defaults, overridden per gemeente."""

    defaults: Policy
    gemeenten: Mapping[str, Policy]
    source: str = "built-in"

    def for_gemeente(self, gemeente: str) -> Policy:
        return self.gemeenten.get(gemeente, self.defaults)

    def __iter__(self) -> Iterator[tuple[str, Policy]]:
        return iter(sorted(self.gemeenten.items()))


def _entry(base: Policy, table: Mapping[str, Any], label: str) -> Policy:
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise ConfigError(f"{label}: unknown key(s) {', '.join(unknown)}")
    changes: dict[str, Any] = {}
    for key, value in table.items():
        if key in _BOOL_KEYS:
            if not isinstance(value, bool):
                raise ConfigError(f"{label}: {key} must be true or false")
            changes[key] = value
        elif key in _CATEGORY_KEYS:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{label}: {key} must be a list of category strings")
            bad = [v for v in value if v not in ALL_CATEGORIES]
            if bad:
                raise ConfigError(
                    f"{label}: {key}: {bad[0]!r} is not a Wmo product category (01-18)"
                )
            changes[key] = frozenset(value)
        else:  # minimum_age, late_start_workdays
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 120:
                raise ConfigError(f"{label}: {key} must be a whole number from 0 to 120")
            changes[key] = value
    policy = replace(base, **changes)
    both = policy.categories & policy.beschermd_wonen_categories
    if both and "categories" in table and "beschermd_wonen_categories" in table:
        raise ConfigError(
            f"{label}: category {sorted(both)[0]} is in both categories and "
            "beschermd_wonen_categories"
        )
    return policy


def load_policy(path: Path) -> PolicyBook:
    """Read and validate a policy file; every error is one line naming the file and entry."""
    where = f"eigen-bijdrage policy file {path}"
    data = read_toml(path, where, "HUB_EB_POLICY_FILE")
    extra = sorted(set(data) - {"defaults", "gemeente"})
    if extra:
        raise ConfigError(
            f"{where}: unknown top-level key(s) {', '.join(extra)}; use [defaults] and "
            '[gemeente."NNNN"]'
        )
    raw_defaults = data.get("defaults", {})
    if not isinstance(raw_defaults, dict):
        raise ConfigError(f"{where}: [defaults] must be a table")
    defaults = _entry(Policy(), raw_defaults, f"{where}, [defaults]")
    raw_gemeenten = data.get("gemeente", {})
    if not isinstance(raw_gemeenten, dict):
        raise ConfigError(f'{where}: gemeente must be tables like [gemeente."0363"]')
    gemeenten: dict[str, Policy] = {}
    for code, table in raw_gemeenten.items():
        label = f'{where}, [gemeente."{code}"]'
        if not _GEMEENTE.fullmatch(code):
            raise ConfigError(f"{label}: not a 4-digit CBS gemeentecode")
        if not isinstance(table, dict):
            raise ConfigError(f"{label}: must be a table")
        gemeenten[code] = _entry(defaults, table, label)
    return PolicyBook(defaults, MappingProxyType(gemeenten), str(path))


def describe(policy: Policy) -> str:
    """One line for `hub eb policy`."""
    if not policy.enabled:
        return "disabled"
    at = ",".join(sorted(policy.abonnementstarief_categories)) or "-"
    bw = ",".join(sorted(policy.beschermd_wonen_categories)) if policy.beschermd_wonen else "off"
    exempt = ",".join(sorted(policy.exempt_categories)) or "-"
    temp = "ends" if policy.temporary_stop_ends else "continues"
    return (
        f"405 categories {at}; exempt {exempt}; 407 categories {bw}; temporary stop {temp}; "
        f"minimum age {policy.minimum_age}; late start after {policy.late_start_workdays} "
        "werkdagen"
    )
