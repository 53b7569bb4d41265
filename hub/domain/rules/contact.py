"""Contact rules of the 301: reachability (TR006, TR061) and the address (CD005–CD034, CS089)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Final

from lxml import etree

from hub.domain.rules.base import Rule, RuleContext, names, path_of, rule
from hub.domain.xmlcodec import text_of

_MESSAGES: Final = names(301)
# Contact/Soort: 01 BRP, 02 correspondentie, 03 verblijf, 04 tijdelijk.
_RESIDENTIAL: Final = frozenset({"01", "02", "03"})  # TR061 (rules.md §6 reading 11)
_NEEDS_POSTCODE: Final = frozenset({"01", "03"})  # CD034
_TIJDELIJK: Final = "04"
_NL: Final = "NL"


def _adressen(ctx: RuleContext) -> Iterator[tuple[etree._Element, Mapping[str, etree._Element]]]:
    """Each Adres with its children. In a 301 an Adres sits only in a Contact, so the cached
    Contact list and child maps serve every rule of this family with one walk of the tree."""
    for contact in ctx.each("Contact"):
        adres = ctx.fields(contact).get("Adres")
        if adres is not None:
            yield adres, ctx.fields(adres)


def is_dutch_postcode(text: str | None) -> bool:
    """Four digits, the first not 0, then two letters, no space (CS089).

    Lower-case letters pass: the rule text does not ask for capitals, and a reading that
    refuses them could refuse a valid message.
    """
    return (
        text is not None
        and len(text) == 6
        and text.isascii()
        and text[:4].isdigit()
        and text[0] != "0"
        and text[4:].isalpha()
    )


@rule(
    "TR006",
    "Een Contact moet een Telefoon bevatten, of een Adres met Huis en Postcode",
    _MESSAGES,
)
def TR006(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    # Every Contact: the Client's (under Contactgegevens) and each Relatie's.
    for contact in ctx.each("Contact"):
        f = ctx.fields(contact)
        if "Telefoon" in f:
            continue
        adres = ctx.fields(f.get("Adres"))
        if "Huis" not in adres or "Postcode" not in adres:
            yield (
                path_of(contact),
                "Contact must have a Telefoon, or an Adres with both Huis and Postcode",
            )


@rule(
    "TR061",
    "De client moet een Contact hebben met Soort 01 (BRP), 02 (correspondentie) of 03 (verblijf)",
    _MESSAGES,
)
def TR061(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    contacts = ctx.under("Contactgegevens", "Contact")
    if not contacts:
        return  # no Contactgegevens to judge: the XSD requires them
    soorten = {text_of(ctx.fields(c).get("Soort")) for c in contacts}
    if soorten.isdisjoint(_RESIDENTIAL):
        parent = contacts[0].getparent()
        yield (
            path_of(parent if parent is not None else contacts[0]),
            "Contactgegevens must hold a Contact with Soort 01, 02 or 03, not only 04 (tijdelijk)",
        )


@rule(
    "CD005",
    "Postcode en LandCode van een Adres zijn beide gevuld of beide leeg",
    _MESSAGES,
)
def CD005(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    for adres, f in _adressen(ctx):
        if ("Postcode" in f) != ("LandCode" in f):
            present, absent = (
                ("Postcode", "LandCode") if "Postcode" in f else ("LandCode", "Postcode")
            )
            yield path_of(adres), f"Adres has a {present} but no {absent}: fill both or neither"


@rule("CD009", "Contact/Periode mag alleen gevuld zijn als Contact/Soort 04 is", _MESSAGES)
def CD009(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    for contact in ctx.each("Contact"):
        f = ctx.fields(contact)
        periode = f.get("Periode")
        soort = text_of(f.get("Soort"))
        if periode is not None and soort != _TIJDELIJK:
            yield (
                path_of(periode),
                f"Contact/Periode is only allowed when Contact/Soort is 04, got {soort!r}",
            )


@rule("CD025", "Als LandCode NL is, moet Huis (Huisnummer) gevuld zijn", _MESSAGES)
def CD025(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    for _, f in _adressen(ctx):
        land = f.get("LandCode")
        if land is not None and "Huis" not in f and text_of(land) == _NL:
            yield path_of(land), "Adres with LandCode NL must have a Huis (Huisnummer)"


@rule("CD034", "Als Contact/Soort 01 of 03 is, moet Adres/Postcode gevuld zijn", _MESSAGES)
def CD034(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    for contact in ctx.each("Contact"):
        f = ctx.fields(contact)
        value = text_of(f.get("Soort"))
        # A Contact without any Adres lacks the postcode too (rules.md §6 reading 10).
        if value in _NEEDS_POSTCODE and "Postcode" not in ctx.fields(f.get("Adres")):
            yield path_of(contact), f"Contact with Soort {value} must have an Adres/Postcode"


@rule(
    "CS089",
    "Bij LandCode NL moet Postcode uit vier cijfers (niet beginnend met 0) en twee letters bestaan",
    _MESSAGES,
)
def CS089(root: etree._Element, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    for _, f in _adressen(ctx):
        if text_of(f.get("LandCode")) != _NL:
            continue
        postcode = f.get("Postcode")
        # A missing Postcode is CD005's finding, not this rule's.
        if postcode is not None and not is_dutch_postcode(text_of(postcode)):
            # An address is personal data: the sentence names the form, not the value.
            yield (
                path_of(postcode),
                "Postcode of a Dutch address must be four digits (not starting with 0) "
                "and two letters, without a space",
            )


# This family's rules, in the order their findings are reported.
RULES: Final[tuple[Rule, ...]] = (TR006, TR061, CD005, CD009, CD025, CD034, CS089)
