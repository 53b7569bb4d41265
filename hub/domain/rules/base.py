"""The shape of a technical rule and the per-message context every rule reads through."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from types import MappingProxyType
from typing import Final, TypeVar, cast

from lxml import etree

from hub.domain.findings import XSLT_RETOURCODE, Finding, Level
from hub.domain.messages import CATALOGUE, MessageType, Standard
from hub.domain.xmlcodec import child, children_by_name, text_of

# A rule's body yields (location, sentence); the Rule wraps those into Findings.
T = TypeVar("T")
Check = Callable[[etree._Element, "RuleContext"], Iterable[tuple[str, str]]]


@dataclass(frozen=True, slots=True)
class Rule:
    """One technical rule: which messages it reads, and what it says about them."""

    id: str
    description: str
    messages: frozenset[str]  # catalogue names, e.g. {"WMO305", "JW305"}
    level: Level
    retourcode: str
    body: Check

    def check(self, root: etree._Element, ctx: RuleContext) -> Iterator[Finding]:
        for location, sentence in self.body(root, ctx):
            yield Finding(self.id, self.retourcode, self.level, location, sentence)


def rule(
    rule_id: str,
    description: str,
    messages: frozenset[str],
    *,
    level: Level = Level.XSLT,
    retourcode: str = XSLT_RETOURCODE,
) -> Callable[[Check], Rule]:
    """Declare a rule from its body: `@rule("CS002", "...", ALL_MESSAGES)`."""

    def make(body: Check) -> Rule:
        return Rule(rule_id, description, messages, level, retourcode, body)

    return make


def names(
    *numbers: int, standards: Iterable[Standard] = (Standard.IWMO, Standard.IJW)
) -> frozenset[str]:
    """Catalogue names of these message numbers in these standards (iWmo and iJw by default)."""
    wanted = frozenset(standards)
    return frozenset(
        mt.name for mt in CATALOGUE.values() if mt.number in numbers and mt.standard in wanted
    )


ALL_MESSAGES: Final = frozenset(CATALOGUE)
IWMO_IJW_MESSAGES: Final = frozenset(
    mt.name for mt in CATALOGUE.values() if mt.standard in (Standard.IWMO, Standard.IJW)
)


_NO_FIELDS: Final[Mapping[str, etree._Element]] = MappingProxyType({})


class RuleContext:
    """What rules share about one message: the clock, the kind, and cached element lookups.

    Lookups stay in lxml's C iteration (`iter("{*}Name")`) and touch only the elements a rule
    needs: on the hot path Python-level work per element, not XML size, is what costs.
    """

    __slots__ = (
        "_dagtekening",
        "_dagtekening_text",
        "_each",
        "_fields",
        "_header",
        "_header_fields",
        "_memo",
        "_texts",
        "_under",
        "message",
        "root",
        "today",
    )

    def __init__(
        self,
        root: etree._Element,
        message: MessageType,
        today: date,
        header_fields: Mapping[str, etree._Element] | None = None,
    ) -> None:
        """`header_fields`: `fields` of the root's Header, when the caller has read them."""
        self.root = root
        self.message = message
        self.today = today
        self._each: dict[str, list[etree._Element]] = {}
        self._texts: dict[str, list[str]] = {}
        self._fields: dict[etree._Element, Mapping[str, etree._Element]] = {}
        self._under: dict[tuple[str, str], list[etree._Element]] = {}
        self._header: etree._Element | bool | None = False  # False: not read yet
        self._header_fields: Mapping[str, etree._Element] | None = header_fields
        self._dagtekening: date | bool | None = False
        self._dagtekening_text: str | None = None
        self._memo: dict[Callable[[RuleContext], object], object] | None = None

    @property
    def message_name(self) -> str:
        return self.message.name

    @property
    def header(self) -> etree._Element | None:
        if self._header is False:
            self._header = child(self.root, "Header")
        return self._header if isinstance(self._header, etree._Element) else None

    def header_field(self, name: str) -> etree._Element | None:
        """A child of the Header by local name."""
        if self._header_fields is None:
            self._header_fields = fields(self.header)
        return self._header_fields.get(name)

    def _read_dagtekening(self) -> None:
        # Two child steps, not the whole Header by name: only a retour's rules read more.
        if self._header_fields is not None:
            ident = self._header_fields.get("BerichtIdentificatie")
        else:
            ident = child(self.header, "BerichtIdentificatie")
        text = text_of(child(ident, "Dagtekening"))
        self._dagtekening = day = _dagtekening_day(text)
        self._dagtekening_text = text if day is not None else None

    @property
    def dagtekening(self) -> date | None:
        """Header/BerichtIdentificatie/Dagtekening, or None when absent or not a date."""
        if self._dagtekening is False:
            self._read_dagtekening()
        return self._dagtekening if isinstance(self._dagtekening, date) else None

    @property
    def dagtekening_text(self) -> str | None:
        """The Dagtekening as its YYYY-MM-DD text when it is a date: compares as dates do."""
        if self._dagtekening is False:
            self._read_dagtekening()
        return self._dagtekening_text

    def fields(self, el: etree._Element | None) -> Mapping[str, etree._Element]:
        """`fields(el)`, read once per element for all rules of the message (read-only)."""
        if el is None:
            return _NO_FIELDS
        found = self._fields.get(el)
        if found is None:
            found = self._fields[el] = children_by_name(el)
        return found

    def memo(self, build: Callable[[RuleContext], T]) -> T:
        """`build(self)`, run once per message for all rules that ask: a family's shared read."""
        if self._memo is None:
            self._memo = {}
        if build not in self._memo:
            self._memo[build] = build(self)
        return cast(T, self._memo[build])

    def each(self, name: str) -> list[etree._Element]:
        """Every element with local name `name`, in document order."""
        found = self._each.get(name)
        if found is None:
            found = self._each[name] = list(self.root.iter("{*}" + name))
        return found

    def texts(self, name: str) -> list[str]:
        """`text_of` of each element of `each(name)`, in the same order (never None)."""
        found = self._texts.get(name)
        if found is None:
            # text_of inlined for the usual leaf (no comment or child inside): no call per element.
            found = self._texts[name] = [
                (text_of(el) or "") if len(el) else (el.text or "").strip()
                for el in self.each(name)
            ]
        return found

    def under(self, parent: str, name: str) -> list[etree._Element]:
        """Every element `name` whose parent has local name `parent`, in document order."""
        key = (parent, name)
        found = self._under.get(key)
        if found is None:
            suffix = "}" + parent
            found = self._under[key] = [
                el
                for el in self.each(name)
                # A parent is always an element, so its tag is a string.
                if (up := el.getparent()) is not None and up.tag.endswith(suffix)
            ]
        return found


