"""The schema model the generator renders: simple types, complex types, fields and bodies."""

from __future__ import annotations

from dataclasses import dataclass

# Names with these prefixes live in the pack's basisschema; every other type name is declared
# in the message schema itself. Keeping the rule in the name means a body can be written as
# plain data without saying where each type comes from.
BASIS_PREFIXES = ("LDT_", "CDT_")

UNBOUNDED = None


def is_basis(type_name: str) -> bool:
    return type_name.startswith(BASIS_PREFIXES)


@dataclass(frozen=True, slots=True)
class Code:
    """One value of a code list, with the meaning that goes into xs:documentation."""

    value: str
    meaning: str


@dataclass(frozen=True, slots=True)
class Simple:
    """A restricted simple type (`xs:restriction` of an XSD built-in or another simple type)."""

    name: str
    base: str  # "xs:string", "xs:integer", or a basis LDT_ name
    doc: str = ""
    min_length: int | None = None
    max_length: int | None = None
    patterns: tuple[str, ...] = ()
    min_inclusive: int | None = None
    max_inclusive: int | None = None
    codes: tuple[Code, ...] = ()


@dataclass(frozen=True, slots=True)
class Field:
    """One element of a sequence."""

    name: str
    type: str
    min: int = 1
    max: int | None = 1  # None: unbounded
    doc: str = ""
    # A local restriction of `type` (the published header fixes BerichtCode, BerichtVersie and
    # BerichtSubversie this way, the 323 its DeclaratieNummer): an anonymous xs:simpleType.
    patterns: tuple[str, ...] = ()


def opt(name: str, type_: str, doc: str = "") -> Field:
    """An optional element [0..1]; most of the standard is optional fields, so keep them short."""
    return Field(name, type_, min=0, doc=doc)


def many(name: str, type_: str, min_: int = 1) -> Field:
    """A repeating element [min..n]."""
    return Field(name, type_, min=min_, max=UNBOUNDED)


@dataclass(frozen=True, slots=True)
class Complex:
    """A complex type with one sequence.

    `is_class` marks a berichtklasse (Client, StartProduct, Relatie, …): in a retour every
    class carries its own RetourCodes, wrappers such as StartProducten do not.
    """

    name: str
    fields: tuple[Field, ...]
    is_class: bool = False
    doc: str = ""


@dataclass(frozen=True, slots=True)
class Body:
    """What follows the Header under Root, plus the message-local types it uses."""

    root_fields: tuple[Field, ...]
    complexes: tuple[Complex, ...] = ()
    simples: tuple[Simple, ...] = ()

    def class_names(self) -> frozenset[str]:
        return frozenset(c.name for c in self.complexes if c.is_class)


@dataclass(frozen=True, slots=True)
class MessageSchema:
    """Everything needed to render one message XSD."""

    segment: str  # "wmo305"
    namespace: str
    bericht_code: str
    bericht_versie: int
    bericht_subversie: int
    header: tuple[Field, ...]
    body: Body
    title: str
    xsd_version: str  # BerichtXsdVersie and BasisschemaXsdVersie of the pack

    def complexes(self) -> tuple[Complex, ...]:
        """Root, Header and the body's types: every complex type the message schema declares."""
        root = Complex("Root", (Field("Header", "Header"), *self.body.root_fields))
        return (root, Complex("Header", self.header), *self.body.complexes)
