"""Per-gemeente eigen-bijdrage policy: which starts count, which route (405 or 407), and the
choices the sources leave to the gemeente (domain.md §6, §9 items 3-4).

Read from a TOML file (HUB_EB_POLICY_FILE) and validated at start-up; every error is one line
naming the file and the entry. A `[defaults]` table applies to every gemeente, and a
`[gemeente."NNNN"]` table overrides single keys for one gemeente.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
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
    # The iEb limits of issue #18 (hub.domain.eigenbijdrage.limits says how they are counted;
    # the figures are the issue's, the facts name none): no notice for a start more than this
    # many months back, nor for a correction more than this many months back; held for the
    # gemeente to handle by hand (`hub eb held`). 0: no limit.
    start_limit_months: int = 12
    correction_limit_months: int = 36
    # Beschermd wonen is a centrumgemeente's task: the WMO407 goes out with this gemeente as
    # Afzender (the hub-model header's only gemeente field; the facts say nothing about a
    # centrumgemeente in the 407). None: the gemeente itself.
    centrumgemeente: str | None = None
    # Cost price in cents per hulpmiddel product ("categorie/code", categories 11-14), sent
    # as the 405's Kostprijs (hub.domain.eigenbijdrage.kostprijs).
    kostprijs: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}), hash=False)

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
        elif key == "centrumgemeente":
            if not isinstance(value, str) or not _GEMEENTE.fullmatch(value):
                raise ConfigError(f"{label}: centrumgemeente must be a 4-digit CBS gemeentecode")
            changes[key] = value
        elif key == "kostprijs":
            changes[key] = _kostprijs(value, label)
        else:  # minimum_age, late_start_workdays, start/correction_limit_months
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


_PRODUCT: Final = re.compile(r"(1[1-4])/([0-9A-Za-z]{1,5})")
_MAX_CENTS: Final = 99_999_999  # LDT_Bedrag of the iEb model pack


def _kostprijs(value: object, label: str) -> Mapping[str, int]:
    if not isinstance(value, dict):
        raise ConfigError(f'{label}: kostprijs must be a table like {{ "12/12A01" = 350000 }}')
    prices: dict[str, int] = {}
    for product, cents in value.items():
        if not _PRODUCT.fullmatch(product):
            raise ConfigError(
                f"{label}: kostprijs: {product!r} is not a hulpmiddel product "
                '"categorie/code" with categorie 11-14 (e.g. "12/12A01")'
            )
        if not isinstance(cents, int) or isinstance(cents, bool) or not 0 <= cents <= _MAX_CENTS:
            raise ConfigError(
                f"{label}: kostprijs {product!r} must be a whole number of cents from 0 to "
                f"{_MAX_CENTS}"
            )
        prices[product] = cents
    return MappingProxyType(prices)


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
    line = (
        f"405 categories {at}; exempt {exempt}; 407 categories {bw}; temporary stop {temp}; "
        f"minimum age {policy.minimum_age}; late start after {policy.late_start_workdays} "
        "werkdagen"
    )
    # The #18 settings are only named when they differ from the defaults, so the line of an
    # unchanged policy stays what it was.
    extra = []
    if (policy.start_limit_months, policy.correction_limit_months) != (12, 36):
        extra.append(
            f"held: start > {policy.start_limit_months or 'no limit'} months, correction > "
            f"{policy.correction_limit_months or 'no limit'} months back"
        )
    if policy.centrumgemeente:
        extra.append(f"407 as centrumgemeente {policy.centrumgemeente}")
    if policy.kostprijs:
        extra.append(f"kostprijs for {len(policy.kostprijs)} product(s)")
    return "; ".join([line, *extra])