def parent_is(el: etree._Element, parent: str) -> bool:
    """Whether the parent of `el` has local name `parent`: `under` for one element.

    Rules filter on the value first and ask this only of the few elements that would be
    reported, so a valid message reads no parent tags."""
    up = el.getparent()
    # A parent is always an element, so its tag is a string.
    return up is not None and up.tag.endswith("}" + parent)


def fields(el: etree._Element | None) -> dict[str, etree._Element]:
    """The child elements of `el` by local name (the first of each name); {} for None."""
    return children_by_name(el)


def is_named(el: etree._Element | None, name: str) -> bool:
    """Whether `el` has local name `name` (in whatever namespace)."""
    if el is None:
        return False
    tag: object = el.tag
    return isinstance(tag, str) and (tag == name or tag.endswith("}" + name))


def parse_date(text: str | None) -> date | None:
    """A YYYY-MM-DD date (LDT_Datum, no timezone); None for anything else."""
    # fromisoformat alone would also take week dates and compact forms since Python 3.11.
    if text is None or len(text) != 10 or text[4] != "-" or text[7] != "-":
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


# Messages of one day share their Dagtekening: a lookup instead of a parse per message.
_dagtekening_day: Final = lru_cache(maxsize=64)(parse_date)


def parse_int(text: str | None) -> int | None:
    """An xs:integer lexical value (optional sign, leading zeros); None for anything else."""
    if not text:
        return None
    digits = text[1:] if text[0] in "+-" else text
    if not digits.isascii() or not digits.isdigit() or len(digits) > 18:
        return None
    return int(text)


def path_of(el: etree._Element) -> str:
    """XPath of local names, with a 1-based position where same-named siblings exist."""
    steps: list[str] = []
    node: etree._Element | None = el
    while node is not None:
        tag = node.tag
        step = tag[tag.find("}") + 1 :] if isinstance(tag, str) else ""
        if node.getparent() is not None and isinstance(tag, str):
            # Sibling scans run in C; only the counting is Python.
            before = sum(1 for _ in node.itersiblings(tag, preceding=True))
            if before or next(node.itersiblings(tag), None) is not None:
                step += f"[{before + 1}]"
        steps.append(step)
        node = node.getparent()
    return "/" + "/".join(reversed(steps))
