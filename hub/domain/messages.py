"""The message catalogue: every iWmo / iJw / iEb message kind the hub knows, declared once."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final


class Standard(StrEnum):
    IWMO = "iwmo"
    IJW = "ijw"
    IEB = "ieb"


class Direction(StrEnum):
    HEEN = "heen"
    RETOUR = "retour"
    # The 325 answers a 323 like a retour does, but is itself the declaratie's answer message.
    ANTWOORD = "antwoord"


class Role(StrEnum):
    GEMEENTE = "gemeente"
    AANBIEDER = "aanbieder"
    CAK = "cak"


class Node(StrEnum):
    """The two national nodes the hub sits between."""

    GGK = "ggk"  # gemeente side, also carries iEb to and from the CAK
    VECOZO = "vecozo"  # care-provider side


@dataclass(frozen=True, slots=True)
class MessageType:
    """One message kind of one standard (release-independent: packs carry the schemas)."""

    standard: Standard
    name: str  # "WMO305", "JW301"
    number: int  # 305
    bericht_code: str  # fixed Header/BerichtCode, e.g. "418"
    title: str
    direction: Direction
    sender: Role  # who physically sends it
    receiver: Role
    answer: str | None  # name of the retour/antwoord this heenbericht expects
    answers: str | None  # name of the heenbericht this retour/antwoord answers
    body: str  # top-level body element under Bericht
    hub_model: bool = False  # True where no official definition was available (iEb)

    @property
    def namespace_segment(self) -> str:
        """The lower-case path segment used in the namespace (`wmo305`, `jw301`)."""
        return self.name.lower()

    def namespace(self, release: str) -> str:
        """The target namespace of this message in `release` (e.g. "3.2")."""
        return namespace_for(self.standard, release, self.namespace_segment)

    @property
    def is_heen(self) -> bool:
        return self.direction is Direction.HEEN

    @property
    def copies_heen_header(self) -> bool:
        """Retours keep the heenbericht's Afzender/Ontvanger unchanged (IV028); the 325 does not."""
        return self.direction is Direction.RETOUR


def namespace_for(standard: Standard, release: str, segment: str) -> str:
    return (
        f"http://www.istandaarden.nl/{standard.value}/{release.replace('.', '_')}/{segment}/schema"
    )


def basisschema_namespace(standard: Standard, release: str) -> str:
    return namespace_for(standard, release, "basisschema")


_G, _A, _C = Role.GEMEENTE, Role.AANBIEDER, Role.CAK
_H, _R, _ANT = Direction.HEEN, Direction.RETOUR, Direction.ANTWOORD

# (number, title, direction, sender, receiver, answer number, answers number, body element)
_PAIRS: Final = (
    (301, "Toewijzing", _H, _G, _A, 302, None, "Client"),
    (302, "Toewijzing retour", _R, _A, _G, None, 301, "Client"),
    (305, "Start ondersteuning", _H, _A, _G, 306, None, "Client"),
    (306, "Start ondersteuning retour", _R, _G, _A, None, 305, "Client"),
    (307, "Stop ondersteuning", _H, _A, _G, 308, None, "Client"),
    (308, "Stop ondersteuning retour", _R, _G, _A, None, 307, "Client"),
    (315, "Verzoek om toewijzing", _H, _A, _G, 316, None, "Client"),
    (316, "Verzoek om toewijzing retour", _R, _G, _A, None, 315, "Client"),
    (317, "Verzoek om wijziging", _H, _A, _G, 318, None, "Client"),
    (318, "Verzoek om wijziging retour", _R, _G, _A, None, 317, "Client"),
    (319, "Antwoordbericht", _H, _G, _A, 320, None, "Antwoord"),
    (320, "Antwoordbericht retour", _R, _A, _G, None, 319, "Antwoord"),
    (323, "Declaratie", _H, _A, _G, 325, None, "Declaratie"),
    (325, "Declaratie-antwoord", _ANT, _G, _A, None, 323, "DeclaratieAntwoord"),
)

# Fixed BerichtCode values (COD002-VEKTIS), per number.
_IWMO_CODES: Final = {
    301: "414", 302: "415", 305: "418", 306: "419", 307: "420", 308: "421", 315: "444",
    316: "445", 317: "480", 318: "481", 319: "482", 320: "483", 323: "484", 325: "485",
}  # fmt: skip
_IJW_CODES: Final = {
    301: "436", 302: "437", 305: "438", 306: "439", 307: "440", 308: "441", 315: "446",
    316: "447", 317: "486", 318: "487", 319: "488", 320: "489", 323: "490", 325: "491",
}  # fmt: skip

# iEb: the official codes were not available to us. These are the hub's own model values,
# chosen outside every range the iWmo, iJw and iWlz sets use, and replaced by whatever an
# official pack declares when one is loaded.
_IEB: Final = (
    (405, "Start en stop eigen bijdrage", _H, _G, _C, 406, None, "Client", "492"),
    (406, "Start en stop eigen bijdrage retour", _R, _C, _G, None, 405, "Client", "493"),
    (407, "Start en stop beschermd wonen", _H, _G, _C, 408, None, "Client", "494"),
    (408, "Start en stop beschermd wonen retour", _R, _C, _G, None, 407, "Client", "495"),
)


def _build() -> dict[str, MessageType]:
    out: dict[str, MessageType] = {}
    for standard, prefix, codes in (
        (Standard.IWMO, "WMO", _IWMO_CODES),
        (Standard.IJW, "JW", _IJW_CODES),
    ):
        for number, title, direction, sender, receiver, answer, answers, body in _PAIRS:
            name = f"{prefix}{number}"
            out[name] = MessageType(
                standard=standard,
                name=name,
                number=number,
                bericht_code=codes[number],
                title=title,
                direction=direction,
                sender=sender,
                receiver=receiver,
                answer=f"{prefix}{answer}" if answer else None,
                answers=f"{prefix}{answers}" if answers else None,
                body=body,
            )
    for number, title, direction, sender, receiver, answer, answers, body, code in _IEB:
        name = f"WMO{number}"
        out[name] = MessageType(
            standard=Standard.IEB,
            name=name,
            number=number,
            bericht_code=code,
            title=title,
            direction=direction,
            sender=sender,
            receiver=receiver,
            answer=f"WMO{answer}" if answer else None,
            answers=f"WMO{answers}" if answers else None,
            body=body,
            hub_model=True,
        )
    return out


CATALOGUE: Final = MappingProxyType(_build())


def by_name(name: str) -> MessageType:
    """Look a message kind up by name (`WMO305`); KeyError names the unknown kind."""
    try:
        return CATALOGUE[name.upper()]
    except KeyError:
        raise KeyError(f"unknown message type {name!r}") from None


def by_code(standard: Standard, bericht_code: str) -> MessageType | None:
    for mt in CATALOGUE.values():
        if mt.standard is standard and mt.bericht_code == bericht_code:
            return mt
    return None


def of_standard(standard: Standard) -> tuple[MessageType, ...]:
    return tuple(mt for mt in CATALOGUE.values() if mt.standard is standard)


def node_of(role: Role) -> Node:
    """Which node serves a party of this role."""
    return Node.VECOZO if role is Role.AANBIEDER else Node.GGK
